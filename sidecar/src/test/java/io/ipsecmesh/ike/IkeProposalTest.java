package io.ipsecmesh.ike;

import static io.ipsecmesh.ike.IkeTestBytes.toHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IkeProposalTest {

    /** Encodes in an SA payload and decodes it again, through the real codec. */
    static SaPayload wireRoundTrip(Proposal... proposals) throws IkeParseException {
        byte[] body = new SaPayload(List.of(proposals)).encodeBody();
        return SaPayload.decode(new ByteReader(body, 0, body.length, "SA"));
    }

    @Test
    void parsesAeadProposal() {
        IkeProposal p = IkeProposal.parse("aes256gcm16-prfsha384-ecp384");
        assertEquals(List.of(EncryptionAlgorithm.AES_GCM_16_256), p.encryption());
        assertEquals(List.of(), p.integrity());
        assertEquals(List.of(PrfAlgorithm.HMAC_SHA2_384), p.prf());
        assertEquals(List.of(KeyExchangeGroup.ECP_384), p.groups());
        assertTrue(p.isCombinedMode());
    }

    @Test
    void integrityImpliesPrfWhenNoneGiven() {
        IkeProposal p = IkeProposal.parse("aes128-sha256-modp2048");
        assertEquals(List.of(EncryptionAlgorithm.AES_CBC_128), p.encryption());
        assertEquals(List.of(IntegrityAlgorithm.HMAC_SHA2_256_128), p.integrity());
        assertEquals(List.of(PrfAlgorithm.HMAC_SHA2_256), p.prf());
        assertEquals(List.of(KeyExchangeGroup.MODP_2048), p.groups());
        assertEquals("aes128-sha256-prfsha256-modp2048", p.toString());
    }

    @Test
    void explicitPrfOverridesImpliedOne() {
        IkeProposal p = IkeProposal.parse("aes256-sha384-prfsha512-ecp256");
        assertEquals(List.of(PrfAlgorithm.HMAC_SHA2_512), p.prf());
        assertEquals(List.of(IntegrityAlgorithm.HMAC_SHA2_384_192), p.integrity());
    }

    @Test
    void severalIntegrityAlgorithmsImplySeveralPrfs() {
        IkeProposal p = IkeProposal.parse("aes256-sha512-sha256-ecp256");
        assertEquals(List.of(PrfAlgorithm.HMAC_SHA2_512, PrfAlgorithm.HMAC_SHA2_256), p.prf());
    }

    @Test
    void x25519IsAliasAndSeveralGroupsKeepOrder() {
        IkeProposal p = IkeProposal.parse("chacha20poly1305-prfsha256-x25519-ecp256-modp2048");
        assertEquals(List.of(KeyExchangeGroup.CURVE25519, KeyExchangeGroup.ECP_256, KeyExchangeGroup.MODP_2048),
                p.groups());
        assertEquals("chacha20poly1305-prfsha256-curve25519-ecp256-modp2048", p.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"aes256gcm16-prfsha384-ecp384", "aes128-sha256-modp2048",
            "chacha20poly1305-prfsha256-x25519", "aes256-sha384-prfsha384-ecp256", "AES128-SHA256-ECP256",
            "ecp256-sha256-aes128", "aes128-aes256-sha256-sha512-prfsha512-prfsha256-ecp384-modp2048",
            "aes128gcm16-aes256gcm16-chacha20poly1305-prfsha256-curve25519"})
    void toStringIsCanonicalAndReparses(String text) throws IkeParseException {
        IkeProposal p = IkeProposal.parse(text);
        String canonical = p.toString();
        assertEquals(p, IkeProposal.parse(canonical));
        assertEquals(canonical, IkeProposal.parse(canonical).toString());
        // through the codec and back
        Proposal wire = wireRoundTrip(p.toProposal(1)).proposals().getFirst();
        assertEquals(p, IkeProposal.fromProposal(wire));
        assertEquals(p.toProposal(1), wire);
    }

    @Test
    void tokenOrderIsNormalised() {
        assertEquals("aes128-sha256-prfsha256-ecp256", IkeProposal.parse("ecp256-sha256-aes128").toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "aes256-sha256-ecp999|'ecp999'",
            "aes256-md5-ecp256|'md5'",
            "aes256gcm16-prfsha384-ecp384-esn|'esn'",
            "aes128-sha256--ecp256|empty token",
            "aes128-sha256-ecp256-ecp256|'ecp256' repeated",
            "aes128-sha256-curve25519-x25519|listed twice",
            "null-sha256-ecp256|'null'",
            "aes256gcm16-ecp384|needs a PRF",
            "aes256-ecp384|needs an integrity algorithm",
            "aes256gcm16-sha256-prfsha256-ecp384|'sha256' with combined-mode",
            "aes256gcm16-aes256-sha256-ecp256|mixes combined-mode",
            "aes256-sha256|needs a key exchange group",
            "prfsha256-ecp256|needs an encryption algorithm",
            "'  '|empty IKE proposal"})
    void rejectsBadStringsNamingTheProblem(String text, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IkeProposal.parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void unknownTokenErrorListsAcceptedTokens() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IkeProposal.parse("aes256-sha1-ecp256"));
        assertTrue(e.getMessage().contains("'sha1'"), e.getMessage());
        for (String accepted : List.of("aes128gcm16", "chacha20poly1305", "sha512", "prfsha384", "modp2048", "x25519")) {
            assertTrue(e.getMessage().contains(accepted), accepted + " missing from: " + e.getMessage());
        }
    }

    @Test
    void tripleDesOnlyWithLegacyAllowed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IkeProposal.parse("3des-sha256-modp2048"));
        assertTrue(e.getMessage().contains("'3des'") && e.getMessage().contains("legacy"), e.getMessage());
        IkeProposal p = IkeProposal.parse("3des-sha256-modp2048", true);
        assertEquals(List.of(EncryptionAlgorithm.TRIPLE_DES_CBC), p.encryption());
        assertThrows(IllegalArgumentException.class, () -> p.requireAllowed(false));
        assertThrows(IllegalArgumentException.class, () -> IkeProposal.fromProposal(p.toProposal(1)));
        assertEquals(p, IkeProposal.fromProposal(p.toProposal(1), true));
    }

    @Test
    void transformsCarryIdsAndAesKeyLength() {
        Proposal p = IkeProposal.parse("aes256-sha384-prfsha384-ecp256").toProposal(1);
        assertEquals(ProtocolId.IKE.value(), p.protocolId());
        assertEquals(0, p.spi().length);
        assertEquals(List.of(
                new Transform(1, 12, List.of(TransformAttribute.keyLength(256))),
                new Transform(2, 6, List.of()),
                new Transform(3, 13, List.of()),
                new Transform(4, 19, List.of())), p.transforms());
        Proposal gcm = IkeProposal.parse("aes128gcm16-prfsha256-x25519").toProposal(1);
        assertEquals(List.of(
                new Transform(1, 20, List.of(TransformAttribute.keyLength(128))),
                new Transform(2, 5, List.of()),
                new Transform(4, 31, List.of())), gcm.transforms());
        Proposal chacha = IkeProposal.parse("chacha20poly1305-prfsha256-x25519").toProposal(1);
        assertEquals(new Transform(1, 28, List.of()), chacha.transforms().getFirst());
    }

    @Test
    void wireBytesMatchRfc7296Layout() {
        // proposal: last(0) rsvd len=0x2c num=1 proto=IKE(1) spisize=0 ntransforms=4
        // transform ENCR AES-CBC(12) with TV attribute 0x800e key length 128 (RFC 7296 §3.3.2, §3.3.5)
        byte[] body = new SaPayload(List.of(IkeProposal.parse("aes128-sha256-modp2048").toProposal(1))).encodeBody();
        assertEquals("0000002c01010004"
                + "0300000c0100000c800e0080"
                + "0300000802000005"
                + "030000080300000c"
                + "000000080400000e", toHex(body));
    }

    @Test
    void rekeyProposalCarriesEightByteSpi() throws IkeParseException {
        IkeProposal p = IkeProposal.parse("aes128gcm16-prfsha256-ecp256");
        byte[] spi = IkeTestBytes.range(1, 8);
        Proposal wire = wireRoundTrip(p.toProposal(2, spi)).proposals().getFirst();
        assertEquals(2, wire.number());
        assertEquals(toHex(spi), toHex(wire.spi()));
        assertEquals(p, IkeProposal.fromProposal(wire));
        assertThrows(IllegalArgumentException.class, () -> p.toProposal(1, new byte[4]));
    }

    @Test
    void fromProposalRejectsWhatItCannotRepresent() {
        List<Transform> base = IkeProposal.parse("aes128-sha256-ecp256").transforms();
        // AES without key length (RFC 7296 §3.3.5 requires the attribute for AES)
        Proposal noKeyLength = new Proposal(1, ProtocolId.IKE, new byte[0], List.of(
                new Transform(TransformType.ENCR, 12), base.get(1), base.get(2), base.get(3)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IkeProposal.fromProposal(noKeyLength));
        assertTrue(e.getMessage().contains("ENCR:12"), e.getMessage());
        Proposal aes192 = new Proposal(1, ProtocolId.IKE, new byte[0], List.of(
                new Transform(1, 12, List.of(TransformAttribute.keyLength(192))), base.get(1), base.get(2), base.get(3)));
        assertThrows(IllegalArgumentException.class, () -> IkeProposal.fromProposal(aes192));
        Proposal esp = new Proposal(1, ProtocolId.ESP, new byte[4], base);
        assertThrows(IllegalArgumentException.class, () -> IkeProposal.fromProposal(esp));
        Proposal unknownGroup = new Proposal(1, ProtocolId.IKE, new byte[0], List.of(
                base.get(0), base.get(1), base.get(2), new Transform(TransformType.KE, 21)));
        assertThrows(IllegalArgumentException.class, () -> IkeProposal.fromProposal(unknownGroup));
    }
}
