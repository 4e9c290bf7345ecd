package io.ipsecmesh.crypto;

import static io.ipsecmesh.crypto.TestBytes.toHex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Round trips, tampering, ESN handling, argument checks and key handling of every ESP transform. */
class EspCiphersTest {

    /** One algorithm combination with keys drawn from a seeded generator. */
    record Suite(EncryptionAlgorithm enc, IntegrityAlgorithm integ, byte[] encKey, byte[] integKey) {
        static Suite of(EncryptionAlgorithm enc, IntegrityAlgorithm integ) {
            Random r = new Random(enc.ordinal() * 31L + integ.ordinal());
            byte[] k = new byte[enc.keyMaterialLength()];
            r.nextBytes(k);
            byte[] ik = new byte[integ.keyLength()];
            r.nextBytes(ik);
            return new Suite(enc, integ, k, ik);
        }

        EspCipher create() {
            return EspCiphers.create(enc, encKey.clone(), integ, integKey.clone(), new SplittableRandom(7));
        }

        @Override
        public String toString() {
            return new EspProposal(enc, integ).toString();
        }
    }

    /** Every legal combination: the three AEADs, and NULL, AES-CBC-128/256, 3DES with each HMAC. */
    static Stream<Suite> suites() {
        List<Suite> all = new ArrayList<>();
        for (EncryptionAlgorithm enc : EncryptionAlgorithm.values()) {
            if (enc.isAead()) {
                all.add(Suite.of(enc, IntegrityAlgorithm.NONE));
            } else {
                for (IntegrityAlgorithm integ : IntegrityAlgorithm.values()) {
                    if (integ != IntegrityAlgorithm.NONE) {
                        all.add(Suite.of(enc, integ));
                    }
                }
            }
        }
        return all.stream();
    }

    static Stream<Arguments> suitesWithAndWithoutEsn() {
        return suites().flatMap(s -> Stream.of(Arguments.of(s, false), Arguments.of(s, true)));
    }

    private static final int SPI = 0x1badc0de;

    /** A buffer with the ESP header at {@code off} and a recognizable plaintext after the IV. */
    private static byte[] packet(EspCipher c, int off, int ptLen, long seq) {
        byte[] buf = new byte[off + 8 + c.ivLength() + ptLen + c.icvLength() + 3];
        ByteBuffer.wrap(buf).putInt(off, SPI).putInt(off + 4, (int) seq);
        for (int i = 0; i < ptLen; i++) {
            buf[off + 8 + c.ivLength() + i] = (byte) (i * 7 + 3);
        }
        return buf;
    }

    private static long seqFor(boolean esn) {
        return esn ? 0x0000_0003_0000_0011L : 0x11L;
    }

    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("suitesWithAndWithoutEsn")
    void roundTrip(Suite s, boolean esn) {
        try (EspCipher tx = s.create(); EspCipher rx = s.create()) {
            assertEquals(s.enc().isAead() ? s.enc().aeadIcvLength() : s.integ().icvLength(), tx.icvLength());
            assertEquals(s.enc().ivLength(), tx.ivLength());
            assertEquals(s.enc().blockSize(), tx.blockSize());
            long seq = seqFor(esn);
            for (int ptLen : new int[] {tx.blockSize(), 4 * tx.blockSize(), 1392, 1400 - 1400 % tx.blockSize()}) {
                for (int off : new int[] {0, 13}) {
                    byte[] buf = packet(tx, off, ptLen, seq);
                    byte[] original = buf.clone();
                    int espLen = tx.seal(buf, off, ptLen, seq, esn);
                    assertEquals(8 + tx.ivLength() + ptLen + tx.icvLength(), espLen);
                    assertArrayEquals(Arrays.copyOfRange(original, off, off + 8), Arrays.copyOfRange(buf, off, off + 8),
                            "header untouched");
                    assertEquals(0, buf[off + espLen], "nothing written after the ICV");
                    int ptOff = off + 8 + tx.ivLength();
                    if (s.enc() != EncryptionAlgorithm.NULL) {
                        assertFalse(Arrays.equals(original, ptOff, ptOff + ptLen, buf, ptOff, ptOff + ptLen), "encrypted");
                    }
                    assertEquals(ptLen, rx.open(buf, off, espLen, seq, esn));
                    assertArrayEquals(Arrays.copyOfRange(original, ptOff, ptOff + ptLen),
                            Arrays.copyOfRange(buf, ptOff, ptOff + ptLen));
                    seq++;
                }
            }
        }
    }

    /** RFC 4303 §2.2.1 / RFC 4106 §5 / RFC 7634 §2.1: the high half is authenticated, not sent. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void esnHighBitsAreAuthenticatedButNotSent(Suite s) {
        long seq = 0x0000_0005_0000_0009L;
        try (EspCipher tx = s.create(); EspCipher rx = s.create()) {
            byte[] buf = packet(tx, 0, 64, seq);
            int espLen = tx.seal(buf, 0, 64, seq, true);
            assertEquals(8 + tx.ivLength() + 64 + tx.icvLength(), espLen, "no extra bytes on the wire");
            assertEquals(9, ByteBuffer.wrap(buf).getInt(4), "only the low half in the header");
            // Failed attempts leave the packet intact, so the receiver can retry with another
            // high half on the same buffer (RFC 4303 Appendix A3).
            assertEquals(-1, rx.open(buf, 0, espLen, seq + (1L << 32), true), "wrong high half");
            assertEquals(-1, rx.open(buf, 0, espLen, seq - (1L << 32), true), "wrong high half");
            assertEquals(-1, rx.open(buf, 0, espLen, seq, false), "ESN off at the receiver");
            assertEquals(64, rx.open(buf, 0, espLen, seq, true));
        }
    }

    @ParameterizedTest(name = "{0} esn={1}")
    @MethodSource("suitesWithAndWithoutEsn")
    void anyFlippedBitIsRefusedAndNothingIsDecrypted(Suite s, boolean esn) {
        long seq = seqFor(esn);
        try (EspCipher tx = s.create(); EspCipher rx = s.create()) {
            int ptLen = 48;
            byte[] sealed = packet(tx, 0, ptLen, seq);
            int espLen = tx.seal(sealed, 0, ptLen, seq, esn);
            int ivOff = 8;
            int ctOff = ivOff + tx.ivLength();
            int icvOff = ctOff + ptLen;
            // Bits in the SPI, the IV (if any), the first, a middle and the last ciphertext
            // byte, and the first and last ICV byte.
            List<Integer> positions = new ArrayList<>(List.of(0, 3, ctOff, ctOff + ptLen / 2, icvOff - 1, icvOff,
                    espLen - 1));
            if (tx.ivLength() > 0) {
                positions.add(ivOff);
                positions.add(ivOff + tx.ivLength() - 1);
            }
            for (int pos : positions) {
                for (int bit = 0; bit < 8; bit += 7) {
                    byte[] bad = sealed.clone();
                    bad[pos] ^= (byte) (1 << bit);
                    byte[] before = bad.clone();
                    assertEquals(-1, rx.open(bad, 0, espLen, seq, esn), "flipped bit " + bit + " of byte " + pos);
                    assertArrayEquals(before, bad, "no plaintext released for byte " + pos);
                }
            }
            // A flipped bit in the low sequence number (the receiver's estimate follows the header).
            byte[] bad = sealed.clone();
            bad[7] ^= 1;
            assertEquals(-1, rx.open(bad, 0, espLen, seq ^ 1, esn), "flipped sequence number");
            // The intact packet still opens.
            assertEquals(ptLen, rx.open(sealed, 0, espLen, seq, esn));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void malformedLengthsAreRefused(Suite s) {
        try (EspCipher tx = s.create(); EspCipher rx = s.create()) {
            int ptLen = 4 * tx.blockSize();
            byte[] buf = packet(tx, 0, ptLen, 1);
            int espLen = tx.seal(buf, 0, ptLen, 1, false);
            for (int len : new int[] {0, 7, 8, 8 + tx.ivLength() + tx.icvLength(), espLen - 1, espLen - tx.blockSize() + 1,
                    8 + tx.ivLength() + tx.icvLength() + tx.blockSize() - 1}) {
                if (len != espLen) {
                    assertEquals(-1, rx.open(buf.clone(), 0, len, 1, false), "length " + len);
                }
            }
            // Shorter than a header at the very end of the array: refused, not an exception.
            byte[] stub = Arrays.copyOf(buf, 5);
            assertEquals(-1, rx.open(stub, 0, 5, 1, false));
            assertEquals(-1, rx.open(stub, 2, 3, 1, false));
            // A whole block less: aligned, but the ICV is then taken from the ciphertext.
            assertEquals(-1, rx.open(buf.clone(), 0, espLen - tx.blockSize(), 1, false));
            assertEquals(ptLen, rx.open(buf, 0, espLen, 1, false));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void programmingErrorsThrow(Suite s) {
        try (EspCipher c = s.create()) {
            byte[] buf = packet(c, 0, 64, 1);
            assertThrows(IllegalArgumentException.class, () -> c.seal(buf, 0, 64 + 1, 1, false), "unaligned plaintext");
            assertThrows(IllegalArgumentException.class, () -> c.seal(buf, 0, 0, 1, false), "empty plaintext");
            assertThrows(IndexOutOfBoundsException.class, () -> c.seal(buf, 0, 128, 1, false), "buffer too small");
            assertThrows(IndexOutOfBoundsException.class, () -> c.seal(buf, -1, 64, 1, false));
            assertThrows(IllegalArgumentException.class, () -> c.seal(buf, 0, 64, 2, false), "seq not in the header");
            assertThrows(IndexOutOfBoundsException.class, () -> c.open(buf, 4, buf.length, 1, false));
            int espLen = 8 + c.ivLength() + 64 + c.icvLength();
            assertThrows(IllegalArgumentException.class, () -> c.open(buf, 0, espLen, 2, false), "seq not in the header");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = EncryptionAlgorithm.class, names = {"AES_GCM_16_128", "AES_GCM_16_256", "CHACHA20_POLY1305"})
    void aeadIvIsTheSequenceNumber(EncryptionAlgorithm enc) throws Exception {
        Suite s = Suite.of(enc, IntegrityAlgorithm.NONE);
        long seq = 0x0102_0304_0506_0708L;
        try (EspCipher c = s.create()) {
            byte[] buf = packet(c, 0, 32, seq);
            byte[] plain = Arrays.copyOfRange(buf, 16, 48);
            int espLen = c.seal(buf, 0, 32, seq, true);
            assertEquals("0102030405060708", toHex(buf, 8, 8));

            // Independent check of nonce and AAD with the plain JCE (RFC 4106 §4-5, RFC 7634 §2-2.1).
            byte[] key = Arrays.copyOf(s.encKey(), enc.keyLength());
            byte[] nonce = new byte[12];
            System.arraycopy(s.encKey(), enc.keyLength(), nonce, 0, 4);
            System.arraycopy(buf, 8, nonce, 4, 8);
            Cipher jce = Cipher.getInstance(enc == EncryptionAlgorithm.CHACHA20_POLY1305 ? "ChaCha20-Poly1305" : "AES/GCM/NoPadding");
            jce.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, enc == EncryptionAlgorithm.CHACHA20_POLY1305 ? "ChaCha20" : "AES"),
                    enc == EncryptionAlgorithm.CHACHA20_POLY1305 ? new IvParameterSpec(nonce) : new GCMParameterSpec(128, nonce));
            jce.updateAAD(ByteBuffer.allocate(12).putInt(SPI).putInt(0x01020304).putInt(0x05060708).array());
            assertArrayEquals(plain, jce.doFinal(buf, 16, espLen - 16));
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = EncryptionAlgorithm.class, names = {"AES_CBC_128", "AES_CBC_256", "TRIPLE_DES_CBC", "NULL"})
    void hmacIcvCoversPacketThenEsnHighBits(EncryptionAlgorithm enc) throws Exception {
        IntegrityAlgorithm integ = IntegrityAlgorithm.HMAC_SHA2_384_192;
        Suite s = Suite.of(enc, integ);
        long seq = 0x0000_00aa_0000_00bbL;
        try (EspCipher c = s.create()) {
            byte[] buf = packet(c, 0, 32, seq);
            int espLen = c.seal(buf, 0, 32, seq, true);
            Mac mac = Mac.getInstance("HmacSHA384");
            mac.init(new SecretKeySpec(s.integKey(), "HmacSHA384"));
            mac.update(buf, 0, espLen - 24);
            mac.update(new byte[] {0, 0, 0, (byte) 0xaa});
            byte[] expected = Arrays.copyOf(mac.doFinal(), 24);
            assertEquals(toHex(expected), toHex(buf, espLen - 24, 24), "RFC 4303 §3.3.2.1 and §2.2.1");
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = EncryptionAlgorithm.class, names = {"AES_CBC_128", "AES_CBC_256", "TRIPLE_DES_CBC"})
    void cbcIvsComeFromTheInjectedGenerator(EncryptionAlgorithm enc) {
        Suite s = Suite.of(enc, IntegrityAlgorithm.HMAC_SHA2_256_128);
        SplittableRandom twin = new SplittableRandom(99);
        try (EspCipher c = EspCiphers.create(enc, s.encKey(), s.integ(), s.integKey(), new SplittableRandom(99))) {
            byte[] previousCiphertext = null;
            for (long seq = 1; seq <= 3; seq++) {
                byte[] buf = packet(c, 0, 32, seq);
                c.seal(buf, 0, 32, seq, false);
                byte[] expectedIv = new byte[c.ivLength()];
                twin.nextBytes(expectedIv);
                assertEquals(toHex(expectedIv), toHex(buf, 8, c.ivLength()));
                byte[] ct = Arrays.copyOfRange(buf, 8 + c.ivLength(), 8 + c.ivLength() + 32);
                if (previousCiphertext != null) {
                    assertFalse(Arrays.equals(previousCiphertext, ct), "same plaintext, fresh IV, new ciphertext");
                }
                previousCiphertext = ct;
            }
        }
    }

    @Test
    void wrongKeyLengthsAreRefused() {
        for (EncryptionAlgorithm enc : EncryptionAlgorithm.values()) {
            IntegrityAlgorithm integ = enc.isAead() ? IntegrityAlgorithm.NONE : IntegrityAlgorithm.HMAC_SHA2_256_128;
            byte[] ik = new byte[integ.keyLength()];
            for (int delta : new int[] {-1, 1, -enc.saltLength()}) {
                if (delta == 0) {
                    continue;
                }
                int len = enc.keyMaterialLength() + delta;
                if (len < 0) {
                    continue;
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> EspCiphers.create(enc, new byte[len], integ, ik, new Random(1)), enc + " key length " + len);
                assertTrue(e.getMessage().contains(enc.keyword()) && e.getMessage().contains(String.valueOf(enc.keyMaterialLength())),
                        e.getMessage());
            }
        }
        for (IntegrityAlgorithm integ : List.of(IntegrityAlgorithm.HMAC_SHA2_256_128, IntegrityAlgorithm.HMAC_SHA2_384_192,
                IntegrityAlgorithm.HMAC_SHA2_512_256)) {
            for (int len : new int[] {0, 16, integ.keyLength() - 1, integ.keyLength() + 1}) {
                assertThrows(IllegalArgumentException.class, () -> EspCiphers.create(EncryptionAlgorithm.AES_CBC_128,
                        new byte[16], integ, new byte[len], new Random(1)), integ + " key length " + len);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> EspCiphers.create(EncryptionAlgorithm.AES_GCM_16_128,
                new byte[20], IntegrityAlgorithm.NONE, new byte[1], null), "AEAD with an integrity key");
    }

    @Test
    void badCombinationsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EspCiphers.create(
                EncryptionAlgorithm.AES_GCM_16_256, new byte[36], IntegrityAlgorithm.HMAC_SHA2_256_128, new byte[32], null));
        assertTrue(e.getMessage().contains("combined-mode"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EspCiphers.create(
                EncryptionAlgorithm.CHACHA20_POLY1305, new byte[36], IntegrityAlgorithm.HMAC_SHA2_512_256, new byte[64], null));
        assertTrue(e.getMessage().contains("combined-mode"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EspCiphers.create(
                EncryptionAlgorithm.AES_CBC_256, new byte[32], IntegrityAlgorithm.NONE, null, new Random(1)));
        assertTrue(e.getMessage().contains("needs an integrity algorithm"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EspCiphers.create(
                EncryptionAlgorithm.NULL, null, IntegrityAlgorithm.NONE, null, null));
        assertTrue(e.getMessage().contains("NULL encryption without integrity"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> EspCiphers.create(
                EncryptionAlgorithm.AES_CBC_128, new byte[16], IntegrityAlgorithm.HMAC_SHA2_256_128, new byte[32], null));
        assertTrue(e.getMessage().contains("random"), e.getMessage());
        assertThrows(NullPointerException.class, () -> EspCiphers.create(null, new byte[16], IntegrityAlgorithm.NONE, null, null));
        assertThrows(NullPointerException.class, () -> EspCiphers.create(EncryptionAlgorithm.AES_GCM_16_128, new byte[20], null,
                null, null));
    }

    @Test
    void degenerateTripleDesKeysAreRefused() {
        byte[] k1 = new byte[8];
        byte[] k2 = new byte[8];
        Arrays.fill(k1, (byte) 0x13);
        Arrays.fill(k2, (byte) 0x57);
        byte[] k1ParityFlipped = k1.clone();
        k1ParityFlipped[3] ^= 1;
        for (byte[] key : List.of(TestBytes.concat(k1, k1, k2), TestBytes.concat(k1, k2, k2),
                TestBytes.concat(k1, k1ParityFlipped, k2))) {
            assertThrows(IllegalArgumentException.class, () -> EspCiphers.create(EncryptionAlgorithm.TRIPLE_DES_CBC, key,
                    IntegrityAlgorithm.HMAC_SHA2_256_128, new byte[32], new Random(1)));
        }
        // K1 == K3 (keying option 2) is allowed.
        EspCiphers.create(EncryptionAlgorithm.TRIPLE_DES_CBC, TestBytes.concat(k1, k2, k1), IntegrityAlgorithm.HMAC_SHA2_256_128,
                new byte[32], new Random(1)).close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void keysAreCopiedAndNeverPrinted(Suite s) {
        byte[] encKey = s.encKey().clone();
        byte[] integKey = s.integKey().clone();
        try (EspCipher tx = EspCiphers.create(s.enc(), encKey, s.integ(), integKey, new Random(5)); EspCipher rx = s.create()) {
            Arrays.fill(encKey, (byte) 0);
            Arrays.fill(integKey, (byte) 0);
            byte[] buf = packet(tx, 0, 32, 9);
            int len = tx.seal(buf, 0, 32, 9, false);
            assertEquals(32, rx.open(buf, 0, len, 9, false), "sender kept its own copy of the keys");
            String text = tx.toString();
            assertTrue(text.contains(new EspProposal(s.enc(), s.integ()).toString()), text);
            for (byte[] key : List.of(s.encKey(), s.integKey())) {
                if (key.length >= 4) {
                    assertFalse(text.toLowerCase().contains(toHex(key, 0, 4)), text);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("suites")
    void closedCipherRefusesWork(Suite s) {
        EspCipher c = s.create();
        byte[] buf = packet(c, 0, 32, 1);
        int len = c.seal(buf, 0, 32, 1, false);
        assertFalse(((AbstractEspCipher) c).keysDestroyed());
        c.close();
        assertTrue(((AbstractEspCipher) c).keysDestroyed(), "close() wipes every key copy");
        c.close();
        assertThrows(IllegalStateException.class, () -> c.seal(packet(c, 0, 32, 2), 0, 32, 2, false));
        assertThrows(IllegalStateException.class, () -> c.open(buf, 0, len, 1, false));
        assertTrue(c.toString().contains("closed"));
    }

    @Test
    void rawKeyDestroyZeroesAndRefusesFurtherUse() {
        Suite s = Suite.of(EncryptionAlgorithm.AES_GCM_16_128, IntegrityAlgorithm.NONE);
        RawSecretKey key = new RawSecretKey(s.encKey(), 0, 16, "AES");
        assertFalse(key.isDestroyed());
        assertEquals(16, key.getEncoded().length);
        assertNotEquals(-1, key.toString().indexOf("128 bits"));
        key.destroy();
        assertTrue(key.isDestroyed());
        assertThrows(IllegalStateException.class, key::getEncoded);
    }
}
