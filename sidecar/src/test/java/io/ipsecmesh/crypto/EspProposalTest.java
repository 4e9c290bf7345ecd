package io.ipsecmesh.crypto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EspProposalTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "aes128gcm16, AES_GCM_16_128, NONE",
            "aes256gcm16, AES_GCM_16_256, NONE",
            "chacha20poly1305, CHACHA20_POLY1305, NONE",
            "aes128-sha256, AES_CBC_128, HMAC_SHA2_256_128",
            "aes256-sha512, AES_CBC_256, HMAC_SHA2_512_256",
            "null-sha256, NULL, HMAC_SHA2_256_128",
            "3des-sha384, TRIPLE_DES_CBC, HMAC_SHA2_384_192",
            "aes256-sha384, AES_CBC_256, HMAC_SHA2_384_192",
    })
    void parsesTheAcceptedForms(String text, EncryptionAlgorithm enc, IntegrityAlgorithm integ) {
        EspProposal p = EspProposal.parse(text);
        assertEquals(new EspProposal(enc, integ), p);
        assertEquals(text, p.toString(), "canonical form");
        assertEquals(enc.isAead(), p.isCombinedMode());
    }

    @Test
    void caseAndSurroundingBlanksDoNotMatter() {
        assertEquals(EspProposal.parse("aes256gcm16"), EspProposal.parse("  AES256GCM16 "));
        assertEquals(EspProposal.parse("aes128-sha256"), EspProposal.parse("Aes128-SHA256\t"));
    }

    @Test
    void everyLegalCombinationRoundTripsThroughItsString() {
        int count = 0;
        for (EncryptionAlgorithm enc : EncryptionAlgorithm.values()) {
            for (IntegrityAlgorithm integ : IntegrityAlgorithm.values()) {
                if (enc.isAead() == (integ == IntegrityAlgorithm.NONE)) {
                    EspProposal p = new EspProposal(enc, integ);
                    assertEquals(p, EspProposal.parse(p.toString()));
                    count++;
                } else {
                    assertThrows(IllegalArgumentException.class, () -> new EspProposal(enc, integ), enc + "+" + integ);
                }
            }
        }
        assertEquals(3 + 4 * 3, count);
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {
            "", " ", "-", "aes128gcm16-", "aes128-", "aes128", "3des", "null", "aes192-sha256", "aes128gcm12",
            "aes128gcm16-modp2048", "aes128gcm16-sha256", "aes128gcm16-esn", "chacha20poly1305-noesn",
            "aes128-sha256-modp2048", "aes128-sha256-esn", "aes128-sha1", "aes128-none", "aes128-md5", "aes128-sha256-",
            "aes128_sha256", "aes128--sha256", "sha256", "blowfish-sha256"})
    void rejectsAnythingElseAndListsWhatIsAccepted(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EspProposal.parse(text));
        String m = e.getMessage();
        assertTrue(m.contains("accepted: aes128gcm16, aes256gcm16, chacha20poly1305"), m);
        assertTrue(m.contains("sha256|sha384|sha512"), m);
    }

    @Test
    void namesTheOffendingToken() {
        assertTrue(EspProposal.parse("aes128-sha256").toString().equals("aes128-sha256"));
        String m = assertThrows(IllegalArgumentException.class, () -> EspProposal.parse("aes128-sha256-modp2048")).getMessage();
        assertTrue(m.contains("'modp2048'"), m);
        m = assertThrows(IllegalArgumentException.class, () -> EspProposal.parse("aes256gcm16-ecp384")).getMessage();
        assertTrue(m.contains("'ecp384'"), m);
        m = assertThrows(IllegalArgumentException.class, () -> EspProposal.parse("twofish-sha256")).getMessage();
        assertTrue(m.contains("'twofish'"), m);
        m = assertThrows(IllegalArgumentException.class, () -> EspProposal.parse("aes128-sha1")).getMessage();
        assertTrue(m.contains("'sha1'"), m);
        m = assertThrows(IllegalArgumentException.class, () -> EspProposal.parse("aes256")).getMessage();
        assertTrue(m.contains("aes256-sha256"), m);
    }

    @Test
    void legacyIsRefusedUnlessAllowed() {
        EspProposal legacy = EspProposal.parse("3des-sha384");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> legacy.requireAllowed(false));
        assertTrue(e.getMessage().contains("3des") && e.getMessage().contains("legacy"), e.getMessage());
        assertSame(legacy, legacy.requireAllowed(true));
        for (String ok : new String[] {"aes128gcm16", "aes256gcm16", "chacha20poly1305", "aes128-sha256", "aes256-sha512",
                "null-sha256"}) {
            EspProposal p = EspProposal.parse(ok);
            assertSame(p, p.requireAllowed(false));
            assertSame(p, p.requireAllowed(true));
        }
    }

    @Test
    void constructorChecksTheCombination() {
        assertThrows(NullPointerException.class, () -> new EspProposal(null, IntegrityAlgorithm.NONE));
        assertThrows(NullPointerException.class, () -> new EspProposal(EncryptionAlgorithm.AES_CBC_128, null));
        assertThrows(IllegalArgumentException.class,
                () -> new EspProposal(EncryptionAlgorithm.AES_GCM_16_128, IntegrityAlgorithm.HMAC_SHA2_256_128));
        assertThrows(IllegalArgumentException.class, () -> new EspProposal(EncryptionAlgorithm.NULL, IntegrityAlgorithm.NONE));
        assertFalse(new EspProposal(EncryptionAlgorithm.NULL, IntegrityAlgorithm.HMAC_SHA2_512_256).isCombinedMode());
    }
}
