package io.ipsecmesh.ike;

import static io.ipsecmesh.ike.IkeTestBytes.range;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ProposalSelectorTest {

    private static final int ECP256 = KeyExchangeGroup.ECP_256.transformId();
    private static final int ECP384 = KeyExchangeGroup.ECP_384.transformId();
    private static final int X25519 = KeyExchangeGroup.CURVE25519.transformId();

    private static List<IkeProposal> ike(String... texts) {
        return java.util.Arrays.stream(texts).map(IkeProposal::parse).toList();
    }

    /** The initiator's SA payload, numbered from 1, decoded from its wire form. */
    private static SaPayload offer(String... texts) throws IkeParseException {
        Proposal[] ps = new Proposal[texts.length];
        for (int i = 0; i < texts.length; i++) {
            ps[i] = IkeProposal.parse(texts[i]).toProposal(i + 1);
        }
        return IkeProposalTest.wireRoundTrip(ps);
    }

    private static Proposal chosen(ProposalSelector.Selection s) {
        return assertInstanceOf(ProposalSelector.Chosen.class, s).proposal();
    }

    @Test
    void firstAcceptableInitiatorProposalWinsAndKeepsItsNumber() throws IkeParseException {
        SaPayload sa = offer("aes256gcm16-prfsha512-modp2048", "aes128-sha256-ecp256", "aes256gcm16-prfsha384-ecp256");
        // local order prefers the third initiator proposal, but the initiator's order decides
        ProposalSelector.Selection s = ProposalSelector.selectIke(
                ike("aes256gcm16-prfsha384-ecp256", "aes128-sha256-ecp256"), sa, ECP256);
        Proposal p = chosen(s);
        assertEquals(2, p.number());
        assertEquals(IkeProposal.parse("aes128-sha256-ecp256"), IkeProposal.fromProposal(p));
        assertTrue(s.errorNotify().isEmpty());
    }

    @Test
    void picksOneTransformOfEachTypeInInitiatorOrder() throws IkeParseException {
        SaPayload sa = offer("aes128-aes256-sha512-sha256-prfsha256-prfsha512-ecp384-ecp256");
        Proposal p = chosen(ProposalSelector.selectIke(ike("aes256-aes128-sha256-sha512-ecp256-ecp384"), sa, ECP384));
        assertEquals(IkeProposal.parse("aes128-sha512-prfsha256-ecp384"), IkeProposal.fromProposal(p));
        assertEquals(4, p.transforms().size());
    }

    @Test
    void kePayloadGroupPreferredWhenAcceptable() throws IkeParseException {
        SaPayload sa = offer("aes128gcm16-prfsha256-x25519-ecp256");
        Proposal p = chosen(ProposalSelector.selectIke(ike("aes128gcm16-prfsha256-x25519-ecp256"), sa, ECP256));
        assertEquals(List.of(Transform.keyExchange(ECP256)), p.transformsOf(TransformType.KE));
    }

    @Test
    void invalidKeAsksForTheChosenGroup() throws IkeParseException {
        // initiator guessed ecp384 with its KE payload; the responder accepts only x25519 or ecp256
        SaPayload sa = offer("aes128gcm16-prfsha256-ecp384-ecp256-x25519");
        ProposalSelector.Selection s = ProposalSelector.selectIke(
                ike("aes128gcm16-prfsha256-x25519-ecp256"), sa, ECP384);
        ProposalSelector.InvalidKe ke = assertInstanceOf(ProposalSelector.InvalidKe.class, s);
        assertEquals(ECP256, ke.group()); // the initiator's order among acceptable groups
        NotifyPayload n = s.errorNotify().orElseThrow();
        assertTrue(n.is(NotifyType.INVALID_KE_PAYLOAD));
        assertEquals(ECP256, n.invalidKeGroup());
    }

    @Test
    void laterLocalProposalTakingTheKeGroupAvoidsInvalidKe() throws IkeParseException {
        SaPayload sa = offer("aes128gcm16-prfsha256-ecp256-x25519");
        Proposal p = chosen(ProposalSelector.selectIke(
                ike("aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-x25519"), sa, X25519));
        assertEquals(List.of(Transform.keyExchange(X25519)), p.transformsOf(TransformType.KE));
    }

    @Test
    void noProposalChosenWhenNothingFits() throws IkeParseException {
        SaPayload sa = offer("aes128-sha256-modp2048", "aes256gcm16-prfsha384-ecp384");
        ProposalSelector.Selection s = ProposalSelector.selectIke(
                ike("chacha20poly1305-prfsha256-x25519", "aes128-sha512-modp2048"), sa, 14);
        assertInstanceOf(ProposalSelector.NoProposalChosen.class, s);
        assertTrue(s.errorNotify().orElseThrow().is(NotifyType.NO_PROPOSAL_CHOSEN));
    }

    @Test
    void proposalMissingAMandatoryTypeIsSkipped() throws IkeParseException {
        List<Transform> full = IkeProposal.parse("aes128gcm16-prfsha256-ecp256").transforms();
        Proposal noPrf = new Proposal(1, ProtocolId.IKE, new byte[0], List.of(full.get(0), full.get(2)));
        Proposal ok = new Proposal(2, ProtocolId.IKE, new byte[0], full);
        SaPayload sa = IkeProposalTest.wireRoundTrip(noPrf, ok);
        assertEquals(2, chosen(ProposalSelector.selectIke(ike("aes128gcm16-prfsha256-ecp256"), sa, ECP256)).number());
        SaPayload onlyBad = IkeProposalTest.wireRoundTrip(noPrf);
        assertInstanceOf(ProposalSelector.NoProposalChosen.class,
                ProposalSelector.selectIke(ike("aes128gcm16-prfsha256-ecp256"), onlyBad, ECP256));
    }

    @Test
    void nonAeadOfferWithoutIntegrityIsRefused() throws IkeParseException {
        List<Transform> full = IkeProposal.parse("aes128-sha256-ecp256").transforms();
        Proposal noInteg = new Proposal(1, ProtocolId.IKE, new byte[0], List.of(full.get(0), full.get(1), full.get(3)));
        assertInstanceOf(ProposalSelector.NoProposalChosen.class, ProposalSelector.selectIke(
                ike("aes128-sha256-ecp256"), IkeProposalTest.wireRoundTrip(noInteg), ECP256));
    }

    @Test
    void unknownTransformIsIgnoredButUnknownTypeRejectsProposal() throws IkeParseException {
        List<Transform> full = IkeProposal.parse("aes128gcm16-prfsha256-ecp256").transforms();
        List<Transform> withUnknown = new ArrayList<>();
        withUnknown.add(new Transform(TransformType.ENCR.value(), 1024, List.of())); // unknown ENCR ID
        withUnknown.add(new Transform(TransformType.ENCR.value(), 20,
                List.of(TransformAttribute.keyLength(128), new TransformAttribute(200, true, new byte[2])))); // unknown attr
        withUnknown.addAll(full);
        withUnknown.add(new Transform(TransformType.KE.value(), 1234, List.of())); // unknown group
        SaPayload sa = IkeProposalTest.wireRoundTrip(new Proposal(1, ProtocolId.IKE, new byte[0], withUnknown));
        Proposal p = chosen(ProposalSelector.selectIke(ike("aes128gcm16-prfsha256-ecp256"), sa, ECP256));
        assertEquals(IkeProposal.parse("aes128gcm16-prfsha256-ecp256").transforms(), p.transforms());

        List<Transform> withUnknownType = new ArrayList<>(full);
        withUnknownType.add(new Transform(6, 1, List.of())); // RFC 9370 ADDKE1: not understood here
        Proposal bad = new Proposal(1, ProtocolId.IKE, new byte[0], withUnknownType);
        assertInstanceOf(ProposalSelector.NoProposalChosen.class, ProposalSelector.selectIke(
                ike("aes128gcm16-prfsha256-ecp256"), IkeProposalTest.wireRoundTrip(bad), ECP256));
    }

    @Test
    void keyLengthMustMatch() throws IkeParseException {
        List<Transform> full = IkeProposal.parse("aes128-sha256-ecp256").transforms();
        List<Transform> aes192 = new ArrayList<>(full);
        aes192.set(0, new Transform(1, 12, List.of(TransformAttribute.keyLength(192))));
        List<Transform> noLength = new ArrayList<>(full);
        noLength.set(0, new Transform(TransformType.ENCR, 12));
        SaPayload sa = IkeProposalTest.wireRoundTrip(
                new Proposal(1, ProtocolId.IKE, new byte[0], aes192),
                new Proposal(2, ProtocolId.IKE, new byte[0], noLength));
        assertInstanceOf(ProposalSelector.NoProposalChosen.class,
                ProposalSelector.selectIke(ike("aes128-sha256-ecp256", "aes256-sha256-ecp256"), sa, ECP256));
        // AES-256 offered, only AES-128 accepted: same transform ID, other key length
        assertInstanceOf(ProposalSelector.NoProposalChosen.class, ProposalSelector.selectIke(
                ike("aes128-sha256-ecp256"), offer("aes256-sha256-ecp256"), ECP256));
    }

    @Test
    void aeadNotPairedWithIntegrityOfMixedOffer() throws IkeParseException {
        // a (non-RFC) mixed proposal: GCM and CBC with sha256; GCM must not be picked with INTEG
        List<Transform> mixed = new ArrayList<>();
        mixed.add(Transform.encryption(EncryptionAlgorithm.AES_GCM_16_128));
        mixed.addAll(IkeProposal.parse("aes128-sha256-ecp256").transforms());
        SaPayload sa = IkeProposalTest.wireRoundTrip(new Proposal(1, ProtocolId.IKE, new byte[0], mixed));
        assertInstanceOf(ProposalSelector.NoProposalChosen.class,
                ProposalSelector.selectIke(ike("aes128gcm16-prfsha256-ecp256"), sa, ECP256));
        Proposal p = chosen(ProposalSelector.selectIke(
                ike("aes128gcm16-prfsha256-ecp256", "aes128-sha256-ecp256"), sa, ECP256));
        assertEquals(IkeProposal.parse("aes128-sha256-ecp256"), IkeProposal.fromProposal(p));
    }

    @Test
    void childSelectionInIkeAuthIgnoresKeAndKeepsSpi() throws IkeParseException {
        byte[] spi = range(0x10, 4);
        SaPayload sa = IkeProposalTest.wireRoundTrip(
                ChildProposal.parse("aes256gcm16-ecp384-esn").toProposal(1, spi, true), // KE sent anyway
                ChildProposal.parse("aes128-sha256-esn-noesn").toProposal(2, spi, false));
        ProposalSelector.Selection s = ProposalSelector.selectChild(
                List.of(ChildProposal.parse("aes128-sha256-noesn"), ChildProposal.parse("aes256gcm16-esn")),
                sa, true, OptionalInt.empty());
        Proposal p = chosen(s);
        assertEquals(1, p.number());
        assertEquals(ChildProposal.parse("aes256gcm16-esn"), ChildProposal.fromProposal(p));
        assertEquals(IkeTestBytes.toHex(spi), IkeTestBytes.toHex(p.spi()));
        byte[] mine = range(0x20, 4);
        Proposal reply = assertInstanceOf(ProposalSelector.Chosen.class, s).reply(mine);
        assertEquals(IkeTestBytes.toHex(mine), IkeTestBytes.toHex(reply.spi()));
        assertEquals(p.transforms(), reply.transforms());
    }

    @Test
    void childEsnMismatchAndMissingEsnAreRefused() throws IkeParseException {
        SaPayload esnOnly = IkeProposalTest.wireRoundTrip(
                ChildProposal.parse("aes128gcm16-esn").toProposal(1, new byte[4], false));
        assertInstanceOf(ProposalSelector.NoProposalChosen.class, ProposalSelector.selectChild(
                List.of(ChildProposal.parse("aes128gcm16-noesn")), esnOnly, true, OptionalInt.empty()));
        Proposal noEsn = new Proposal(1, ProtocolId.ESP, new byte[4],
                List.of(Transform.encryption(EncryptionAlgorithm.AES_GCM_16_128)));
        assertInstanceOf(ProposalSelector.NoProposalChosen.class, ProposalSelector.selectChild(
                List.of(ChildProposal.parse("aes128gcm16")), IkeProposalTest.wireRoundTrip(noEsn), true,
                OptionalInt.empty()));
    }

    @Test
    void createChildSaPfsGroupChoice() throws IkeParseException {
        SaPayload sa = IkeProposalTest.wireRoundTrip(
                ChildProposal.parse("aes128gcm16-ecp384-x25519").toProposal(1, new byte[4], true));
        List<ChildProposal> local = List.of(ChildProposal.parse("aes128gcm16-x25519-ecp384"));
        Proposal p = chosen(ProposalSelector.selectChild(local, sa, false, OptionalInt.of(X25519)));
        assertEquals(List.of(Transform.keyExchange(X25519)), p.transformsOf(TransformType.KE));
        ProposalSelector.InvalidKe ke = assertInstanceOf(ProposalSelector.InvalidKe.class,
                ProposalSelector.selectChild(local, sa, false, OptionalInt.of(ECP256)));
        assertEquals(ECP384, ke.group());
        // no PFS locally: offered groups without NONE cannot be dropped
        assertInstanceOf(ProposalSelector.NoProposalChosen.class, ProposalSelector.selectChild(
                List.of(ChildProposal.parse("aes128gcm16")), sa, false, OptionalInt.of(X25519)));
        // ... but with NONE among them they can
        Proposal withNone = new Proposal(1, ProtocolId.ESP, new byte[4], List.of(
                Transform.encryption(EncryptionAlgorithm.AES_GCM_16_128), Transform.keyExchange(X25519),
                Transform.keyExchange(0), new Transform(TransformType.ESN, 0)));
        Proposal none = chosen(ProposalSelector.selectChild(List.of(ChildProposal.parse("aes128gcm16")),
                IkeProposalTest.wireRoundTrip(withNone), false, OptionalInt.empty()));
        assertEquals(List.of(Transform.keyExchange(0)), none.transformsOf(TransformType.KE));
    }

    @Test
    void protocolsMustMatch() throws IkeParseException {
        SaPayload esp = IkeProposalTest.wireRoundTrip(
                ChildProposal.parse("aes128gcm16").toProposal(1, new byte[4], false));
        assertInstanceOf(ProposalSelector.NoProposalChosen.class,
                ProposalSelector.select(List.of(IkeProposal.parse("aes128gcm16-prfsha256-ecp256").toProposal(1)), esp,
                        OptionalInt.of(ECP256), false));
    }

    // ---- initiator side ----

    @Test
    void replyThatIsASubsetIsAccepted() throws Exception {
        // offered PRFs prfsha256, prfsha512 (implied); local only implies prfsha512
        SaPayload offered = offer("aes256gcm16-prfsha384-ecp384", "aes128-sha256-sha512-ecp256-x25519");
        Proposal r = chosen(ProposalSelector.selectIke(ike("aes128-sha512-x25519"), offered, X25519));
        SaPayload reply = IkeProposalTest.wireRoundTrip(r);
        Proposal accepted = ProposalSelector.checkReply(offered, reply);
        assertEquals(2, accepted.number());
        assertEquals(IkeProposal.parse("aes128-sha512-prfsha512-x25519"), IkeProposal.fromProposal(accepted));
    }

    @Test
    void replyWithTransformNotOfferedIsRejected() throws Exception {
        SaPayload offered = offer("aes128-sha256-ecp256");
        List<Transform> ts = new ArrayList<>(IkeProposal.parse("aes128-sha256-ecp256").transforms());
        ts.set(0, Transform.encryption(EncryptionAlgorithm.AES_CBC_256)); // not offered
        SaPayload reply = new SaPayload(List.of(new Proposal(1, ProtocolId.IKE, new byte[0], ts)));
        ProposalRejectedException e = assertThrows(ProposalRejectedException.class,
                () -> ProposalSelector.checkReply(offered, reply));
        assertTrue(e.getMessage().contains("did not offer"), e.getMessage());
    }

    @Test
    void replyWithTwoProposalsIsRejected() throws Exception {
        SaPayload offered = offer("aes128-sha256-ecp256", "aes128gcm16-prfsha256-ecp256");
        ProposalRejectedException e = assertThrows(ProposalRejectedException.class,
                () -> ProposalSelector.checkReply(offered, offered));
        assertTrue(e.getMessage().contains("exactly one"), e.getMessage());
    }

    @Test
    void replyWithTwoOfOneTypeOrMissingTypeOrWrongNumberIsRejected() throws Exception {
        SaPayload offered = offer("aes128-sha256-ecp256-x25519");
        List<Transform> all = IkeProposal.parse("aes128-sha256-ecp256-x25519").transforms();
        SaPayload twoGroups = new SaPayload(List.of(new Proposal(1, ProtocolId.IKE, new byte[0], all)));
        assertTrue(assertThrows(ProposalRejectedException.class, () -> ProposalSelector.checkReply(offered, twoGroups))
                .getMessage().contains("more than one KE"));
        SaPayload noGroup = new SaPayload(List.of(new Proposal(1, ProtocolId.IKE, new byte[0], all.subList(0, 3))));
        assertTrue(assertThrows(ProposalRejectedException.class, () -> ProposalSelector.checkReply(offered, noGroup))
                .getMessage().contains("no KE"));
        SaPayload wrongNumber = new SaPayload(List.of(new Proposal(2, ProtocolId.IKE, new byte[0], all.subList(0, 4))));
        assertThrows(ProposalRejectedException.class, () -> ProposalSelector.checkReply(offered, wrongNumber));
        SaPayload withSpi = new SaPayload(List.of(new Proposal(1, ProtocolId.IKE, new byte[8], all.subList(0, 4))));
        assertThrows(ProposalRejectedException.class, () -> ProposalSelector.checkReply(offered, withSpi));
        Proposal good = new Proposal(1, ProtocolId.IKE, new byte[0], all.subList(0, 4));
        assertSame(good.getClass(), ProposalSelector.checkReply(offered, new SaPayload(List.of(good))).getClass());
        assertEquals(good, ProposalSelector.checkReply(offered, new SaPayload(List.of(good))));
    }

    @Test
    void childReplyWithResponderSpiAccepted() throws Exception {
        SaPayload offered = IkeProposalTest.wireRoundTrip(
                ChildProposal.parse("aes128gcm16-esn-noesn").toProposal(1, range(1, 4), false));
        ProposalSelector.Selection s = ProposalSelector.selectChild(List.of(ChildProposal.parse("aes128gcm16-noesn")),
                offered, true, OptionalInt.empty());
        Proposal reply = assertInstanceOf(ProposalSelector.Chosen.class, s).reply(range(9, 4));
        Proposal accepted = ProposalSelector.checkReply(offered, IkeProposalTest.wireRoundTrip(reply));
        assertEquals(ChildProposal.parse("aes128gcm16-noesn"), ChildProposal.fromProposal(accepted));
        SaPayload esnTwice = new SaPayload(List.of(new Proposal(1, ProtocolId.ESP, range(9, 4),
                ChildProposal.parse("aes128gcm16-esn-noesn").transforms(false))));
        assertThrows(ProposalRejectedException.class, () -> ProposalSelector.checkReply(offered, esnTwice));
    }
}
