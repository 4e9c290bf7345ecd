package io.ipsecmesh.ike;

import static io.ipsecmesh.ike.IkeTestBytes.range;
import static io.ipsecmesh.ike.IkeTestBytes.toHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipsecmesh.crypto.EspProposal;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ChildProposalTest {

    @Test
    void defaultsToNoEsnWithoutPfs() {
        ChildProposal p = ChildProposal.parse("aes128gcm16");
        assertEquals(EspProposal.parse("aes128gcm16"), p.esp());
        assertEquals(List.of(ChildProposal.Esn.NO_ESN), p.esn());
        assertEquals(List.of(), p.groups());
        assertEquals("aes128gcm16", p.toString());
        assertEquals(p, ChildProposal.of(EspProposal.parse("aes128gcm16")));
    }

    @Test
    void parsesGroupsAndEsnChoices() {
        ChildProposal p = ChildProposal.parse("aes256-sha512-x25519-ecp384-esn-noesn");
        assertEquals(EspProposal.parse("aes256-sha512"), p.esp());
        assertEquals(List.of(ChildProposal.Esn.ESN, ChildProposal.Esn.NO_ESN), p.esn());
        assertEquals(List.of(KeyExchangeGroup.CURVE25519, KeyExchangeGroup.ECP_384), p.groups());
        assertEquals("aes256-sha512-curve25519-ecp384-esn-noesn", p.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"aes128gcm16", "aes256-sha512-ecp384-esn", "chacha20poly1305-noesn-esn",
            "aes128-sha256-modp2048-ecp256", "aes256gcm16-curve25519-esn"})
    void roundTripsThroughStringAndCodec(String text) throws IkeParseException {
        ChildProposal p = ChildProposal.parse(text);
        assertEquals(p, ChildProposal.parse(p.toString()));
        byte[] spi = range(0xc1, 4);
        Proposal wire = IkeProposalTest.wireRoundTrip(p.toProposal(3, spi, true)).proposals().getFirst();
        assertEquals(ProtocolId.ESP.value(), wire.protocolId());
        assertEquals(3, wire.number());
        assertEquals(toHex(spi), toHex(wire.spi()));
        assertEquals(p, ChildProposal.fromProposal(wire));
    }

    @Test
    void ikeAuthProposalOmitsKeyExchange() {
        ChildProposal p = ChildProposal.parse("aes128-sha256-ecp256-esn");
        Proposal wire = p.toProposal(1, new byte[4], false);
        assertEquals(List.of(), wire.transformsOf(TransformType.KE));
        assertEquals(List.of(
                new Transform(1, 12, List.of(TransformAttribute.keyLength(128))),
                new Transform(3, 12, List.of()),
                new Transform(5, 1, List.of())), wire.transforms());
        assertEquals(List.of(new Transform(4, 19, List.of())),
                p.toProposal(1, new byte[4], true).transformsOf(TransformType.KE));
    }

    @Test
    void aeadHasNoIntegrityTransform() {
        Proposal wire = ChildProposal.parse("aes256gcm16").toProposal(1, new byte[4], true);
        assertEquals(List.of(
                new Transform(1, 20, List.of(TransformAttribute.keyLength(256))),
                new Transform(5, 0, List.of())), wire.transforms());
    }

    @Test
    void keNoneAndIntegNoneReadBack() {
        Proposal wire = new Proposal(1, ProtocolId.ESP, new byte[4], List.of(
                Transform.encryption(io.ipsecmesh.crypto.EncryptionAlgorithm.AES_GCM_16_128),
                new Transform(TransformType.INTEG, 0), new Transform(TransformType.KE, 0),
                new Transform(TransformType.ESN, 0)));
        assertEquals(ChildProposal.parse("aes128gcm16"), ChildProposal.fromProposal(wire));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "aes128gcm16-sha256|'sha256'",
            "aes999-sha256|'aes999'",
            "aes128-sha256-ecp256-ecp256|'ecp256'",
            "aes128gcm16-esn-esn|'esn' repeated",
            "aes128-sha256-prfsha256|'prfsha256'",
            "3des-sha256|legacy"})
    void rejectsBadStrings(String text, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChildProposal.parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void legacyAllowedExplicitly() {
        ChildProposal p = ChildProposal.parse("3des-sha256-esn", true);
        assertEquals("3des-sha256-esn", p.toString());
        assertThrows(IllegalArgumentException.class, () -> ChildProposal.fromProposal(p.toProposal(1, new byte[4], true)));
        assertEquals(p, ChildProposal.fromProposal(p.toProposal(1, new byte[4], true), true));
    }

    @Test
    void fromProposalRejectsWrongProtocolSpiAndShape() {
        ChildProposal p = ChildProposal.parse("aes128-sha256");
        assertThrows(IllegalArgumentException.class, () -> p.toProposal(1, new byte[8], false));
        List<Transform> ts = p.transforms(false);
        assertThrows(IllegalArgumentException.class,
                () -> ChildProposal.fromProposal(new Proposal(1, ProtocolId.IKE, new byte[0], ts)));
        assertThrows(IllegalArgumentException.class,
                () -> ChildProposal.fromProposal(new Proposal(1, ProtocolId.ESP, new byte[0], ts)));
        List<Transform> twoEnc = new java.util.ArrayList<>(ts);
        twoEnc.add(0, Transform.encryption(io.ipsecmesh.crypto.EncryptionAlgorithm.AES_CBC_256));
        assertThrows(IllegalArgumentException.class,
                () -> ChildProposal.fromProposal(new Proposal(1, ProtocolId.ESP, new byte[4], twoEnc)));
    }
}
