package io.ipsecmesh.e2e.tshark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;

import org.junit.jupiter.api.Test;

/** Name mapping, key checks and the UAT row text (needs no tshark). */
class EspSaKeyTest {

    @Test
    void mapsEveryEnumConstantToTsharksName() {
        assertEquals("NULL", EspSaKey.tsharkName(EncryptionAlgorithm.NULL));
        assertEquals("AES-CBC [RFC3602]", EspSaKey.tsharkName(EncryptionAlgorithm.AES_CBC_128));
        assertEquals("AES-CBC [RFC3602]", EspSaKey.tsharkName(EncryptionAlgorithm.AES_CBC_256));
        assertEquals("TripleDES-CBC [RFC2451]", EspSaKey.tsharkName(EncryptionAlgorithm.TRIPLE_DES_CBC));
        assertEquals("AES-GCM with 16 octet ICV [RFC4106]", EspSaKey.tsharkName(EncryptionAlgorithm.AES_GCM_16_128));
        assertEquals("AES-GCM with 16 octet ICV [RFC4106]", EspSaKey.tsharkName(EncryptionAlgorithm.AES_GCM_16_256));
        assertEquals("ChaCha20 with Poly1305 [RFC7634]", EspSaKey.tsharkName(EncryptionAlgorithm.CHACHA20_POLY1305));
        assertEquals("NULL", EspSaKey.tsharkName(IntegrityAlgorithm.NONE));
        assertEquals("HMAC-SHA-256-128 [RFC4868]", EspSaKey.tsharkName(IntegrityAlgorithm.HMAC_SHA2_256_128));
        assertEquals("HMAC-SHA-384-192 [RFC4868]", EspSaKey.tsharkName(IntegrityAlgorithm.HMAC_SHA2_384_192));
        assertEquals("HMAC-SHA-512-256 [RFC4868]", EspSaKey.tsharkName(IntegrityAlgorithm.HMAC_SHA2_512_256));
    }

    @Test
    void uatRowCarriesHexKeysWithTheSaltAppended() {
        byte[] keyAndSalt = HandBuiltIpsec.bytes(0, 20);
        EspSaKey k = EspSaKey.of("IPv4", "10.0.0.1", "10.0.0.2", 0xc0ffee, EncryptionAlgorithm.AES_GCM_16_128,
                keyAndSalt, IntegrityAlgorithm.NONE, null);
        assertEquals("\"IPv4\",\"10.0.0.1\",\"10.0.0.2\",\"0x00c0ffee\",\"AES-GCM with 16 octet ICV [RFC4106]\","
                + "\"0x000102030405060708090a0b0c0d0e0f10111213\",\"NULL\",\"\",\"32-bit\",\"0\"", k.uatRow());
        assertEquals("\"IPv4\",\"10.0.0.1\",\"10.0.0.2\",\"0x00c0ffee\",\"AES-GCM with 16 octet ICV [RFC4106]\","
                + "\"0x000102030405060708090a0b0c0d0e0f10111213\",\"NULL\",\"\"", k.uatRowWithoutEsn());
        assertTrue(k.hasIcv(), "the GCM tag is the ICV");
        assertTrue(k.withEsn(0xfffffffe).uatRow().endsWith("\"64-bit\",\"fffffffe\""));
    }

    @Test
    void ipv6IsWrittenInFullAndSpiAsUnsignedHex() {
        EspSaKey k = EspSaKey.of("6", "2001:db8::1", "*", 0xffffffff, EncryptionAlgorithm.NULL, null,
                IntegrityAlgorithm.HMAC_SHA2_256_128, HandBuiltIpsec.bytes(1, 32));
        assertTrue(k.uatRow().startsWith("\"IPv6\",\"2001:0db8:0000:0000:0000:0000:0000:0001\",\"*\",\"0xffffffff\",\"NULL\",\"\","
                + "\"HMAC-SHA-256-128 [RFC4868]\",\"0x0102"), k.uatRow());
        assertTrue(k.hasIcv());
    }

    @Test
    void checksKeyLengthsAndCombinations() {
        assertThrows(IllegalArgumentException.class, () -> EspSaKey.of("IPv4", "*", "*", 1,
                EncryptionAlgorithm.AES_GCM_16_128, new byte[16], IntegrityAlgorithm.NONE, null), "salt missing");
        assertThrows(IllegalArgumentException.class, () -> EspSaKey.of("IPv4", "*", "*", 1,
                EncryptionAlgorithm.AES_GCM_16_128, new byte[20], IntegrityAlgorithm.HMAC_SHA2_256_128, new byte[32]));
        assertThrows(IllegalArgumentException.class, () -> EspSaKey.of("IPv4", "*", "*", 1,
                EncryptionAlgorithm.AES_CBC_128, new byte[16], IntegrityAlgorithm.HMAC_SHA2_384_192, new byte[32]));
        assertThrows(IllegalArgumentException.class, () -> EspSaKey.of("IPv5", "*", "*", 1,
                EncryptionAlgorithm.NULL, null, IntegrityAlgorithm.HMAC_SHA2_256_128, new byte[32]));
        assertThrows(IllegalArgumentException.class, () -> new EspSaKey("IPv4", "a\"b", "*", 1, "NULL", null, "NULL", null));
        EspSaKey noIcv = new EspSaKey("IPv4", "*", "*", 1, "AES-CBC [RFC3602]", new byte[16], "NULL", null);
        assertFalse(noIcv.hasIcv());
    }

    @Test
    void keysAreCopied() {
        byte[] key = new byte[32];
        EspSaKey k = EspSaKey.of("IPv4", "*", "*", 1, EncryptionAlgorithm.NULL, null, IntegrityAlgorithm.HMAC_SHA2_256_128, key);
        key[0] = 1;
        k.authKey()[1] = 1;
        assertEquals(0, k.authKey()[0]);
        assertEquals(0, k.authKey()[1]);
    }
}
