package io.ipsecmesh.ike;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;

/**
 * Known-answer and pairwise self-tests of the public-key crypto IKE relies on, run when the
 * daemon starts (as strongSwan's crypto tester does): ECDH on P-256 (RFC 5903 §8.1), X25519
 * (RFC 7748 §6.1) and an ECDSA P-256 sign/verify pair (RFC 7427 encoding). A provider that
 * computes wrong answers stops the daemon before it talks to anyone.
 */
public final class CryptoSelfTest {

    private static final HexFormat HEX = HexFormat.of();

    private CryptoSelfTest() {
    }

    /** @throws IllegalStateException naming the test that failed */
    public static void run(SecureRandom random) {
        try {
            ecdhP256();
            x25519();
            ecdsaP256(random);
        } catch (IllegalStateException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("crypto self-test failed: " + e, e);
        }
    }

    /** RFC 5903 §8.1: i, g^r and g^ir of the 256-bit random ECP group. */
    private static void ecdhP256() throws Exception {
        KeyExchangeGroup g = KeyExchangeGroup.ECP_256;
        BigInteger i = new BigInteger("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433", 16);
        BigInteger gix = new BigInteger("DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180", 16);
        BigInteger giy = new BigInteger("5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3", 16);
        byte[] gr = HEX.parseHex("D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
                + "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB");
        byte[] gir = HEX.parseHex("D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE");
        KeyFactory kf = KeyFactory.getInstance("EC");
        KeyPair pair = new KeyPair(kf.generatePublic(new ECPublicKeySpec(new ECPoint(gix, giy), g.ecParameters())),
                kf.generatePrivate(new ECPrivateKeySpec(i, g.ecParameters())));
        KeyExchange ke = g.fromKeyPair(pair);
        byte[] got = ke.sharedSecret(gr);
        check(Arrays.equals(got, gir), "ECDH P-256 (RFC 5903 §8.1)");
    }

    /** RFC 7748 §6.1: Alice's private key, Bob's public key, the shared secret. */
    private static void x25519() throws Exception {
        byte[] alicePriv = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bobPub = HEX.parseHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        byte[] k = HEX.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        KeyFactory kf = KeyFactory.getInstance("XDH");
        var priv = kf.generatePrivate(new java.security.spec.XECPrivateKeySpec(
                java.security.spec.NamedParameterSpec.X25519, alicePriv));
        byte[] alicePub = HEX.parseHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        byte[] u = alicePub.clone();
        for (int a = 0, b = u.length - 1; a < b; a++, b--) {
            byte t = u[a];
            u[a] = u[b];
            u[b] = t;
        }
        var pub = kf.generatePublic(new java.security.spec.XECPublicKeySpec(
                java.security.spec.NamedParameterSpec.X25519, new BigInteger(1, u)));
        KeyExchange ke = KeyExchangeGroup.CURVE25519.fromKeyPair(new KeyPair(pub, priv));
        check(Arrays.equals(ke.sharedSecret(bobPub), k), "X25519 (RFC 7748 §6.1)");
    }

    /** A fresh P-256 key signs; the signature verifies, and fails once one bit of the data flips. */
    private static void ecdsaP256(SecureRandom random) throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", EcProvider.get());
        kpg.initialize(new ECGenParameterSpec("secp256r1"), random);
        KeyPair kp = kpg.generateKeyPair();
        byte[] data = new byte[200];
        random.nextBytes(data);
        AuthPayload auth = DigitalSignatureAuth.sign(SignatureAlgorithm.ECDSA_SHA256_P256, kp.getPrivate(), data);
        DigitalSignatureAuth.verify(auth, kp.getPublic(), data, EnumSet.of(SignatureAlgorithm.ECDSA_SHA256_P256));
        data[17] ^= 1;
        try {
            DigitalSignatureAuth.verify(auth, kp.getPublic(), data, EnumSet.of(SignatureAlgorithm.ECDSA_SHA256_P256));
        } catch (IkeAuthException expected) {
            return;
        }
        throw new IllegalStateException("crypto self-test failed: ECDSA P-256 accepted a signature over other data");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("crypto self-test failed: " + what + " gave a wrong answer");
        }
    }
}
