package io.ipsecmesh.crypto;

import static io.ipsecmesh.crypto.TestBytes.ascii;
import static io.ipsecmesh.crypto.TestBytes.concat;
import static io.ipsecmesh.crypto.TestBytes.hex;
import static io.ipsecmesh.crypto.TestBytes.range;
import static io.ipsecmesh.crypto.TestBytes.toHex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Combined-mode ESP against published whole-packet vectors:
 * <ul>
 *   <li>AES-GCM: draft-mcgrew-gcm-test-01 (March 2009) §4 "Test Cases", the AES-GCM ESP
 *       packets with 128- and 256-bit keys, with and without extended sequence numbers
 *       (the single AES-192 packet is left out: ipsec-mesh has no AES-192);</li>
 *   <li>ChaCha20-Poly1305: RFC 7634 Appendix A (the ESP example) and RFC 8439 §2.8.2.</li>
 * </ul>
 * The published explicit IVs are arbitrary, whereas {@link EspCipher#seal} derives the IV
 * from the sequence number; so {@code open} runs on the published packet, and the
 * package-private {@code sealWithIv} (the path {@code seal} uses once it has chosen the IV)
 * must reproduce the published packet byte for byte.
 */
class AeadEspVectorsTest {

    private static final EncryptionAlgorithm GCM128 = EncryptionAlgorithm.AES_GCM_16_128;
    private static final EncryptionAlgorithm GCM256 = EncryptionAlgorithm.AES_GCM_16_256;

    /**
     * One ESP packet: keying material (key || salt), the full sequence number and whether it
     * is extended, the explicit IV, the plaintext (payload, padding, pad length, next header)
     * and the whole ESP packet (SPI, low 32 bits of the sequence number, IV, ciphertext, ICV).
     */
    record EspVector(String name, EncryptionAlgorithm alg, String keyAndSalt, long seq, boolean esn, String iv,
                     String plaintext, String packet) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<EspVector> mcgrewGcm() {
        return Stream.of(
                new EspVector("draft-mcgrew-gcm-test-01 §4 #1: AES-128, ESN", GCM128,
                        "4c80cdefbb5d10da906ac73c3613a634 2e443b68", 0x8765432100000000L, true, "4956ed7e3b244cfe",
                        """
                        45000048699a000080114db7c0a80102 c0a801010a9bf15638d3010000010000
                        00000000045f736970045f7564700373 69700963796265726369747902646b00
                        0021000101020201""",
                        """
                        00004321000000004956ed7e3b244cfe fecf537e729d5b07dc30df528dd22b76
                        8d1b98736696a6fd348509fa13ceac34 cfa2436f14a3f3cf65925bf1f4a13c5d
                        15b21e1884f5ff6247aeabb786b93bce 61bc17d768fd9732459018148f6cbe72
                        2fd04796562dfdb4"""),
                new EspVector("draft-mcgrew-gcm-test-01 §4 #2: AES-128", GCM128,
                        "feffe9928665731c6d6a8f9467308308 cafebabe", 0x0000000aL, false, "facedbaddecaf888",
                        """
                        4500003e698f000080114dccc0a80102 c0a801010a980035002a2343b2d00100
                        00010000000000000373697009637962 65726369747902646b00000100010001""",
                        """
                        0000a5f80000000afacedbaddecaf888 deb22cd9b07c72c16e3a65beeb8df304
                        a5a5897d33ae530f1ba76d5d114d2a5c 3de81827c10e9a4f51330d0eec416642
                        cfbb85a5b47e48a4ec3b9ba95d918bd1 83b70d3aa8bc6ee4c309e9d85a41ad4a"""),
                new EspVector("draft-mcgrew-gcm-test-01 §4 #3: AES-256", GCM256,
                        "abbccddef00112233445566778899aab abbccddef00112233445566778899aab 11223344", 2L, false,
                        "0102030405060708",
                        """
                        4500003069a6400080062690c0a80102 9389155e0a9e008b2dc57ee000000000
                        7002400020bf0000020405b401010402 01020201""",
                        """
                        4a2cbfe3000000020102030405060708 ff425c9b724599df7a3bcd510194e00d
                        6a78107f1b0b1cbf06efae9d65a5d763 748a637985771d347f0545659f14e99d
                        ef842d8eb335f4eecfdbf831824b4c49 15956c96"""),
                new EspVector("draft-mcgrew-gcm-test-01 §4 #4: AES-128, zero key", GCM128,
                        "00000000000000000000000000000000 00000000", 1L, false, "0000000000000000",
                        """
                        4500003c99c500008001cb7a40679318 010101010800075c0200440061626364
                        65666768696a6b6c6d6e6f7071727374 75767761626364656667686901020201""",
                        """
                        00000000000000010000000000000000 4688daf2f973a392732909c331d56d60
                        f694abaa414b5e7ff5fdcdfff5e9a284 456476492719ffb64de7d9dca1e1d894
                        bc3bd57873ed4d181d19d4d5c8c18af3 f821d496eeb096e98ad2b69e4799c71d"""),
                new EspVector("draft-mcgrew-gcm-test-01 §4 #5: AES-128, ESN", GCM128,
                        "3de09874b388e6491988d0c3607eae1f 57690e43", 0x1010101010101010L, true, "4e280000a2fca1a3",
                        """
                        4500003c99c300008001cb7c40679318 010101010800085c0200430061626364
                        65666768696a6b6c6d6e6f7071727374 75767761626364656667686901020201""",
                        """
                        42f67e3f101010104e280000a2fca1a3 fba2caa4853cf9f0f22cb10d86dd83b0
                        fec75691cf1a04b00d1138ec9c357917 65acbd8701ad79845bf9fe3fba487bc9
                        1755e6662b4c8d0d1f5e22739530320a e0d731cc978ecafaeae88f00e80d6e48"""),
                new EspVector("draft-mcgrew-gcm-test-01 §4 #6: AES-128, ESN, short", GCM128,
                        "3de09874b388e6491988d0c3607eae1f 57690e43", 0x1010101010101010L, true, "4e280000a2fca1a3",
                        "4500001c42a200008001441f406793b6 e00000020a00f5ff01020201",
                        """
                        42f67e3f101010104e280000a2fca1a3 fba2ca845e5df9f0f22c3e6e86dd831e
                        1fc65792cd1af9130e1379ed369f071f 35e034be95f112e4e7d05d35"""),
                new EspVector("draft-mcgrew-gcm-test-01 §4 #8: AES-128, ESN", GCM128,
                        "abbccddef00112233445566778899aab decaf888", 0x0000000000000001L, true, "cafedebaceface74",
                        """
                        4500004933ba00007f119106c3fb1d10 c2b1d326c02831ce0035dd7b800302d5
                        00004e20001e8c18d75b81dc91baa047 6b91b924b280389d92c963bac046ec95
                        9b6266c04722b14923010101""",
                        """
                        0000010000000001cafedebaceface74 18a6fd42f72cbf4ab2a2ea901f73d814
                        e3e7f243d95412e1c349c1d2fbec168f 9190feebaf2cb01984e65863965d7472
                        b79da345e0e780191f0d2f0e0f496c22 6f2127b27db35724e7845d68651f57e6
                        5f354f75ff17015769623436"""),
                new EspVector("draft-mcgrew-gcm-test-01 §4 #9: AES-256, ESN", GCM256,
                        "abbccddef00112233445566778899aab abbccddef00112233445566778899aab 73616c74",
                        0x156f3126dd0db99bL, true, "616e640169766563",
                        """
                        45080028732c00004006e9f90a010612 0a01038f06b88023dd6bafbecb712602
                        50101f646d540001""",
                        """
                        17405e67dd0db99b616e640169766563 f2d69ecdbd5a0d5b8d5ef38bad4da58d
                        1f278fde98ef67549d524a3018d9a57f f4d3a31ce673119e451626c2415771e3
                        b7eebca614c89b35"""),
                new EspVector("draft-mcgrew-gcm-test-01 §4 #10: AES-128, ESN", GCM128,
                        "3de09874b388e6491988d0c3607eae1f 57690e43", 0x1010101010101010L, true, "4e280000a2fca1a3",
                        """
                        45000049333e00007f119182c3fb1d10 c2b1d326c02831ce0035cb458003025b
                        000001e0001e8c18d65759d52284a035 2c71475c8880391c764d6e5ee0496b32
                        5ae270c03899493915010101""",
                        """
                        42f67e3f101010104e280000a2fca1a3 fba2cad12fc1f9f00d3cebf305410db8
                        3d7784b607323d220f24b0a97d541828 00cadb0f68d99ef0e0c0c89ae9bea888
                        4e52d65bc1afd0740f742444747b5b39 ab533163aad4550ee5160975cdb608c5
                        769189609763b8e18caa81e2"""),
                new EspVector("draft-mcgrew-gcm-test-01 §4 #11: AES-256, ESN", GCM256,
                        "abbccddef00112233445566778899aab abbccddef00112233445566778899aab 73616c74",
                        0x156f3126dd0db99bL, true, "616e640169766563",
                        """
                        636973636f0172756c65730174686501 6e6574776501646566696e6501746865
                        746563686e6f6c6f6769657301746861 7477696c6c01646566696e65746f6d6f
                        72726f7701020201""",
                        """
                        17405e67dd0db99b616e640169766563 d4b7ed86a1777f2ea13d6973d324c69e
                        7b43f826fb56831226508bebd2dceb18 d0a6df10e5487df074113e14c641024e
                        3e6773d91a62ee429b043a10e3efe6b0 12a49363412364f8c0cac587f249e56b
                        11e24f30e44ccc76"""),
                new EspVector("draft-mcgrew-gcm-test-01 §4 #12: AES-128, 4-byte plaintext", GCM128,
                        "7d773d00c144c525ac619d18c84a3f47 d9664267", 0xffffffffL, false, "43457e9182443bc6",
                        "01020201",
                        """
                        335467aeffffffff43457e9182443bc6 437f866bcb3f699fe9b0822bac961c45
                        04bef270"""),
                new EspVector("draft-mcgrew-gcm-test-01 §4 #13: AES-128, ESN", GCM128,
                        "abbccddef00112233445566778899aab decaf888", 0x0000000000000001L, true, "cafedebaceface74",
                        "746f016265016f72016e6f7401746f01 62650001",
                        """
                        0000010000000001cafedebaceface74 29c9fc69a197d038ccdd14e2ddfcaa05
                        43332164412503524303ed3c6c5f2838 43af8c3e"""),
                new EspVector("draft-mcgrew-gcm-test-01 §4 #14: AES-256, ESN all ones", GCM256,
                        "6c6567616c697a656d6172696a75616e 61616e64646f69746265666f72656961 7475726e",
                        0xffffffffffffffffL, true, "333021696765746d",
                        """
                        45000030da3a00008001df3bc0a80005 c0a800010800c6cd0200070061626364
                        65666768696a6b6c6d6e6f7071727374 01020201""",
                        """
                        796b6963ffffffff333021696765746d f97ab2aa356d8edce17644ac8c78e25d
                        d24dedbb29ebf1b64a274b39b49c3a86 4cd3d78ca4ae68a32b42458fb57dbe82
                        1dcc63b9d0937ba2945f669368661a32 9fb4c053"""));
    }

    /** RFC 7634 Appendix A.1: SPI 0x01020304, sequence number 5, IV 0x1011121314151617. */
    static Stream<EspVector> rfc7634() {
        return Stream.of(new EspVector("RFC 7634 Appendix A.1 ESP example", EncryptionAlgorithm.CHACHA20_POLY1305,
                """
                80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f
                90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f
                a0 a1 a2 a3""", 5L, false, "10 11 12 13 14 15 16 17",
                """
                45 00 00 54 a6 f2 00 00 40 01 e7 78 c6 33 64 05
                c0 00 02 05 08 00 5b 7a 3a 08 00 00 55 3b ec 10
                00 07 36 27 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13
                14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 20 21 22 23
                24 25 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33
                34 35 36 37 01 02 02 04""",
                """
                01 02 03 04 00 00 00 05 10 11 12 13 14 15 16 17
                24 03 94 28 b9 7f 41 7e 3c 13 75 3a 4f 05 08 7b
                67 c3 52 e6 a7 fa b1 b9 82 d4 66 ef 40 7a e5 c6
                14 ee 80 99 d5 28 44 eb 61 aa 95 df ab 4c 02 f7
                2a a7 1e 7c 4c 4f 64 c9 be fe 2f ac c6 38 e8 f3
                cb ec 16 3f ac 46 9b 50 27 73 f6 fb 94 e6 64 da
                91 65 b8 28 29 f6 41 e0
                76 aa a8 26 6b 7f b0 f7 b1 1b 36 99 07 e1 ad 43"""));
    }

    static Stream<EspVector> all() {
        return Stream.concat(mcgrewGcm(), rfc7634());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void openGivesThePublishedPlaintext(EspVector v) {
        byte[] packet = hex(v.packet());
        byte[] plaintext = hex(v.plaintext());
        int off = 11;
        byte[] buf = new byte[off + packet.length + 7];
        System.arraycopy(packet, 0, buf, off, packet.length);
        try (EspCipher c = EspCiphers.create(v.alg(), hex(v.keyAndSalt()), IntegrityAlgorithm.NONE, null, null)) {
            assertEquals(8 + 8 + plaintext.length + 16, packet.length, "vector length");
            int n = c.open(buf, off, packet.length, v.seq(), v.esn());
            assertEquals(plaintext.length, n);
            assertEquals(toHex(plaintext), toHex(buf, off + 16, n));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void sealWithThePublishedIvGivesThePublishedPacket(EspVector v) {
        byte[] packet = hex(v.packet());
        byte[] plaintext = hex(v.plaintext());
        byte[] buf = new byte[packet.length];
        System.arraycopy(packet, 0, buf, 0, 8); // SPI and low sequence number
        System.arraycopy(plaintext, 0, buf, 16, plaintext.length);
        try (AbstractEspCipher c = (AbstractEspCipher) EspCiphers.create(v.alg(), hex(v.keyAndSalt()),
                IntegrityAlgorithm.NONE, null, null)) {
            int len = c.sealWithIv(buf, 0, plaintext.length, v.seq(), v.esn(), hex(v.iv()));
            assertEquals(packet.length, len);
            assertEquals(toHex(packet), toHex(buf));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void theVectorIsRefusedWithTheWrongSequenceNumberContext(EspVector v) {
        byte[] packet = hex(v.packet());
        try (EspCipher c = EspCiphers.create(v.alg(), hex(v.keyAndSalt()), IntegrityAlgorithm.NONE, null, null)) {
            if (v.esn()) {
                // Another high half of the ESN (it is authenticated but not sent) ...
                assertEquals(-1, c.open(packet.clone(), 0, packet.length, v.seq() ^ (1L << 40), true));
                // ... or the packet taken for a non-ESN one.
                assertEquals(-1, c.open(packet.clone(), 0, packet.length, v.seq(), false));
            } else {
                assertEquals(-1, c.open(packet.clone(), 0, packet.length, v.seq() | (1L << 32), true));
            }
        }
    }

    private static final byte[] RFC8439_KEY = range(0x80, 0x9f);
    private static final byte[] RFC8439_NONCE = hex("07000000 40414243 44454647");
    private static final byte[] RFC8439_AAD = hex("50515253 c0c1c2c3 c4c5c6c7");
    private static final byte[] RFC8439_PLAINTEXT = ascii("Ladies and Gentlemen of the class of '99: If I could offer you"
            + " only one tip for the future, sunscreen would be it.");
    private static final byte[] RFC8439_CIPHERTEXT = hex("""
            d3 1a 8d 34 64 8e 60 db 7b 86 af bc 53 ef 7e c2
            a4 ad ed 51 29 6e 08 fe a9 e2 b5 a7 36 ee 62 d6
            3d be a4 5e 8c a9 67 12 82 fa fb 69 da 92 72 8b
            1a 71 de 0a 9e 06 0b 29 05 d6 a5 b6 7e cd 3b 36
            92 dd bd 7f 2d 77 8b 8c 98 03 ae e3 28 09 1b 58
            fa b3 24 e4 fa d6 75 94 55 85 80 8b 48 31 d7 bc
            3f f4 de f0 8e 4b 7a 9d e5 76 d2 65 86 ce c6 4b
            61 16""");
    private static final byte[] RFC8439_TAG = hex("1ae10b594f09e26a7e902ecbd0600691");

    /** RFC 8439 §2.8.2 on the JCE primitive itself. */
    @Test
    void rfc8439AeadVectorOnTheJce() throws Exception {
        Cipher cipher = Cipher.getInstance("ChaCha20-Poly1305");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(RFC8439_KEY, "ChaCha20"), new IvParameterSpec(RFC8439_NONCE));
        cipher.updateAAD(RFC8439_AAD);
        byte[] out = cipher.doFinal(RFC8439_PLAINTEXT);
        assertEquals(toHex(concat(RFC8439_CIPHERTEXT, RFC8439_TAG)), toHex(out));
    }

    /**
     * RFC 8439 §2.8.2 through this package's nonce and AAD construction: its 12-byte AAD has
     * the ESN layout SPI || seq high || seq low (SPI 0x50515253, sequence number
     * 0xc0c1c2c3c4c5c6c7) and its nonce is salt 0x07000000 || IV 0x4041424344454647. The
     * 114-byte plaintext is not 4-byte aligned, so this drives the steps after the RFC 4303
     * length checks.
     */
    @Test
    void rfc8439AeadVectorAsAnEspPacketWithEsn() {
        long seq = 0xc0c1c2c3c4c5c6c7L;
        byte[] packet = concat(hex("50515253 c4c5c6c7 4041424344454647"), RFC8439_CIPHERTEXT, RFC8439_TAG);
        byte[] keyAndSalt = concat(RFC8439_KEY, hex("07000000"));
        // One instance per direction, as in use (the JDK's ChaCha20 refuses to encrypt with the
        // key and nonce of the previous initialization, even a decryption).
        try (AbstractEspCipher rx = (AbstractEspCipher) EspCiphers.create(EncryptionAlgorithm.CHACHA20_POLY1305, keyAndSalt,
                IntegrityAlgorithm.NONE, null, null);
             AbstractEspCipher tx = (AbstractEspCipher) EspCiphers.create(EncryptionAlgorithm.CHACHA20_POLY1305, keyAndSalt,
                IntegrityAlgorithm.NONE, null, null)) {
            byte[] buf = packet.clone();
            assertEquals(RFC8439_PLAINTEXT.length, rx.openAligned(buf, 0, RFC8439_PLAINTEXT.length, seq, true));
            assertArrayEquals(RFC8439_PLAINTEXT, Arrays.copyOfRange(buf, 16, 16 + RFC8439_PLAINTEXT.length));

            byte[] sealed = new byte[packet.length];
            System.arraycopy(packet, 0, sealed, 0, 16);
            System.arraycopy(RFC8439_PLAINTEXT, 0, sealed, 16, RFC8439_PLAINTEXT.length);
            assertEquals(packet.length, tx.sealWithIvInPlace(sealed, 0, RFC8439_PLAINTEXT.length, seq, true));
            assertEquals(toHex(packet), toHex(sealed));
        }
    }
}
