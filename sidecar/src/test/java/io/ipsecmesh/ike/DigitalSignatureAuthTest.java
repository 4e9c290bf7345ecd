package io.ipsecmesh.ike;

import static io.ipsecmesh.ike.IkeTestBytes.hex;
import static io.ipsecmesh.ike.IkeTestBytes.range;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * RFC 7427 (method 14) and RFC 4754 (methods 9-11) signature AUTH with freshly generated keys,
 * and the RFC 7427 Appendix A AlgorithmIdentifiers rebuilt from their OIDs.
 */
class DigitalSignatureAuthTest {

    private static final Set<SignatureAlgorithm> ALL = EnumSet.allOf(SignatureAlgorithm.class);
    private static final byte[] OCTETS = range(0x21, 400);
    private static final Map<SignatureAlgorithm, KeyPair> KEYS = new EnumMap<>(SignatureAlgorithm.class);
    private static final Map<SignatureAlgorithm, KeyPair> OTHER_KEYS = new EnumMap<>(SignatureAlgorithm.class);
    private static final KeyPair P521 = ec("secp521r1");

    static {
        KeyPair rsa = rsa();
        KeyPair rsa2 = rsa();
        KEYS.put(SignatureAlgorithm.ECDSA_SHA256_P256, ec("secp256r1"));
        KEYS.put(SignatureAlgorithm.ECDSA_SHA384_P384, ec("secp384r1"));
        KEYS.put(SignatureAlgorithm.RSASSA_PSS_SHA256, rsa);
        KEYS.put(SignatureAlgorithm.RSA_PKCS1_SHA256, rsa);
        OTHER_KEYS.put(SignatureAlgorithm.ECDSA_SHA256_P256, ec("secp256r1"));
        OTHER_KEYS.put(SignatureAlgorithm.ECDSA_SHA384_P384, ec("secp384r1"));
        OTHER_KEYS.put(SignatureAlgorithm.RSASSA_PSS_SHA256, rsa2);
        OTHER_KEYS.put(SignatureAlgorithm.RSA_PKCS1_SHA256, rsa2);
    }

    private static KeyPair ec(String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static KeyPair rsa() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    // ---- a minimal DER encoder, independent of the constants under test ----

    private static byte[] tlv(int tag, byte[]... content) {
        ByteArrayOutputStream c = new ByteArrayOutputStream();
        for (byte[] b : content) {
            c.writeBytes(b);
        }
        byte[] body = c.toByteArray();
        if (body.length > 127) {
            throw new AssertionError("short-form lengths only");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        out.write(body.length);
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static byte[] oid(long... arcs) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write((int) (arcs[0] * 40 + arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            long v = arcs[i];
            int n = 0;
            byte[] tmp = new byte[10];
            do {
                tmp[n++] = (byte) (v & 0x7f);
                v >>>= 7;
            } while (v != 0);
            for (int j = n - 1; j >= 0; j--) {
                b.write(tmp[j] | (j > 0 ? 0x80 : 0));
            }
        }
        return tlv(0x06, b.toByteArray());
    }

    private static final byte[] NULL = {0x05, 0x00};

    private static ByteReader reader(byte[] body) {
        return new ByteReader(body, 0, body.length, "test");
    }

    @Test
    void algorithmIdentifiersAreTheDerOfTheirOids() {
        byte[] sha256 = tlv(0x30, oid(2, 16, 840, 1, 101, 3, 4, 2, 1), NULL);
        // RFC 5758 §3.2: ecdsa-with-SHA256/384, parameters absent
        assertArrayEquals(tlv(0x30, oid(1, 2, 840, 10045, 4, 3, 2)),
                SignatureAlgorithm.ECDSA_SHA256_P256.algorithmIdentifier());
        assertArrayEquals(tlv(0x30, oid(1, 2, 840, 10045, 4, 3, 3)),
                SignatureAlgorithm.ECDSA_SHA384_P384.algorithmIdentifier());
        // RFC 4055 §5: sha256WithRSAEncryption with NULL parameters
        assertArrayEquals(tlv(0x30, oid(1, 2, 840, 113549, 1, 1, 11), NULL),
                SignatureAlgorithm.RSA_PKCS1_SHA256.algorithmIdentifier());
        // RFC 4055 §3.1: id-RSASSA-PSS, RSASSA-PSS-params {[0] sha256, [1] mgf1(sha256), [2] 32}
        byte[] pss = tlv(0x30, oid(1, 2, 840, 113549, 1, 1, 10), tlv(0x30,
                tlv(0xa0, sha256),
                tlv(0xa1, tlv(0x30, oid(1, 2, 840, 113549, 1, 1, 8), sha256)),
                tlv(0xa2, tlv(0x02, new byte[] {32}))));
        assertArrayEquals(pss, SignatureAlgorithm.RSASSA_PSS_SHA256.algorithmIdentifier());
        assertEquals(67, pss.length);
    }

    @Test
    void algorithmIdentifiersAsWrittenInRfc7427AppendixA() {
        // The hex dumps of RFC 7427 A.1.3, A.3.1, A.3.2 and A.4.3 (typed, not fetched; see report).
        assertArrayEquals(hex("300d06092a864886f70d01010b0500"),
                SignatureAlgorithm.RSA_PKCS1_SHA256.algorithmIdentifier());
        assertArrayEquals(hex("300a06082a8648ce3d040302"), SignatureAlgorithm.ECDSA_SHA256_P256.algorithmIdentifier());
        assertArrayEquals(hex("300a06082a8648ce3d040303"), SignatureAlgorithm.ECDSA_SHA384_P384.algorithmIdentifier());
        assertArrayEquals(hex("304106092a864886f70d01010a3034a00f300d0609608648016503040201"
                        + "0500a11c301a06092a864886f70d010108300d060960864801650304020105"
                        + "00a203020120"), SignatureAlgorithm.RSASSA_PSS_SHA256.algorithmIdentifier());
    }

    @ParameterizedTest
    @EnumSource(SignatureAlgorithm.class)
    void roundTrip(SignatureAlgorithm alg) throws Exception {
        KeyPair kp = KEYS.get(alg);
        AuthPayload auth = DigitalSignatureAuth.sign(alg, kp.getPrivate(), OCTETS);
        assertEquals(AuthPayload.DIGITAL_SIGNATURE, auth.method());
        byte[] d = auth.authenticationData();
        byte[] id = alg.algorithmIdentifier();
        assertEquals(id.length, d[0] & 0xff);
        assertArrayEquals(id, Arrays.copyOfRange(d, 1, 1 + id.length));
        byte[] sig = Arrays.copyOfRange(d, 1 + id.length, d.length);
        if (alg.isEcdsa()) {
            assertEquals(0x30, sig[0] & 0xff, "ECDSA signature is a DER SEQUENCE");
        } else {
            assertEquals(256, sig.length);
        }
        // the bare JCE signature verifies the same octets: the AUTH carries a standard signature
        Signature s = Signature.getInstance(alg.jceName());
        if (alg.parameters() != null) {
            s.setParameter(alg.parameters());
        }
        s.initVerify(kp.getPublic());
        s.update(OCTETS);
        assertEquals(true, s.verify(sig));

        // survives the payload codec
        AuthPayload decoded = AuthPayload.decode(reader(auth.encodeBody()));
        assertEquals(alg, DigitalSignatureAuth.verify(decoded, kp.getPublic(), OCTETS, ALL));
    }

    @ParameterizedTest
    @EnumSource(SignatureAlgorithm.class)
    void tamperedOctetsOrSignatureFail(SignatureAlgorithm alg) {
        KeyPair kp = KEYS.get(alg);
        AuthPayload auth = DigitalSignatureAuth.sign(alg, kp.getPrivate(), OCTETS);
        byte[] tampered = OCTETS.clone();
        tampered[123] ^= 0x40;
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(auth, kp.getPublic(), tampered, ALL));
        byte[] d = auth.authenticationData();
        d[d.length - 1] ^= 0x01;
        AuthPayload bad = new AuthPayload(AuthPayload.DIGITAL_SIGNATURE, d);
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(bad, kp.getPublic(), OCTETS, ALL));
    }

    @ParameterizedTest
    @EnumSource(SignatureAlgorithm.class)
    void signatureByAnotherKeyFails(SignatureAlgorithm alg) {
        AuthPayload auth = DigitalSignatureAuth.sign(alg, OTHER_KEYS.get(alg).getPrivate(), OCTETS);
        IkeAuthException e = assertThrows(IkeAuthException.class,
                () -> DigitalSignatureAuth.verify(auth, KEYS.get(alg).getPublic(), OCTETS, ALL));
        assertEquals(NotifyType.AUTHENTICATION_FAILED, e.errorNotify());
    }

    @Test
    void algorithmNotAllowedRefused() {
        KeyPair kp = KEYS.get(SignatureAlgorithm.RSA_PKCS1_SHA256);
        AuthPayload auth = DigitalSignatureAuth.sign(SignatureAlgorithm.RSA_PKCS1_SHA256, kp.getPrivate(), OCTETS);
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(auth, kp.getPublic(), OCTETS,
                EnumSet.of(SignatureAlgorithm.RSASSA_PSS_SHA256)));
    }

    @Test
    void algorithmIdentifierSwappedRefused() {
        // a PKCS#1 v1.5 signature relabelled as PSS, and an ECDSA-SHA256 signature relabelled as SHA-384
        KeyPair rsa = KEYS.get(SignatureAlgorithm.RSA_PKCS1_SHA256);
        AuthPayload pkcs1 = DigitalSignatureAuth.sign(SignatureAlgorithm.RSA_PKCS1_SHA256, rsa.getPrivate(), OCTETS);
        AuthPayload relabelled = relabel(pkcs1, SignatureAlgorithm.RSA_PKCS1_SHA256,
                SignatureAlgorithm.RSASSA_PSS_SHA256);
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(relabelled, rsa.getPublic(), OCTETS,
                ALL));
        KeyPair p256 = KEYS.get(SignatureAlgorithm.ECDSA_SHA256_P256);
        AuthPayload ecdsa = DigitalSignatureAuth.sign(SignatureAlgorithm.ECDSA_SHA256_P256, p256.getPrivate(), OCTETS);
        AuthPayload ecRelabelled = relabel(ecdsa, SignatureAlgorithm.ECDSA_SHA256_P256,
                SignatureAlgorithm.ECDSA_SHA384_P384);
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(ecRelabelled, p256.getPublic(), OCTETS,
                ALL));
    }

    private static AuthPayload relabel(AuthPayload auth, SignatureAlgorithm from, SignatureAlgorithm to) {
        byte[] d = auth.authenticationData();
        byte[] sig = Arrays.copyOfRange(d, 1 + from.algorithmIdentifier().length, d.length);
        return new AuthPayload(AuthPayload.DIGITAL_SIGNATURE, DigitalSignatureAuth.authData(to, sig));
    }

    @Test
    void unknownOrNonCanonicalAlgorithmIdentifierRefused() {
        KeyPair kp = KEYS.get(SignatureAlgorithm.RSA_PKCS1_SHA256);
        byte[] d = DigitalSignatureAuth.sign(SignatureAlgorithm.RSA_PKCS1_SHA256, kp.getPrivate(), OCTETS)
                .authenticationData();
        byte[] sig = Arrays.copyOfRange(d, 16, d.length);
        // sha1WithRSAEncryption (1.2.840.113549.1.1.5)
        byte[] sha1 = tlv(0x30, oid(1, 2, 840, 113549, 1, 1, 5), NULL);
        // sha256WithRSAEncryption with the NULL parameters left out
        byte[] noNull = tlv(0x30, oid(1, 2, 840, 113549, 1, 1, 11));
        for (byte[] id : List.of(sha1, noNull)) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.write(id.length);
            b.writeBytes(id);
            b.writeBytes(sig);
            AuthPayload a = new AuthPayload(AuthPayload.DIGITAL_SIGNATURE, b.toByteArray());
            assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(a, kp.getPublic(), OCTETS, ALL));
        }
    }

    @Test
    void algorithmNotMatchingPeerKeyRefused() {
        KeyPair p256 = KEYS.get(SignatureAlgorithm.ECDSA_SHA256_P256);
        KeyPair p384 = KEYS.get(SignatureAlgorithm.ECDSA_SHA384_P384);
        KeyPair rsa = KEYS.get(SignatureAlgorithm.RSA_PKCS1_SHA256);
        AuthPayload ec = DigitalSignatureAuth.sign(SignatureAlgorithm.ECDSA_SHA256_P256, p256.getPrivate(), OCTETS);
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(ec, rsa.getPublic(), OCTETS, ALL));
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(ec, p384.getPublic(), OCTETS, ALL));
        AuthPayload r = DigitalSignatureAuth.sign(SignatureAlgorithm.RSASSA_PSS_SHA256, rsa.getPrivate(), OCTETS);
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(r, p256.getPublic(), OCTETS, ALL));
        // signing refuses a key of the wrong type or curve as well
        assertThrows(IllegalArgumentException.class,
                () -> DigitalSignatureAuth.sign(SignatureAlgorithm.ECDSA_SHA384_P384, p256.getPrivate(), OCTETS));
        assertThrows(IllegalArgumentException.class,
                () -> DigitalSignatureAuth.sign(SignatureAlgorithm.RSA_PKCS1_SHA256, p256.getPrivate(), OCTETS));
    }

    @Test
    void smallRsaKeyRefused() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        KeyPair small = g.generateKeyPair();
        assertThrows(IllegalArgumentException.class,
                () -> DigitalSignatureAuth.sign(SignatureAlgorithm.RSA_PKCS1_SHA256, small.getPrivate(), OCTETS));
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(small.getPrivate());
        s.update(OCTETS);
        AuthPayload a = new AuthPayload(AuthPayload.DIGITAL_SIGNATURE,
                DigitalSignatureAuth.authData(SignatureAlgorithm.RSA_PKCS1_SHA256, s.sign()));
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(a, small.getPublic(), OCTETS, ALL));
    }

    @ParameterizedTest
    @EnumSource(SignatureAlgorithm.class)
    void truncatedAuthDataRefused(SignatureAlgorithm alg) {
        KeyPair kp = KEYS.get(alg);
        byte[] d = DigitalSignatureAuth.sign(alg, kp.getPrivate(), OCTETS).authenticationData();
        int idEnd = 1 + alg.algorithmIdentifier().length;
        for (int len : new int[] {1, 2, idEnd - 1, idEnd, idEnd + 1, d.length - 1}) {
            AuthPayload a = new AuthPayload(AuthPayload.DIGITAL_SIGNATURE, Arrays.copyOf(d, len));
            assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(a, kp.getPublic(), OCTETS, ALL),
                    "length " + len);
        }
        byte[] zeroLen = d.clone();
        zeroLen[0] = 0;
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(
                new AuthPayload(AuthPayload.DIGITAL_SIGNATURE, zeroLen), kp.getPublic(), OCTETS, ALL));
        byte[] longLen = d.clone();
        longLen[0] = (byte) 0xff;
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(
                new AuthPayload(AuthPayload.DIGITAL_SIGNATURE, longLen), kp.getPublic(), OCTETS, ALL));
    }

    @Test
    void wrongMethodRefused() {
        KeyPair kp = KEYS.get(SignatureAlgorithm.ECDSA_SHA256_P256);
        byte[] d = DigitalSignatureAuth.sign(SignatureAlgorithm.ECDSA_SHA256_P256, kp.getPrivate(), OCTETS)
                .authenticationData();
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verify(
                new AuthPayload(AuthPayload.SHARED_KEY_MIC, d), kp.getPublic(), OCTETS, ALL));
    }

    // ---- RFC 4754 ----

    private static KeyPair classicKey(DigitalSignatureAuth.ClassicEcdsa m) {
        return switch (m) {
            case SHA256_P256 -> KEYS.get(SignatureAlgorithm.ECDSA_SHA256_P256);
            case SHA384_P384 -> KEYS.get(SignatureAlgorithm.ECDSA_SHA384_P384);
            case SHA512_P521 -> P521;
        };
    }

    @ParameterizedTest
    @EnumSource(DigitalSignatureAuth.ClassicEcdsa.class)
    void classicEcdsaRoundTripAndTamper(DigitalSignatureAuth.ClassicEcdsa m) throws Exception {
        Set<DigitalSignatureAuth.ClassicEcdsa> all = EnumSet.allOf(DigitalSignatureAuth.ClassicEcdsa.class);
        KeyPair kp = classicKey(m);
        AuthPayload auth = DigitalSignatureAuth.signClassic(m, kp.getPrivate(), OCTETS);
        assertEquals(m.method(), auth.method());
        assertEquals(2 * m.coordinateLength(), auth.authenticationData().length);
        assertEquals(m, DigitalSignatureAuth.verifyClassic(auth, kp.getPublic(), OCTETS, all));

        // r | s is the plain P1363 encoding: the DER form of the same (r, s) verifies with the JCE
        byte[] rs = auth.authenticationData();
        int n = m.coordinateLength();
        byte[] der = derEcdsa(Arrays.copyOfRange(rs, 0, n), Arrays.copyOfRange(rs, n, 2 * n));
        Signature s = Signature.getInstance(switch (m) {
            case SHA256_P256 -> "SHA256withECDSA";
            case SHA384_P384 -> "SHA384withECDSA";
            case SHA512_P521 -> "SHA512withECDSA";
        });
        s.initVerify(kp.getPublic());
        s.update(OCTETS);
        assertEquals(true, s.verify(der));

        byte[] tampered = OCTETS.clone();
        tampered[0] ^= 1;
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verifyClassic(auth, kp.getPublic(), tampered,
                all));
        AuthPayload truncated = new AuthPayload(m.method(), Arrays.copyOf(rs, rs.length - 1));
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verifyClassic(truncated, kp.getPublic(),
                OCTETS, all));
        AuthPayload wrongMethod = new AuthPayload(m.method() == 9 ? 10 : 9, rs);
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verifyClassic(wrongMethod, kp.getPublic(),
                OCTETS, all));
        KeyPair other = ec(switch (m) {
            case SHA256_P256 -> "secp256r1";
            case SHA384_P384 -> "secp384r1";
            case SHA512_P521 -> "secp521r1";
        });
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verifyClassic(auth, other.getPublic(), OCTETS,
                all));
        assertThrows(IkeAuthException.class, () -> DigitalSignatureAuth.verifyClassic(auth, kp.getPublic(), OCTETS,
                EnumSet.complementOf(EnumSet.of(m))));
    }

    /** DER ECDSA-Sig-Value from fixed-length r and s (test-only, short-form lengths suffice up to P-384). */
    private static byte[] derEcdsa(byte[] r, byte[] s) {
        byte[] ri = new java.math.BigInteger(1, r).toByteArray();
        byte[] si = new java.math.BigInteger(1, s).toByteArray();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(0x02);
        body.write(ri.length);
        body.writeBytes(ri);
        body.write(0x02);
        body.write(si.length);
        body.writeBytes(si);
        byte[] b = body.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        if (b.length > 127) {
            out.write(0x81);
        }
        out.write(b.length);
        out.writeBytes(b);
        return out.toByteArray();
    }

    // ---- RFC 7427 §4 ----

    @Test
    void signatureHashAlgorithmsNotify() throws Exception {
        NotifyPayload n = SignatureHashAlgorithm.notify(List.of(SignatureHashAlgorithm.SHA2_256,
                SignatureHashAlgorithm.SHA2_384, SignatureHashAlgorithm.SHA2_512));
        assertArrayEquals(hex("000200030004"), n.data());
        assertEquals(NotifyType.SIGNATURE_HASH_ALGORITHMS.value(), n.notifyType());
        NotifyPayload decoded = NotifyPayload.decode(reader(n.encodeBody()));
        assertEquals(List.of(SignatureHashAlgorithm.SHA2_256, SignatureHashAlgorithm.SHA2_384,
                SignatureHashAlgorithm.SHA2_512), SignatureHashAlgorithm.parse(decoded));
        // unknown IDs (1 = SHA1, 5 = Identity, 0x1234) are kept by parseIds and skipped by parse
        NotifyPayload mixed = NotifyPayload.signatureHashAlgorithms(List.of(1, 3, 5, 0x1234, 3));
        assertEquals(List.of(1, 3, 5, 0x1234, 3), SignatureHashAlgorithm.parseIds(mixed));
        assertEquals(List.of(SignatureHashAlgorithm.SHA2_384), SignatureHashAlgorithm.parse(mixed));
        assertEquals(SignatureHashAlgorithm.SHA2_384, SignatureAlgorithm.ECDSA_SHA384_P384.hash());
        assertThrows(IllegalArgumentException.class, () -> SignatureHashAlgorithm.notify(List.of()));
        assertThrows(IllegalArgumentException.class,
                () -> SignatureHashAlgorithm.parseIds(NotifyPayload.of(NotifyType.INITIAL_CONTACT)));
    }
}
