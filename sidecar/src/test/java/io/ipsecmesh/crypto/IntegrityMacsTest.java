package io.ipsecmesh.crypto;

import static io.ipsecmesh.crypto.TestBytes.ascii;
import static io.ipsecmesh.crypto.TestBytes.concat;
import static io.ipsecmesh.crypto.TestBytes.hex;
import static io.ipsecmesh.crypto.TestBytes.range;
import static io.ipsecmesh.crypto.TestBytes.repeat;
import static io.ipsecmesh.crypto.TestBytes.toHex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * HMAC-SHA-256/384/512 through {@link IntegrityMacs} against published vectors: RFC 4231 §4
 * test cases 1-4, 6 and 7 (which RFC 4868 §2.7.1 reuses as its PRF test cases PRF-1 to
 * PRF-6), and the RFC 4868 §2.7.2 authenticator test cases AUTH256/384/512-1 to -4, whose
 * keys have the IPsec key length so they go through the public factory.
 */
class IntegrityMacsTest {

    private static final IntegrityAlgorithm SHA256 = IntegrityAlgorithm.HMAC_SHA2_256_128;
    private static final IntegrityAlgorithm SHA384 = IntegrityAlgorithm.HMAC_SHA2_384_192;
    private static final IntegrityAlgorithm SHA512 = IntegrityAlgorithm.HMAC_SHA2_512_256;

    /** One key/data pair with its full HMAC output for one hash. */
    record Vector(String source, IntegrityAlgorithm alg, byte[] key, byte[] data, String fullMac) {
        @Override
        public String toString() {
            return source + " " + alg.keyword();
        }
    }

    private static final byte[] LONG_KEY = repeat(0xaa, 131);
    private static final byte[] TC6_DATA = ascii("Test Using Larger Than Block-Size Key - Hash Key First");
    private static final byte[] TC7_DATA = ascii("This is a test using a larger than block-size key and a larger than block-size data."
            + " The key needs to be hashed before being used by the HMAC algorithm.");

    /** RFC 4231 §4.2-4.5, 4.7, 4.8 = RFC 4868 §2.7.1 PRF-1 to PRF-6. */
    static Stream<Vector> rfc4231() {
        return Stream.of(
                // RFC 4231 §4.2 Test Case 1 (RFC 4868 §2.7.1 PRF-1)
                new Vector("RFC 4231 §4.2 TC1", SHA256, repeat(0x0b, 20), ascii("Hi There"),
                        "b0344c61d8db38535ca8afceaf0bf12b 881dc200c9833da726e9376c2e32cff7"),
                new Vector("RFC 4231 §4.2 TC1", SHA384, repeat(0x0b, 20), ascii("Hi There"),
                        "afd03944d84895626b0825f4ab46907f 15f9dadbe4101ec682aa034c7cebc59c"
                                + "faea9ea9076ede7f4af152e8b2fa9cb6"),
                new Vector("RFC 4231 §4.2 TC1", SHA512, repeat(0x0b, 20), ascii("Hi There"),
                        "87aa7cdea5ef619d4ff0b4241a1d6cb0 2379f4e2ce4ec2787ad0b30545e17cde"
                                + "daa833b7d6b8a702038b274eaea3f4e4 be9d914eeb61f1702e696c203a126854"),
                // RFC 4231 §4.3 Test Case 2 (PRF-2)
                new Vector("RFC 4231 §4.3 TC2", SHA256, ascii("Jefe"), ascii("what do ya want for nothing?"),
                        "5bdcc146bf60754e6a042426089575c7 5a003f089d2739839dec58b964ec3843"),
                new Vector("RFC 4231 §4.3 TC2", SHA384, ascii("Jefe"), ascii("what do ya want for nothing?"),
                        "af45d2e376484031617f78d2b58a6b1b 9c7ef464f5a01b47e42ec3736322445e"
                                + "8e2240ca5e69e2c78b3239ecfab21649"),
                new Vector("RFC 4231 §4.3 TC2", SHA512, ascii("Jefe"), ascii("what do ya want for nothing?"),
                        "164b7a7bfcf819e2e395fbe73b56e0a3 87bd64222e831fd610270cd7ea250554"
                                + "9758bf75c05a994a6d034f65f8f0e6fd caeab1a34d4a6b4b636e070a38bce737"),
                // RFC 4231 §4.4 Test Case 3 (PRF-3)
                new Vector("RFC 4231 §4.4 TC3", SHA256, repeat(0xaa, 20), repeat(0xdd, 50),
                        "773ea91e36800e46854db8ebd09181a7 2959098b3ef8c122d9635514ced565fe"),
                new Vector("RFC 4231 §4.4 TC3", SHA384, repeat(0xaa, 20), repeat(0xdd, 50),
                        "88062608d3e6ad8a0aa2ace014c8a86f 0aa635d947ac9febe83ef4e55966144b"
                                + "2a5ab39dc13814b94e3ab6e101a34f27"),
                new Vector("RFC 4231 §4.4 TC3", SHA512, repeat(0xaa, 20), repeat(0xdd, 50),
                        "fa73b0089d56a284efb0f0756c890be9 b1b5dbdd8ee81a3655f83e33b2279d39"
                                + "bf3e848279a722c806b485a47e67c807 b946a337bee8942674278859e13292fb"),
                // RFC 4231 §4.5 Test Case 4 (PRF-4)
                new Vector("RFC 4231 §4.5 TC4", SHA256, range(0x01, 0x19), repeat(0xcd, 50),
                        "82558a389a443c0ea4cc819899f2083a 85f0faa3e578f8077a2e3ff46729665b"),
                new Vector("RFC 4231 §4.5 TC4", SHA384, range(0x01, 0x19), repeat(0xcd, 50),
                        "3e8a69b7783c25851933ab6290af6ca7 7a9981480850009cc5577c6e1f573b4e"
                                + "6801dd23c4a7d679ccf8a386c674cffb"),
                new Vector("RFC 4231 §4.5 TC4", SHA512, range(0x01, 0x19), repeat(0xcd, 50),
                        "b0ba465637458c6990e5a8c5f61d4af7 e576d97ff94b872de76f8050361ee3db"
                                + "a91ca5c11aa25eb4d679275cc5788063 a5f19741120c4f2de2adebeb10a298dd"),
                // RFC 4231 §4.7 Test Case 6 (PRF-5)
                new Vector("RFC 4231 §4.7 TC6", SHA256, LONG_KEY, TC6_DATA,
                        "60e431591ee0b67f0d8a26aacbf5b77f 8e0bc6213728c5140546040f0ee37f54"),
                new Vector("RFC 4231 §4.7 TC6", SHA384, LONG_KEY, TC6_DATA,
                        "4ece084485813e9088d2c63a041bc5b4 4f9ef1012a2b588f3cd11f05033ac4c6"
                                + "0c2ef6ab4030fe8296248df163f44952"),
                new Vector("RFC 4231 §4.7 TC6", SHA512, LONG_KEY, TC6_DATA,
                        "80b24263c7c1a3ebb71493c1dd7be8b4 9b46d1f41b4aeec1121b013783f8f352"
                                + "6b56d037e05f2598bd0fd2215d6a1e52 95e64f73f63f0aec8b915a985d786598"),
                // RFC 4231 §4.8 Test Case 7 (PRF-6)
                new Vector("RFC 4231 §4.8 TC7", SHA256, LONG_KEY, TC7_DATA,
                        "9b09ffa71b942fcb27635fbcd5b0e944 bfdc63644f0713938a7f51535c3a35e2"),
                new Vector("RFC 4231 §4.8 TC7", SHA384, LONG_KEY, TC7_DATA,
                        "6617178e941f020d351e2f254e8fd32c 602420feb0b8fb9adccebb82461e99c5"
                                + "a678cc31e799176d3860e6110c46523e"),
                new Vector("RFC 4231 §4.8 TC7", SHA512, LONG_KEY, TC7_DATA,
                        "e37b6a775dc87dbaa4dfa9f96e5e3ffd debd71f8867289865df5a32d20cdc944"
                                + "b6022cac3c4982b10d5eeb55c3e4de15 134676fb6de0446065c97440fa8c6a58"));
    }

    /** RFC 4868 §2.7.2.1-2.7.2.3: AUTH256-n, AUTH384-n, AUTH512-n (full PRF output; ICV = left half). */
    static Stream<Vector> rfc4868Auth() {
        return Stream.of(
                // §2.7.2.1 HMAC-SHA-256-128
                new Vector("RFC 4868 §2.7.2.1 AUTH256-1", SHA256, repeat(0x0b, 32), ascii("Hi There"),
                        "198a607eb44bfbc69903a0f1cf2bbdc5 ba0aa3f3d9ae3c1c7a3b1696a0b68cf7"),
                new Vector("RFC 4868 §2.7.2.1 AUTH256-2", SHA256, ascii("JefeJefeJefeJefeJefeJefeJefeJefe"),
                        ascii("what do ya want for nothing?"),
                        "167f928588c5cc2eef8e3093caa0e87c 9ff566a14794aa61648d81621a2a40c6"),
                new Vector("RFC 4868 §2.7.2.1 AUTH256-3", SHA256, repeat(0xaa, 32), repeat(0xdd, 50),
                        "cdcb1220d1ecccea91e53aba3092f962 e549fe6ce9ed7fdc43191fbde45c30b0"),
                new Vector("RFC 4868 §2.7.2.1 AUTH256-4", SHA256, range(0x01, 0x20), repeat(0xcd, 50),
                        "372efcf9b40b35c2115b1346903d2ef4 2fced46f0846e7257bb156d3d7b30d3f"),
                // §2.7.2.2 HMAC-SHA-384-192
                new Vector("RFC 4868 §2.7.2.2 AUTH384-1", SHA384, repeat(0x0b, 48), ascii("Hi There"),
                        "b6a8d5636f5c6a7224f9977dcf7ee6c7 fb6d0c48cbdee9737a959796489bddbc"
                                + "4c5df61d5b3297b4fb68dab9f1b582c2"),
                new Vector("RFC 4868 §2.7.2.2 AUTH384-2", SHA384,
                        ascii("JefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefe"), ascii("what do ya want for nothing?"),
                        "2c7353974f1842fd66d53c452ca42122 b28c0b594cfb184da86a368e9b8e16f5"
                                + "349524ca4e82400cbde0686d403371c9"),
                new Vector("RFC 4868 §2.7.2.2 AUTH384-3", SHA384, repeat(0xaa, 48), repeat(0xdd, 50),
                        "809f439be00274321d4a538652164b53 554a508184a0c3160353e3428597003d"
                                + "35914a18770f9443987054944b7c4b4a"),
                // AUTH384-4 with the key exactly as printed in RFC 4868 (the output matches
                // that key; erratum 5507, "held for document update", proposes another key).
                new Vector("RFC 4868 §2.7.2.2 AUTH384-4", SHA384, concat(range(0x01, 0x20), range(0x0a, 0x19)),
                        repeat(0xcd, 50),
                        "5b540085c6e6358096532b2493609ed1 cb298f774f87bb5c2ebf182c83cc7428"
                                + "707fb92eab2536a5812258228bc96687"),
                // §2.7.2.3 HMAC-SHA-512-256
                new Vector("RFC 4868 §2.7.2.3 AUTH512-1", SHA512, repeat(0x0b, 64), ascii("Hi There"),
                        "637edc6e01dce7e6742a99451aae82df 23da3e92439e590e43e761b33e910fb8"
                                + "ac2878ebd5803f6f0b61dbce5e251ff8 789a4722c1be65aea45fd464e89f8f5b"),
                new Vector("RFC 4868 §2.7.2.3 AUTH512-2", SHA512,
                        ascii("JefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefeJefe"),
                        ascii("what do ya want for nothing?"),
                        "cb370917ae8a7ce28cfd1d8f4705d614 1c173b2a9362c15df235dfb251b15454"
                                + "6aa334ae9fb9afc2184932d8695e397b fa0ffb93466cfcceaae38c833b7dba38"),
                new Vector("RFC 4868 §2.7.2.3 AUTH512-3", SHA512, repeat(0xaa, 64), repeat(0xdd, 50),
                        "2ee7acd783624ca9398710f3ee05ae41 b9f9b0510c87e49e586cc9bf961733d8"
                                + "623c7b55cebefccf02d5581acc1c9d5f b1ff68a1de45509fbe4da9a433922655"),
                // AUTH512-4 with the key as corrected by verified erratum 1785 (0x01..0x40).
                new Vector("RFC 4868 §2.7.2.3 AUTH512-4 (erratum 1785)", SHA512, range(0x01, 0x40), repeat(0xcd, 50),
                        "5e6688e5a3daec826ca32eaea224eff5 e700628947470e13ad01302561bab108"
                                + "b8c48cbc6b807dcfbd850521a685babc 7eae4a2a2e660dc0e86b931d65503fd2"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rfc4231")
    void rfc4231FullAndTruncated(Vector v) {
        checkVector(v, IntegrityMacs.createAnyKeyLength(v.alg(), v.key()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rfc4868Auth")
    void rfc4868AuthenticatorThroughPublicFactory(Vector v) {
        assertEquals(v.alg().keyLength(), v.key().length, "AUTH vectors use the IPsec key length");
        checkVector(v, (HmacIntegrityMac) IntegrityMacs.create(v.alg(), v.key()));
    }

    private static void checkVector(Vector v, HmacIntegrityMac mac) {
        byte[] expectedFull = hex(v.fullMac());
        int icvLen = v.alg().icvLength();
        assertEquals(expectedFull.length / 2, icvLen, "RFC 4868 §2.3: ICV is half the hash output");
        try (mac) {
            // Full output, fed in one piece.
            byte[] full = new byte[mac.macLength()];
            mac.update(v.data(), 0, v.data().length);
            mac.doFinalUntruncated(full, 0);
            assertEquals(toHex(expectedFull), toHex(full), "full HMAC");

            // Truncated ICV, fed byte by byte, written at an offset.
            byte[] out = new byte[icvLen + 5];
            for (int i = 0; i < v.data().length; i++) {
                mac.update(v.data(), i, 1);
            }
            mac.doFinal(out, 5);
            assertEquals(toHex(Arrays.copyOf(expectedFull, icvLen)), toHex(out, 5, icvLen), "truncated ICV");

            // verify() accepts the published (truncated) value ...
            byte[] expectedIcv = concat(new byte[3], Arrays.copyOf(expectedFull, icvLen));
            mac.update(v.data(), 0, v.data().length);
            assertTrue(mac.verify(expectedIcv, 3));
            // ... and refuses it with any single bit flipped.
            for (int i = 0; i < icvLen; i++) {
                byte[] bad = expectedIcv.clone();
                bad[3 + i] ^= (byte) (1 << (i % 8));
                mac.update(v.data(), 0, v.data().length);
                assertFalse(mac.verify(bad, 3), "flipped ICV byte " + i);
            }
        }
    }

    @Test
    void scatteredInputEqualsContiguousInput() {
        // The AH way of feeding a packet: pieces, zeros for the ICV field, 32-bit values.
        byte[] key = range(0x01, 0x20);
        byte[] packet = concat(range(0x10, 0x2f), new byte[16], range(0x40, 0x7f), hex("c0c1c2c3"));
        byte[] expected = new byte[16];
        try (IntegrityMac whole = IntegrityMacs.create(SHA256, key)) {
            whole.update(packet, 0, packet.length);
            whole.doFinal(expected, 0);
        }
        byte[] got = new byte[16];
        try (IntegrityMac parts = IntegrityMacs.create(SHA256, key)) {
            parts.update(packet, 0, 7);
            parts.update(packet, 7, 25);
            parts.updateZeros(16);
            parts.update(packet, 48, 64);
            parts.updateInt(0xc0c1c2c3);
            parts.doFinal(got, 0);
            assertArrayEquals(expected, got);
            // doFinal reset the MAC: the same input gives the same ICV again.
            parts.update(packet, 0, packet.length);
            assertTrue(parts.verify(expected, 0));
        }
    }

    @Test
    void updateZerosHandlesLongRuns() {
        byte[] key = repeat(0x42, 48);
        byte[] zeros = new byte[1000];
        byte[] a = new byte[24];
        byte[] b = new byte[24];
        try (IntegrityMac m1 = IntegrityMacs.create(SHA384, key); IntegrityMac m2 = IntegrityMacs.create(SHA384, key)) {
            m1.update(zeros, 0, zeros.length);
            m1.doFinal(a, 0);
            m2.updateZeros(1000);
            m2.doFinal(b, 0);
        }
        assertArrayEquals(a, b);
    }

    @ParameterizedTest
    @EnumSource(value = IntegrityAlgorithm.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void lengthsFollowRfc4868(IntegrityAlgorithm alg) {
        try (IntegrityMac mac = IntegrityMacs.create(alg, new byte[alg.keyLength()])) {
            assertEquals(alg, mac.algorithm());
            assertEquals(alg.icvLength(), mac.icvLength());
        }
        assertThrows(IllegalArgumentException.class, () -> IntegrityMacs.create(alg, new byte[alg.keyLength() - 1]));
        assertThrows(IllegalArgumentException.class, () -> IntegrityMacs.create(alg, new byte[alg.keyLength() + 1]));
        assertThrows(IllegalArgumentException.class, () -> IntegrityMacs.create(alg, new byte[0]));
    }

    @Test
    void refusesNoneAndNulls() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IntegrityMacs.create(IntegrityAlgorithm.NONE, new byte[0]));
        assertTrue(e.getMessage().contains("sha256"), e.getMessage());
        assertThrows(NullPointerException.class, () -> IntegrityMacs.create(null, new byte[32]));
        assertThrows(NullPointerException.class, () -> IntegrityMacs.create(SHA256, null));
    }

    @Test
    void copiesTheKey() {
        byte[] key = repeat(0x0b, 32);
        IntegrityMac mac = IntegrityMacs.create(SHA256, key);
        Arrays.fill(key, (byte) 0);
        byte[] icv = new byte[16];
        mac.update(ascii("Hi There"), 0, 8);
        mac.doFinal(icv, 0);
        mac.close();
        assertEquals("198a607eb44bfbc69903a0f1cf2bbdc5", toHex(icv), "RFC 4868 AUTH256-1 despite the wiped caller key");
    }

    @Test
    void closedMacRefusesWorkAndHidesTheKey() {
        byte[] key = repeat(0x5a, 32);
        IntegrityMac mac = IntegrityMacs.create(SHA256, key);
        String text = mac.toString();
        assertFalse(text.toLowerCase().contains("5a5a"), text);
        mac.close();
        mac.close();
        byte[] out = new byte[16];
        for (Runnable r : List.<Runnable>of(() -> mac.update(out, 0, 1), () -> mac.updateZeros(1), () -> mac.updateInt(1),
                () -> mac.doFinal(out, 0), () -> mac.verify(out, 0))) {
            assertThrows(IllegalStateException.class, r::run);
        }
    }

    @Test
    void boundsAreChecked() {
        try (IntegrityMac mac = IntegrityMacs.create(SHA512, new byte[64])) {
            assertThrows(IndexOutOfBoundsException.class, () -> mac.update(new byte[4], 2, 3));
            assertThrows(IndexOutOfBoundsException.class, () -> mac.doFinal(new byte[40], 10));
            assertThrows(IndexOutOfBoundsException.class, () -> mac.verify(new byte[31], 0));
            assertThrows(IllegalArgumentException.class, () -> mac.updateZeros(-1));
        }
    }
}
