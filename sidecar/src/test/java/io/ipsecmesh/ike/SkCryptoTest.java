package io.ipsecmesh.ike;

import static io.ipsecmesh.ike.IkeTestBytes.range;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SK payload protection: round trips, tampering anywhere in the protected range, and the
 * layout recomputed independently with the JCE (RFC 7296 §3.14 for CBC + HMAC, RFC 5282 §5.1
 * for AES-GCM). No published IKEv2 SK test vector was used.
 */
class SkCryptoTest {

    private static final IkeHeader HEADER = IkeHeader.of(0x0102030405060708L, 0x1112131415161718L,
            ExchangeType.IKE_AUTH, true, false, 1);
    private static final List<IkePayload> INNER = List.of(new NoncePayload(range(1, 32)),
            NotifyPayload.of(NotifyType.INITIAL_CONTACT));

    static Stream<Arguments> suites() {
        return Stream.of(
                Arguments.of(EncryptionAlgorithm.AES_CBC_128, IntegrityAlgorithm.HMAC_SHA2_256_128),
                Arguments.of(EncryptionAlgorithm.AES_CBC_256, IntegrityAlgorithm.HMAC_SHA2_384_192),
                Arguments.of(EncryptionAlgorithm.AES_CBC_256, IntegrityAlgorithm.HMAC_SHA2_512_256),
                Arguments.of(EncryptionAlgorithm.AES_GCM_16_128, IntegrityAlgorithm.NONE),
                Arguments.of(EncryptionAlgorithm.AES_GCM_16_256, IntegrityAlgorithm.NONE),
                Arguments.of(EncryptionAlgorithm.CHACHA20_POLY1305, IntegrityAlgorithm.NONE));
    }

    private static SkCrypto sk(EncryptionAlgorithm e, IntegrityAlgorithm i) {
        return SkCrypto.of(e, i, range(0x40, e.keyMaterialLength()), range(0x80, i.keyLength()), new SecureRandom());
    }

    @ParameterizedTest
    @MethodSource("suites")
    void roundTrip(EncryptionAlgorithm e, IntegrityAlgorithm i) throws Exception {
        byte[] wire = sk(e, i).encrypt(HEADER, List.of(), INNER);
        IkeMessage outer = IkeMessage.decode(wire);
        assertEquals(1, outer.payloads().size());
        assertInstanceOf(SkPayload.class, outer.payloads().getFirst());
        IkeMessage plain = sk(e, i).decrypt(wire);
        assertEquals(HEADER, plain.header());
        assertEquals(INNER, plain.payloads());
        // The plaintext does not appear in the clear.
        byte[] nonce = range(1, 32);
        for (int k = 0; k + nonce.length <= wire.length; k++) {
            assertFalse(Arrays.equals(nonce, Arrays.copyOfRange(wire, k, k + nonce.length)));
        }
    }

    @ParameterizedTest
    @MethodSource("suites")
    void unencryptedPayloadsBeforeSkArePreservedAndProtected(EncryptionAlgorithm e, IntegrityAlgorithm i)
            throws Exception {
        List<IkePayload> before = List.of(NotifyPayload.of(NotifyType.INITIAL_CONTACT));
        byte[] wire = sk(e, i).encrypt(HEADER, before, INNER);
        IkeMessage plain = sk(e, i).decrypt(wire);
        assertEquals(Stream.concat(before.stream(), INNER.stream()).toList(), plain.payloads());
        // The unencrypted payload's bytes are covered too (offset 28 is its first octet).
        byte[] t = wire.clone();
        t[IkeHeader.LENGTH + 6] ^= 1;
        assertThrows(SkIntegrityException.class, () -> sk(e, i).decrypt(t));
    }

    @ParameterizedTest
    @MethodSource("suites")
    void everyProtectedByteIsCovered(EncryptionAlgorithm e, IntegrityAlgorithm i) throws Exception {
        byte[] wire = sk(e, i).encrypt(HEADER, List.of(), INNER);
        SkCrypto receiver = sk(e, i);
        for (int k = 0; k < wire.length; k++) {
            if (k >= 24 && k < 28) {
                continue; // the Length field: changing it breaks decoding first, tested below
            }
            byte[] t = wire.clone();
            t[k] ^= 0x01;
            int at = k;
            Exception ex = assertThrows(Exception.class, () -> receiver.decrypt(t), "byte " + at);
            // Header fields the codec checks (version) may fail as syntax; all else is integrity.
            if (at >= IkeHeader.LENGTH + 4 || !(ex instanceof IkeParseException)) { // IV, ciphertext, ICV
                assertInstanceOf(SkIntegrityException.class, ex, "byte " + at);
            }
        }
        byte[] truncated = Arrays.copyOf(wire, wire.length - 1);
        assertThrows(IkeParseException.class, () -> receiver.decrypt(truncated));
    }

    @ParameterizedTest
    @MethodSource("suites")
    void anotherKeyFailsIntegrity(EncryptionAlgorithm e, IntegrityAlgorithm i) {
        byte[] wire = sk(e, i).encrypt(HEADER, List.of(), INNER);
        byte[] otherE = range(0x41, e.keyMaterialLength());
        SkCrypto other = SkCrypto.of(e, i, otherE, range(0x81, i.keyLength()), new SecureRandom());
        assertThrows(SkIntegrityException.class, () -> other.decrypt(wire));
    }

    @Test
    void cbcLayoutMatchesRfc7296Section314() throws Exception {
        EncryptionAlgorithm e = EncryptionAlgorithm.AES_CBC_128;
        IntegrityAlgorithm i = IntegrityAlgorithm.HMAC_SHA2_256_128;
        byte[] skE = range(0x40, 16);
        byte[] skA = range(0x80, 32);
        byte[] wire = SkCrypto.of(e, i, skE, skA, new SecureRandom()).encrypt(HEADER, List.of(), INNER);
        byte[] innerChain = PayloadChain.encode(INNER);
        int skOff = IkeHeader.LENGTH;
        int ivOff = skOff + 4;
        int ctOff = ivOff + 16;
        int icvOff = wire.length - 16;
        // ICV = HMAC-SHA-256-128 over everything before it.
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(skA, "HmacSHA256"));
        mac.update(wire, 0, icvOff);
        assertArrayEquals(Arrays.copyOf(mac.doFinal(), 16), Arrays.copyOfRange(wire, icvOff, wire.length));
        // Plaintext = inner payloads | padding | pad length, a whole number of blocks.
        Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(skE, "AES"), new IvParameterSpec(wire, ivOff, 16));
        byte[] pt = c.doFinal(wire, ctOff, icvOff - ctOff);
        int pad = pt[pt.length - 1];
        assertEquals(0, pt.length % 16);
        assertEquals(innerChain.length, pt.length - pad - 1);
        assertArrayEquals(innerChain, Arrays.copyOf(pt, innerChain.length));
        // SK generic header: Next Payload = first inner payload, length = whole SK payload.
        assertEquals(PayloadType.NONCE.value(), wire[skOff] & 0xff);
        assertEquals(wire.length - skOff, ((wire[skOff + 2] & 0xff) << 8) | (wire[skOff + 3] & 0xff));
    }

    @Test
    void gcmLayoutMatchesRfc5282() throws Exception {
        EncryptionAlgorithm e = EncryptionAlgorithm.AES_GCM_16_256;
        byte[] skE = range(0x40, 36);
        byte[] wire = SkCrypto.of(e, IntegrityAlgorithm.NONE, skE, new byte[0], new SecureRandom())
                .encrypt(HEADER, List.of(), INNER);
        int ivOff = IkeHeader.LENGTH + 4;
        byte[] nonce = new byte[12];
        System.arraycopy(skE, 32, nonce, 0, 4); // salt: last 4 bytes of SK_e
        System.arraycopy(wire, ivOff, nonce, 4, 8); // 8-byte IV
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(skE, 0, 32, "AES"), new GCMParameterSpec(128, nonce));
        c.updateAAD(wire, 0, ivOff); // IKE header + SK generic header
        byte[] pt = c.doFinal(wire, ivOff + 8, wire.length - ivOff - 8);
        byte[] innerChain = PayloadChain.encode(INNER);
        assertEquals(innerChain.length + 1 + pt[pt.length - 1], pt.length);
        assertArrayEquals(innerChain, Arrays.copyOf(pt, innerChain.length));
    }

    @Test
    void aeadIvsDoNotRepeat() {
        SkCrypto s = sk(EncryptionAlgorithm.AES_GCM_16_128, IntegrityAlgorithm.NONE);
        byte[] a = s.encrypt(HEADER, List.of(), INNER);
        byte[] b = s.encrypt(HEADER, List.of(), INNER);
        int ivOff = IkeHeader.LENGTH + 4;
        assertFalse(Arrays.equals(Arrays.copyOfRange(a, ivOff, ivOff + 8), Arrays.copyOfRange(b, ivOff, ivOff + 8)));
    }

    @Test
    void badPadLengthAfterValidIcvIsInvalidSyntax() throws Exception {
        // Build a CBC message whose pad length byte claims more than the plaintext holds.
        byte[] skE = range(0x40, 16);
        byte[] skA = range(0x80, 32);
        byte[] wire = SkCrypto.of(EncryptionAlgorithm.AES_CBC_128, IntegrityAlgorithm.HMAC_SHA2_256_128, skE, skA,
                new SecureRandom()).encrypt(HEADER, List.of(), INNER);
        int ivOff = IkeHeader.LENGTH + 4;
        int ctOff = ivOff + 16;
        int icvOff = wire.length - 16;
        Cipher d = Cipher.getInstance("AES/CBC/NoPadding");
        d.init(Cipher.DECRYPT_MODE, new SecretKeySpec(skE, "AES"), new IvParameterSpec(wire, ivOff, 16));
        byte[] pt = d.doFinal(wire, ctOff, icvOff - ctOff);
        pt[pt.length - 1] = (byte) 0xff;
        Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(skE, "AES"), new IvParameterSpec(wire, ivOff, 16));
        c.doFinal(pt, 0, pt.length, wire, ctOff);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(skA, "HmacSHA256"));
        mac.update(wire, 0, icvOff);
        System.arraycopy(mac.doFinal(), 0, wire, icvOff, 16);
        IkeParseException ex = assertThrows(IkeParseException.class, () -> SkCrypto.of(EncryptionAlgorithm.AES_CBC_128,
                IntegrityAlgorithm.HMAC_SHA2_256_128, skE, skA, new SecureRandom()).decrypt(wire));
        assertEquals(NotifyType.INVALID_SYNTAX, ex.errorNotify());
    }

    @Test
    void wrongKeyLengthsAndTransformsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SkCrypto.of(EncryptionAlgorithm.AES_CBC_128,
                IntegrityAlgorithm.HMAC_SHA2_256_128, new byte[15], new byte[32], new SecureRandom()));
        assertThrows(IllegalArgumentException.class, () -> SkCrypto.of(EncryptionAlgorithm.AES_GCM_16_128,
                IntegrityAlgorithm.NONE, new byte[16], new byte[0], new SecureRandom()));
        assertThrows(IllegalArgumentException.class, () -> SkCrypto.of(EncryptionAlgorithm.NULL,
                IntegrityAlgorithm.HMAC_SHA2_256_128, new byte[0], new byte[32], new SecureRandom()));
    }

    @Test
    void destroyedInstanceRefusesUse() {
        SkCrypto s = sk(EncryptionAlgorithm.AES_CBC_128, IntegrityAlgorithm.HMAC_SHA2_256_128);
        s.destroy();
        assertThrows(IllegalStateException.class, () -> s.encrypt(HEADER, List.of(), INNER));
    }
}
