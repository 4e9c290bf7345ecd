package io.ipsecmesh.crypto;

import static io.ipsecmesh.crypto.TestBytes.ascii;
import static io.ipsecmesh.crypto.TestBytes.concat;
import static io.ipsecmesh.crypto.TestBytes.hex;
import static io.ipsecmesh.crypto.TestBytes.range;
import static io.ipsecmesh.crypto.TestBytes.toHex;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * AES-CBC against RFC 3602 §4. Cases 1-4 are raw cipher vectors (key, IV, plaintext,
 * ciphertext): checked on the JCE cipher and, wrapped into an ESP packet, through the
 * package-private {@code sealWithIv}, since CBC output does not depend on the ESP header.
 * Cases 5-8 are whole ESP packets (transport and tunnel mode) without ICV, RFC 3602 being
 * about encryption only: the sealed packet must equal the published one up to the end of the
 * ciphertext, and the published packet, completed with an HMAC-SHA-256-128 ICV computed here
 * independently, must open to the published payload with its RFC 4303 §2.4 padding.
 */
class CbcEspVectorsTest {

    private static final byte[] MAC_KEY = range(0x60, 0x7f);

    record CbcVector(String name, String key, String iv, byte[] plaintext, String ciphertext) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<CbcVector> rawCases() {
        return Stream.of(
                new CbcVector("RFC 3602 §4 Case #1: 16 bytes", "06a9214036b8a15b512e03d534120006",
                        "3dafba429d9eb430b422da802c9fac41", ascii("Single block msg"), "e353779c1079aeb82708942dbe77181a"),
                new CbcVector("RFC 3602 §4 Case #2: 32 bytes", "c286696d887c9aa0611bbb3e2025a45a",
                        "562e17996d093d28ddb3ba695a2e6f58", range(0x00, 0x1f),
                        "d296cd94c2cccf8a3a863028b5e1dc0a 7586602d253cfff91b8266bea6d61ab1"),
                new CbcVector("RFC 3602 §4 Case #3: 48 bytes", "6c3ea0477630ce21a2ce334aa746c2cd",
                        "c782dc4c098c66cbd9cd27d825682c81", ascii("This is a 48-byte message (exactly 3 AES blocks)"),
                        "d0a02b3836451753d493665d33f0e886 2dea54cdb293abc7506939276772f8d5 021c19216bad525c8579695d83ba2684"),
                new CbcVector("RFC 3602 §4 Case #4: 64 bytes", "56e47a38c5598974bc46903dba290349",
                        "8ce82eefbea0da3c44699ed7db51b7d9", range(0xa0, 0xdf),
                        "c30e32ffedc0774e6aff6af0869f71aa 0f3af07a9a31a9c684db207eb0ef8e4e"
                                + "35907aa632c3ffdf868bb7b29d3d46ad 83ce9f9a102ee99d49a53e87f4c3da55"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rawCases")
    void rawCaseOnTheJceCipher(CbcVector v) throws Exception {
        Cipher aes = Cipher.getInstance("AES/CBC/NoPadding");
        aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(hex(v.key()), "AES"), new IvParameterSpec(hex(v.iv())));
        assertEquals(toHex(hex(v.ciphertext())), toHex(aes.doFinal(v.plaintext())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rawCases")
    void rawCaseThroughTheEspCipher(CbcVector v) {
        byte[] pt = v.plaintext();
        byte[] buf = new byte[8 + 16 + pt.length + 16];
        System.arraycopy(hex("00001234 00000001"), 0, buf, 0, 8);
        System.arraycopy(pt, 0, buf, 24, pt.length);
        try (AbstractEspCipher c = (AbstractEspCipher) EspCiphers.create(EncryptionAlgorithm.AES_CBC_128, hex(v.key()),
                IntegrityAlgorithm.HMAC_SHA2_256_128, MAC_KEY, new Random(1))) {
            int len = c.sealWithIv(buf, 0, pt.length, 1, false, hex(v.iv()));
            assertEquals(buf.length, len);
            assertEquals(toHex(hex(v.iv())), toHex(buf, 8, 16));
            assertEquals(toHex(hex(v.ciphertext())), toHex(buf, 24, pt.length));
            assertEquals(pt.length, c.open(buf, 0, len, 1, false));
            assertEquals(toHex(pt), toHex(buf, 24, pt.length));
        }
    }

    /**
     * An RFC 3602 ESP packet: the payload and next header as published, the padding being the
     * RFC 4303 §2.4 default (1, 2, 3, ...) to a 16-byte boundary, as in the RFC's plaintext.
     */
    record EspCase(String name, String key, long seq, String payload, int nextHeader, String iv, String packet) {
        byte[] plaintext() {
            byte[] p = hex(payload);
            int padLen = (16 - (p.length + 2) % 16) % 16;
            byte[] trailer = new byte[padLen + 2];
            for (int i = 0; i < padLen; i++) {
                trailer[i] = (byte) (i + 1);
            }
            trailer[padLen] = (byte) padLen;
            trailer[padLen + 1] = (byte) nextHeader;
            return concat(p, trailer);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<EspCase> espCases() {
        return Stream.of(
                new EspCase("RFC 3602 §4 Case #5: transport-mode ping, SPI 0x4321, seq 1", "90d382b410eeba7ad938c46cec1a82bf", 1,
                        """
                        08000ebda70a00008e9c083db95b0700 08090a0b0c0d0e0f1011121314151617
                        18191a1b1c1d1e1f2021222324252627 28292a2b2c2d2e2f3031323334353637""", 1,
                        "e96e8c08ab465763fd098d45dd3ff893",
                        """
                        0000432100000001e96e8c08ab465763 fd098d45dd3ff893f663c25d325c18c6
                        a9453e194e120849a4870b66cc6b9965 330013b4898dc856a4699e523a55db08
                        0b59ec3a8e4b7e52775b07d1db34ed9c 538ab50c551b874aa269add047ad2d59
                        13ac19b7cfbad4a6"""),
                new EspCase("RFC 3602 §4 Case #6: transport-mode ping, SPI 0x4321, seq 8", "90d382b410eeba7ad938c46cec1a82bf", 8,
                        "0800b5e8a80a0500a69c083d0b660e00 777777777777777777777777", 1,
                        "69d08df7d203329db093fc4924e5bd80",
                        """
                        000043210000000869d08df7d203329d b093fc4924e5bd80f51995881ec4e0c4
                        488987ce742e8109689bb379d2d750c0 d915dca346a89f75"""),
                new EspCase("RFC 3602 §4 Case #7: tunnel-mode ping, SPI 0x8765, seq 2", "0123456789abcdef0123456789abcdef", 2,
                        """
                        45000054090400004001f988c0a87b03 c0a87bc808009f76a90a0100b49c083d
                        02a2040008090a0b0c0d0e0f10111213 1415161718191a1b1c1d1e1f20212223
                        2425262728292a2b2c2d2e2f30313233 34353637""", 4,
                        "f4e765244f6407adf13dc1380f673f37",
                        """
                        0000876500000002f4e765244f6407ad f13dc1380f673f37773b5241a4c44922
                        5e4f3ce5ed611b0c237ca96cf74a9301 3c1b0ea1a0cf70f8e4ecaec78ac53aad
                        7a0f022b859243c647752e94a859352b 8a4d4d2decd136e5c177f132ad3fbfb2
                        201ac9904c74ee0a109e0ca1e4dfe9d5 a100b842f1c22f0d"""),
                new EspCase("RFC 3602 §4 Case #8: tunnel-mode ping, SPI 0x8765, seq 5", "0123456789abcdef0123456789abcdef", 5,
                        """
                        45000044090c00004001f990c0a87b03 c0a87bc80800d63caa0a0200c69c083d
                        a3de0300ffffffffffffffffffffffff ffffffffffffffffffffffffffffffff
                        ffffffff""", 4,
                        "85d47224b5f3dd5d2101d4ea8dffab22",
                        """
                        000087650000000585d47224b5f3dd5d 2101d4ea8dffab2215b92683819596a8
                        047232cc00f7048fe45318e11f8a0f62 ede3c3fc61203bb50f980a08c9843fd3
                        a1b06d5c07ff9639b7eb7dfb3512e5de 435e7207ed971ef3d2726d9b5ef6affc
                        6d17a0decbb13892"""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("espCases")
    void sealReproducesThePublishedPacket(EspCase v) throws Exception {
        byte[] packet = hex(v.packet());
        byte[] pt = v.plaintext();
        assertEquals(packet.length, 8 + 16 + pt.length, "published packet = header + IV + ciphertext");
        byte[] buf = new byte[packet.length + 16];
        System.arraycopy(packet, 0, buf, 0, 8);
        System.arraycopy(pt, 0, buf, 24, pt.length);
        try (AbstractEspCipher c = (AbstractEspCipher) EspCiphers.create(EncryptionAlgorithm.AES_CBC_128, hex(v.key()),
                IntegrityAlgorithm.HMAC_SHA2_256_128, MAC_KEY, new Random(2))) {
            assertEquals(buf.length, c.sealWithIv(buf, 0, pt.length, v.seq(), false, hex(v.iv())));
        }
        assertEquals(toHex(packet), toHex(buf, 0, packet.length));
        assertEquals(toHex(independentIcv(packet)), toHex(buf, packet.length, 16), "RFC 4303 §3.3.2.1 ICV");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("espCases")
    void openRecoversThePublishedPayload(EspCase v) throws Exception {
        byte[] packet = hex(v.packet());
        byte[] buf = concat(packet, independentIcv(packet));
        try (EspCipher c = EspCiphers.create(EncryptionAlgorithm.AES_CBC_128, hex(v.key()), IntegrityAlgorithm.HMAC_SHA2_256_128,
                MAC_KEY, new Random(3))) {
            int n = c.open(buf, 0, buf.length, v.seq(), false);
            assertEquals(v.plaintext().length, n);
            assertEquals(toHex(v.plaintext()), toHex(buf, 24, n));
            // Payload, then the trailer: pad length and next header at the end.
            assertEquals(v.nextHeader(), buf[24 + n - 1]);
            byte[] payload = hex(v.payload());
            assertEquals(toHex(payload), toHex(Arrays.copyOfRange(buf, 24, 24 + payload.length)));
        }
    }

    /** HMAC-SHA-256 of the whole packet, truncated to 128 bits, with the plain JCE. */
    private static byte[] independentIcv(byte[] packet) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(MAC_KEY, "HmacSHA256"));
        return Arrays.copyOf(mac.doFinal(packet), 16);
    }
}
