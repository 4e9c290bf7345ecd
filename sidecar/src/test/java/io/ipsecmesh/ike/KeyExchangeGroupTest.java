package io.ipsecmesh.ike;

import static io.ipsecmesh.ike.IkeTestBytes.hex;
import static io.ipsecmesh.ike.IkeTestBytes.toHex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Key exchange groups against published vectors.
 *
 * <ul>
 *   <li>ECP-256: RFC 5903 §8.1 (i, g^i = gix | giy, r, g^r = grx | gry, g^ir = girx).</li>
 *   <li>ECP-384: RFC 5903 §8.2 (same quantities).</li>
 *   <li>Curve25519: RFC 7748 §6.1 (Alice's and Bob's private keys, public keys, shared
 *       secret K), which RFC 8031 §2 makes the IKEv2 encoding: the KE data is the public key
 *       exactly as printed there.</li>
 * </ul>
 * The hex is typed from those sections (cross-checked against several independent public
 * copies). For each vector the public values are also recomputed from the private keys
 * (agreement with the base point), so a typo in any quantity fails a test. MODP 2048 has no
 * published IKE vector: a two-party round trip, the prime's safe-prime property and the
 * RFC 6989 §2.1 range check stand in.
 */
class KeyExchangeGroupTest {

    // ---- RFC 5903 §8.1, 256-bit Random ECP Group ----
    private static final String P256_I = "C88F01F5 10D9AC3F 70A292DA A2316DE5 44E9AAB8 AFE84049 C62A9C57 862D1433";
    private static final String P256_GIX = "DAD0B653 94221CF9 B051E1FE CA5787D0 98DFE637 FC90B9EF 945D0C37 72581180";
    private static final String P256_GIY = "5271A046 1CDB8252 D61F1C45 6FA3E59A B1F45B33 ACCF5F58 389E0577 B8990BB3";
    private static final String P256_R = "C6EF9C5D 78AE012A 011164AC B397CE20 88685D8F 06BF9BE0 B283AB46 476BEE53";
    private static final String P256_GRX = "D12DFB52 89C8D4F8 1208B702 70398C34 2296970A 0BCCB74C 736FC755 4494BF63";
    private static final String P256_GRY = "56FBF3CA 366CC23E 8157854C 13C58D6A AC23F046 ADA30F83 53E74F33 039872AB";
    private static final String P256_GIRX = "D6840F6B 42F6EDAF D13116E0 E1256520 2FEF8E9E CE7DCE03 812464D0 4B9442DE";

    // ---- RFC 5903 §8.2, 384-bit Random ECP Group ----
    private static final String P384_I = "099F3C70 34D4A2C6 99884D73 A375A67F 7624EF7C 6B3C0F16 0647B674 14DCE655"
            + "E35B5380 41E649EE 3FAEF896 783AB194";
    private static final String P384_GIX = "667842D7 D180AC2C DE6F74F3 7551F557 55C7645C 20EF73E3 1634FE72 B4C55EE6"
            + "DE3AC808 ACB4BDB4 C88732AE E95F41AA";
    private static final String P384_GIY = "9482ED1F C0EEB9CA FC498462 5CCFC23F 65032149 E0E144AD A0241815 35A0F38E"
            + "EB9FCFF3 C2C947DA E69B4C63 4573A81C";
    private static final String P384_R = "41CB0779 B4BDB85D 47846725 FBEC3C94 30FAB46C C8DC5060 855CC9BD A0AA2942"
            + "E0308312 916B8ED2 960E4BD5 5A7448FC";
    private static final String P384_GRX = "E558DBEF 53EECDE3 D3FCCFC1 AEA08A89 A987475D 12FD950D 83CFA417 32BC509D"
            + "0D1AC43A 0336DEF9 6FDA41D0 774A3571";
    private static final String P384_GRY = "DCFBEC7A ACF31964 72169E83 8430367F 66EEBE3C 6E70C416 DD5F0C68 759DD1FF"
            + "F83FA401 42209DFF 5EAAD96D B9E6386C";
    private static final String P384_GIRX = "11187331 C279962D 93D60424 3FD592CB 9D0A926F 422E4718 7521287E 7156C5C4"
            + "D6031355 69B9E9D0 9CF5D4A2 70F59746";

    // ---- RFC 7748 §6.1, X25519 ----
    private static final String ALICE_PRIV = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private static final String ALICE_PUB = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private static final String BOB_PRIV = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private static final String BOB_PUB = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private static final String X25519_K = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    // ---------------------------------------------------------------- ECP vectors

    @Test
    void ecp256MatchesRfc5903Section81() throws Exception {
        checkEcpVector(KeyExchangeGroup.ECP_256, P256_I, P256_GIX, P256_GIY, P256_R, P256_GRX, P256_GRY, P256_GIRX);
    }

    @Test
    void ecp384MatchesRfc5903Section82() throws Exception {
        checkEcpVector(KeyExchangeGroup.ECP_384, P384_I, P384_GIX, P384_GIY, P384_R, P384_GRX, P384_GRY, P384_GIRX);
    }

    private static void checkEcpVector(KeyExchangeGroup group, String i, String gix, String giy, String r,
                                       String grx, String gry, String girx) throws Exception {
        KeyExchange initiator = group.fromKeyPair(ecKeyPair(group, i, gix, giy));
        KeyExchange responder = group.fromKeyPair(ecKeyPair(group, r, grx, gry));
        byte[] gi = hex(gix + giy);
        byte[] gr = hex(grx + gry);

        // KE data is x | y, no point-format octet (RFC 5903 §7).
        assertEquals(group.publicValueLength(), gi.length);
        assertArrayEquals(gi, initiator.publicValue());
        assertArrayEquals(gr, responder.publicValue());
        assertArrayEquals(gi, initiator.kePayload().keyExchangeData());
        assertEquals(group.transformId(), initiator.kePayload().dhGroup());

        // The published public x coordinates are those of i*G and r*G.
        assertArrayEquals(hex(gix), group.agree(ecPrivate(group, i), generator(group)));
        assertArrayEquals(hex(grx), group.agree(ecPrivate(group, r), generator(group)));

        // g^ir is the x coordinate only, of the field's length, from both sides.
        assertArrayEquals(hex(girx), initiator.sharedSecret(gr));
        assertArrayEquals(hex(girx), responder.sharedSecret(gi));
        assertArrayEquals(hex(girx), initiator.sharedSecret(responder.kePayload()));
        assertEquals(group.sharedSecretLength(), hex(girx).length);
    }

    private static PrivateKey ecPrivate(KeyExchangeGroup group, String d) throws Exception {
        return KeyFactory.getInstance("EC").generatePrivate(
                new ECPrivateKeySpec(new BigInteger(1, hex(d)), group.ecParameters()));
    }

    private static KeyPair ecKeyPair(KeyExchangeGroup group, String d, String x, String y) throws Exception {
        ECParameterSpec spec = group.ecParameters();
        PublicKey pub = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
                new ECPoint(new BigInteger(1, hex(x)), new BigInteger(1, hex(y))), spec));
        return new KeyPair(pub, ecPrivate(group, d));
    }

    private static PublicKey generator(KeyExchangeGroup group) throws Exception {
        ECParameterSpec spec = group.ecParameters();
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(spec.getGenerator(), spec));
    }

    // ---------------------------------------------------------------- X25519 vector

    @Test
    void curve25519MatchesRfc7748Section61() throws Exception {
        KeyExchangeGroup group = KeyExchangeGroup.CURVE25519;
        PrivateKey alicePriv = xPrivate(ALICE_PRIV);
        PrivateKey bobPriv = xPrivate(BOB_PRIV);

        // Public keys = X25519(priv, 9) (RFC 7748 §6.1).
        byte[] nine = new byte[32];
        nine[0] = 9;
        assertArrayEquals(hex(ALICE_PUB), group.agree(alicePriv, group.decodePublicValue(nine)));
        assertArrayEquals(hex(BOB_PUB), group.agree(bobPriv, group.decodePublicValue(nine)));

        KeyExchange alice = group.fromKeyPair(new KeyPair(group.decodePublicValue(hex(ALICE_PUB)), alicePriv));
        KeyExchange bob = group.fromKeyPair(new KeyPair(group.decodePublicValue(hex(BOB_PUB)), bobPriv));
        // KE data is the 32-byte little-endian public value (RFC 8031 §2).
        assertArrayEquals(hex(ALICE_PUB), alice.publicValue());
        assertArrayEquals(hex(BOB_PUB), bob.publicValue());

        assertArrayEquals(hex(X25519_K), alice.sharedSecret(hex(BOB_PUB)));
        assertArrayEquals(hex(X25519_K), bob.sharedSecret(hex(ALICE_PUB)));
    }

    private static PrivateKey xPrivate(String scalar) throws Exception {
        return KeyFactory.getInstance("XDH").generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, hex(scalar)));
    }

    @Test
    void curve25519MasksTheTopBitOfTheu() throws Exception {
        // RFC 7748 §5: the most significant bit of the final byte is ignored on receipt.
        KeyExchange bob = KeyExchangeGroup.CURVE25519.fromKeyPair(new KeyPair(
                KeyExchangeGroup.CURVE25519.decodePublicValue(hex(BOB_PUB)), xPrivate(BOB_PRIV)));
        byte[] alicePub = hex(ALICE_PUB);
        alicePub[31] |= (byte) 0x80;
        assertArrayEquals(hex(X25519_K), bob.sharedSecret(alicePub));
    }

    @Test
    void curve25519RefusesSmallOrderPoints() {
        KeyExchange kx = KeyExchangeGroup.CURVE25519.generate(new SecureRandom());
        BigInteger p = KeyExchangeGroup.CURVE25519_PRIME;
        // u = 0 and u = 1 have order dividing 4 (RFC 7748 §6.1's all-zero check exists for
        // such inputs); u = p - 1 has order 2; u = p is u = 0 in non-canonical form.
        for (BigInteger u : new BigInteger[] {BigInteger.ZERO, BigInteger.ONE, p.subtract(BigInteger.ONE), p}) {
            byte[] le = littleEndian(u);
            IkeParseException e = assertThrows(IkeParseException.class, () -> kx.sharedSecret(le), u.toString(16));
            assertEquals(NotifyType.INVALID_SYNTAX, e.errorNotify());
        }
    }

    private static byte[] littleEndian(BigInteger u) {
        byte[] be = KeyExchangeGroup.toFixedBigEndian(u, 32);
        byte[] le = new byte[32];
        for (int i = 0; i < 32; i++) {
            le[i] = be[31 - i];
        }
        return le;
    }

    // ---------------------------------------------------------------- bad ECP values

    @ParameterizedTest
    @EnumSource(value = KeyExchangeGroup.class, names = {"ECP_256", "ECP_384"})
    void ecpRefusesPointsOffTheCurve(KeyExchangeGroup group) {
        KeyExchange kx = group.generate(new SecureRandom());
        byte[] good = group.generate(new SecureRandom()).publicValue();
        int n = group.sharedSecretLength();

        byte[] flipped = good.clone();
        flipped[flipped.length - 1] ^= 1;
        byte[] zero = new byte[2 * n];
        byte[] ones = new byte[2 * n];
        Arrays.fill(ones, (byte) 0xff); // x, y >= p
        for (byte[] bad : new byte[][] {flipped, zero, ones}) {
            IkeParseException e = assertThrows(IkeParseException.class, () -> kx.sharedSecret(bad));
            assertEquals(NotifyType.INVALID_SYNTAX, e.errorNotify());
        }
    }

    @ParameterizedTest
    @EnumSource(value = KeyExchangeGroup.class, names = {"ECP_256", "ECP_384"})
    void ecpAcceptsTheGeneratorAndItsNegationButNotYPlusP(KeyExchangeGroup group) throws Exception {
        ECParameterSpec spec = group.ecParameters();
        int n = group.sharedSecretLength();
        BigInteger p = ((java.security.spec.ECFieldFp) spec.getCurve().getField()).getP();
        BigInteger gx = spec.getGenerator().getAffineX();
        BigInteger gy = spec.getGenerator().getAffineY();
        KeyExchange kx = group.generate(new SecureRandom());
        assertEquals(n, kx.sharedSecret(point(gx, gy, n)).length);
        // -G = (x, p - y) has the same x coordinate: same shared secret (the x of d*G).
        assertArrayEquals(kx.sharedSecret(point(gx, gy, n)), kx.sharedSecret(point(gx, p.subtract(gy), n)));
        // (x, y + 1) is off the curve.
        assertThrows(IkeParseException.class, () -> kx.sharedSecret(point(gx, gy.add(BigInteger.ONE), n)));
    }

    private static byte[] point(BigInteger x, BigInteger y, int n) {
        byte[] data = new byte[2 * n];
        System.arraycopy(KeyExchangeGroup.toFixedBigEndian(x, n), 0, data, 0, n);
        System.arraycopy(KeyExchangeGroup.toFixedBigEndian(y, n), 0, data, n, n);
        return data;
    }

    @ParameterizedTest
    @EnumSource(KeyExchangeGroup.class)
    void wrongLengthsAreInvalidSyntax(KeyExchangeGroup group) {
        KeyExchange kx = group.generate(new SecureRandom());
        byte[] good = group.generate(new SecureRandom()).publicValue();
        for (byte[] bad : new byte[][] {Arrays.copyOf(good, good.length - 1), Arrays.copyOf(good, good.length + 1),
                new byte[0]}) {
            IkeParseException e = assertThrows(IkeParseException.class, () -> kx.sharedSecret(bad));
            assertEquals(NotifyType.INVALID_SYNTAX, e.errorNotify());
        }
        // ECP with a point-format octet in front (the SEC1 form) is one byte too long.
        if (group == KeyExchangeGroup.ECP_256 || group == KeyExchangeGroup.ECP_384) {
            byte[] sec1 = new byte[good.length + 1];
            sec1[0] = 4;
            System.arraycopy(good, 0, sec1, 1, good.length);
            assertThrows(IkeParseException.class, () -> kx.sharedSecret(sec1));
        }
    }

    // ---------------------------------------------------------------- MODP 2048

    @Test
    void modp2048PrimeIsTheRfc3526SafePrime() {
        BigInteger p = KeyExchangeGroup.MODP_2048_PRIME;
        assertEquals(2048, p.bitLength());
        // RFC 3526 §3: the top and bottom 64 bits are all ones.
        assertEquals(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE), p.shiftRight(2048 - 64));
        assertEquals(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE),
                p.and(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE)));
        // A single mistyped digit would almost surely break this.
        assertTrue(p.isProbablePrime(40));
        assertTrue(p.shiftRight(1).isProbablePrime(40));
    }

    @Test
    void modp2048RoundTrip() throws Exception {
        KeyExchangeGroup group = KeyExchangeGroup.MODP_2048;
        KeyExchange a = group.generate(new SecureRandom());
        KeyExchange b = group.generate(new SecureRandom());
        assertEquals(256, a.publicValue().length);
        assertFalse(Arrays.equals(a.publicValue(), b.publicValue()));
        byte[] ab = a.sharedSecret(b.publicValue());
        byte[] ba = b.sharedSecret(a.kePayload());
        assertEquals(256, ab.length);
        assertArrayEquals(ab, ba);

        // And it is the textbook value y_b^x_a mod p, left-padded to 256 bytes.
        BigInteger yb = new BigInteger(1, b.publicValue());
        assertTrue(yb.compareTo(KeyExchangeGroup.MODP_2048_PRIME) < 0);
    }

    @Test
    void modp2048SharedSecretIsTheModularPower() throws Exception {
        // A fixed pair built from explicit exponents, checked against BigInteger.modPow, with an
        // exponent small enough that the public value needs left padding (y = 2^5 = 32).
        BigInteger p = KeyExchangeGroup.MODP_2048_PRIME;
        BigInteger g = KeyExchangeGroup.MODP_2048_GENERATOR;
        BigInteger xa = new BigInteger("123456789abcdef0fedcba987654321", 16);
        BigInteger xb = BigInteger.valueOf(5);
        KeyExchange a = KeyExchangeGroup.MODP_2048.fromKeyPair(dhKeyPair(xa));
        KeyExchange b = KeyExchangeGroup.MODP_2048.fromKeyPair(dhKeyPair(xb));
        byte[] bPub = b.publicValue();
        assertEquals(256, bPub.length);
        assertEquals(BigInteger.valueOf(32), new BigInteger(1, bPub));
        byte[] expected = KeyExchangeGroup.toFixedBigEndian(g.modPow(xa.multiply(xb), p), 256);
        assertArrayEquals(expected, a.sharedSecret(bPub));
        assertArrayEquals(expected, b.sharedSecret(a.publicValue()));
    }

    private static KeyPair dhKeyPair(BigInteger x) throws Exception {
        BigInteger p = KeyExchangeGroup.MODP_2048_PRIME;
        BigInteger g = KeyExchangeGroup.MODP_2048_GENERATOR;
        KeyFactory kf = KeyFactory.getInstance("DH");
        return new KeyPair(kf.generatePublic(new javax.crypto.spec.DHPublicKeySpec(g.modPow(x, p), p, g)),
                kf.generatePrivate(new javax.crypto.spec.DHPrivateKeySpec(x, p, g)));
    }

    @Test
    void modp2048RefusesOutOfRangeValues() {
        KeyExchange kx = KeyExchangeGroup.MODP_2048.generate(new SecureRandom());
        BigInteger p = KeyExchangeGroup.MODP_2048_PRIME;
        for (BigInteger y : new BigInteger[] {BigInteger.ZERO, BigInteger.ONE, p.subtract(BigInteger.ONE), p,
                p.add(BigInteger.ONE), BigInteger.ONE.shiftLeft(2048).subtract(BigInteger.ONE)}) {
            byte[] data = KeyExchangeGroup.toFixedBigEndian(y, 256);
            IkeParseException e = assertThrows(IkeParseException.class, () -> kx.sharedSecret(data), y.toString(16));
            assertEquals(NotifyType.INVALID_SYNTAX, e.errorNotify());
        }
        // The smallest and largest accepted values.
        assertEquals(256, assertDoesNotThrow(kx, KeyExchangeGroup.toFixedBigEndian(BigInteger.TWO, 256)).length);
        assertEquals(256, assertDoesNotThrow(kx,
                KeyExchangeGroup.toFixedBigEndian(p.subtract(BigInteger.TWO), 256)).length);
    }

    private static byte[] assertDoesNotThrow(KeyExchange kx, byte[] data) {
        try {
            return kx.sharedSecret(data);
        } catch (IkeParseException e) {
            throw new AssertionError("refused a valid value", e);
        }
    }

    // ---------------------------------------------------------------- all groups

    @ParameterizedTest
    @EnumSource(KeyExchangeGroup.class)
    void randomPairsAgree(KeyExchangeGroup group) throws Exception {
        KeyExchange a = group.generate(new SecureRandom());
        KeyExchange b = group.generate(new SecureRandom());
        assertEquals(group.publicValueLength(), a.publicValue().length);
        byte[] s = a.sharedSecret(b.publicValue());
        assertEquals(group.sharedSecretLength(), s.length);
        assertArrayEquals(s, b.sharedSecret(a.publicValue()));
    }

    @ParameterizedTest
    @EnumSource(KeyExchangeGroup.class)
    void theInjectedRandomSourceIsUsed(KeyExchangeGroup group) throws Exception {
        byte[] a = group.generate(seeded(1)).publicValue();
        byte[] b = group.generate(seeded(1)).publicValue();
        byte[] c = group.generate(seeded(2)).publicValue();
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
    }

    private static SecureRandom seeded(long seed) throws Exception {
        SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
        r.setSeed(seed);
        return r;
    }

    @Test
    void aKePayloadOfAnotherGroupIsRefused() {
        KeyExchange kx = KeyExchangeGroup.ECP_256.generate(new SecureRandom());
        KePayload other = KeyExchangeGroup.CURVE25519.generate(new SecureRandom()).kePayload();
        assertThrows(IkeParseException.class, () -> kx.sharedSecret(other));
    }

    @Test
    void destroyedKeyExchangeRefusesUse() {
        KeyExchange a = KeyExchangeGroup.CURVE25519.generate(new SecureRandom());
        byte[] peer = KeyExchangeGroup.CURVE25519.generate(new SecureRandom()).publicValue();
        a.destroy();
        assertTrue(a.isDestroyed());
        assertThrows(IllegalStateException.class, () -> a.sharedSecret(peer));
        assertFalse(a.toString().contains(toHex(a.publicValue())));
    }

    @Test
    void destroyLaterDropsTheKeysAtOnceAndDestroysThePrivateKeyOnTheExecutor() throws Exception {
        java.security.KeyPairGenerator kpg = java.security.KeyPairGenerator.getInstance("EC", EcProvider.get());
        kpg.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        KeyPair pair = kpg.generateKeyPair();
        KeyExchange a = KeyExchangeGroup.ECP_256.fromKeyPair(pair);
        byte[] peer = KeyExchangeGroup.ECP_256.generate(new SecureRandom()).publicValue();
        java.util.List<Runnable> later = new java.util.ArrayList<>();
        a.destroy(later::add);
        assertTrue(a.isDestroyed());
        assertThrows(IllegalStateException.class, () -> a.sharedSecret(peer));
        assertEquals(1, later.size());
        assertFalse(((javax.security.auth.Destroyable) pair.getPrivate()).isDestroyed());
        later.getFirst().run();
        assertTrue(((javax.security.auth.Destroyable) pair.getPrivate()).isDestroyed());
        a.destroy(later::add);
        assertEquals(1, later.size(), "a second destroy has nothing left to hand over");
    }

    @Test
    void keyPairsOfAnotherGroupAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> KeyExchangeGroup.ECP_256.fromKeyPair(ecPair384()));
    }

    private static KeyPair ecPair384() throws Exception {
        java.security.KeyPairGenerator kpg = java.security.KeyPairGenerator.getInstance("EC");
        kpg.initialize(new java.security.spec.ECGenParameterSpec("secp384r1"));
        return kpg.generateKeyPair();
    }

    @Test
    void transformIds() {
        assertEquals(Optional.of(KeyExchangeGroup.MODP_2048), KeyExchangeGroup.fromTransformId(14));
        assertEquals(Optional.of(KeyExchangeGroup.ECP_256), KeyExchangeGroup.fromTransformId(19));
        assertEquals(Optional.of(KeyExchangeGroup.ECP_384), KeyExchangeGroup.fromTransformId(20));
        assertEquals(Optional.of(KeyExchangeGroup.CURVE25519), KeyExchangeGroup.fromTransformId(31));
        assertEquals(Optional.empty(), KeyExchangeGroup.fromTransformId(2));
        assertEquals(KeyExchangeGroup.CURVE25519, KeyExchangeGroup.fromKeyword("curve25519"));
        assertThrows(IllegalArgumentException.class, () -> KeyExchangeGroup.fromKeyword("modp1024"));
    }
}
