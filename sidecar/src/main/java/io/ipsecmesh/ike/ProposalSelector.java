package io.ipsecmesh.ike;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * SA negotiation (RFC 7296 §2.7, §3.3.6) on both sides.
 *
 * <p>Responder: the initiator's proposals are taken in the initiator's order and the first one
 * that matches one of the local proposals (tried in local order) is chosen. A proposal matches
 * when it has the same protocol, a valid SPI size, only transform types known and allowed for
 * its protocol, every mandatory type (§3.3.3), and for every transform type present on either
 * side one offered transform the local proposal contains (equal ID and attributes, so AES key
 * lengths must agree, §3.3.5). Transforms the responder does not understand, or with unknown
 * attributes, are merely unacceptable; others of the same type are still considered
 * (§3.3.6). A type offered only as NONE (INTEG, D-H) may meet a local proposal without it. Within
 * a type the initiator's order decides, except that for D-H the group of the KE payload is taken
 * whenever it is acceptable; if it is not, the result asks for the chosen group with
 * INVALID_KE_PAYLOAD (§1.2, §1.3.1); before asking, the other local proposals are tried against
 * the same initiator proposal for one that takes the KE payload's group. The chosen proposal
 * keeps the initiator's proposal number.
 *
 * <p>Initiator: {@link #checkReply} accepts a reply only if it is exactly one proposal that
 * picks, from the offered proposal with the same number, one transform of each offered type
 * (§2.7: otherwise the initiator MUST reject the response).
 */
public final class ProposalSelector {

    private ProposalSelector() {
    }

    /** Outcome of responder selection. */
    public sealed interface Selection {
        /** The notification to send instead of an SA payload, if any. */
        Optional<NotifyPayload> errorNotify();
    }

    /** A proposal was chosen: one transform per type, initiator's proposal number and SPI. */
    public record Chosen(Proposal proposal) implements Selection {
        public Chosen {
            Objects.requireNonNull(proposal, "proposal");
        }

        /** The reply's proposal: the chosen transforms with the responder's own SPI. */
        public Proposal reply(byte[] responderSpi) {
            return new Proposal(proposal.number(), proposal.protocolId(), responderSpi, proposal.transforms());
        }

        @Override
        public Optional<NotifyPayload> errorNotify() {
            return Optional.empty();
        }
    }

    /** Nothing acceptable: answer NO_PROPOSAL_CHOSEN. */
    public record NoProposalChosen() implements Selection {
        @Override
        public Optional<NotifyPayload> errorNotify() {
            return Optional.of(NotifyPayload.of(NotifyType.NO_PROPOSAL_CHOSEN));
        }
    }

    /**
     * A proposal fits but the KE payload is for another group: answer INVALID_KE_PAYLOAD with
     * {@code group}, the group of the proposal that would be chosen.
     */
    public record InvalidKe(int group, Proposal proposal) implements Selection {
        @Override
        public Optional<NotifyPayload> errorNotify() {
            return Optional.of(NotifyPayload.invalidKePayload(group));
        }
    }

    /**
     * Responder selection in IKE_SA_INIT (or IKE SA rekeying).
     *
     * @param local   acceptable proposals, in local preference
     * @param offer   the initiator's SA payload
     * @param keGroup the D-H group of the initiator's KE payload
     */
    public static Selection selectIke(List<IkeProposal> local, SaPayload offer, int keGroup) {
        List<Proposal> mine = new ArrayList<>();
        for (IkeProposal p : local) {
            mine.add(p.toProposal(1));
        }
        return select(mine, offer, OptionalInt.of(keGroup), false);
    }

    /**
     * Responder selection of a CHILD_SA.
     *
     * @param ikeAuth true in IKE_AUTH: D-H transforms are ignored on both sides, as the exchange
     *                carries no KE payload (RFC 7296 §1.2)
     * @param keGroup the KE payload's group in CREATE_CHILD_SA, empty without a KE payload
     */
    public static Selection selectChild(List<ChildProposal> local, SaPayload offer, boolean ikeAuth,
                                        OptionalInt keGroup) {
        List<Proposal> mine = new ArrayList<>();
        for (ChildProposal p : local) {
            mine.add(p.toProposal(1, new byte[ProtocolId.ESP.spiSize()], !ikeAuth));
        }
        return select(mine, offer, ikeAuth ? OptionalInt.empty() : keGroup, ikeAuth);
    }

    /**
     * Generic responder selection against local proposal substructures (numbers and SPIs of the
     * local ones are ignored).
     *
     * @param keGroup the KE payload's group, empty when there is no KE payload
     * @param stripKe drop D-H transforms on both sides before matching
     */
    public static Selection select(List<Proposal> local, SaPayload offer, OptionalInt keGroup, boolean stripKe) {
        for (Proposal offered : offer.proposals()) {
            InvalidKe wrongGroup = null;
            for (Proposal mine : local) {
                Optional<Proposal> chosen = match(offered, mine, keGroup, stripKe);
                if (chosen.isEmpty()) {
                    continue;
                }
                Proposal p = chosen.get();
                List<Transform> ke = p.transformsOf(TransformType.KE);
                int chosenGroup = ke.isEmpty() ? 0 : ke.getFirst().transformId();
                if (chosenGroup == 0 || keGroup.isPresent() && keGroup.getAsInt() == chosenGroup) {
                    return new Chosen(p);
                }
                if (wrongGroup == null) {
                    wrongGroup = new InvalidKe(chosenGroup, p); // a later local proposal may take the KE group
                }
            }
            if (wrongGroup != null) {
                return wrongGroup;
            }
        }
        return new NoProposalChosen();
    }

    /**
     * Initiator check of the responder's SA payload against what was offered.
     *
     * @return the accepted proposal (the reply's, with the responder's SPI)
     * @throws ProposalRejectedException naming what violates §2.7
     */
    public static Proposal checkReply(SaPayload offered, SaPayload reply) throws ProposalRejectedException {
        if (reply.proposals().size() != 1) {
            throw new ProposalRejectedException("the responder returned " + reply.proposals().size()
                    + " proposals; RFC 7296 §2.7 requires exactly one");
        }
        Proposal r = reply.proposals().getFirst();
        Proposal o = offered.proposals().stream()
                .filter(p -> p.number() == r.number() && p.protocolId() == r.protocolId()).findFirst()
                .orElseThrow(() -> new ProposalRejectedException("the responder chose proposal " + r.number()
                        + " with protocol " + r.protocolId() + ", which was not offered"));
        ProtocolId protocol = ProtocolId.of(r.protocolId()).orElseThrow();
        int expectedSpi = protocol == ProtocolId.IKE ? o.spi().length : protocol.spiSize();
        if (r.spi().length != expectedSpi) {
            throw new ProposalRejectedException("the responder's proposal " + r.number() + " has an SPI of "
                    + r.spi().length + " bytes, expected " + expectedSpi);
        }
        Set<TransformType> seen = EnumSet.noneOf(TransformType.class);
        for (Transform t : r.transforms()) {
            if (!o.transforms().contains(t)) {
                throw new ProposalRejectedException("the responder chose transform " + t
                        + ", which proposal " + o.number() + " did not offer");
            }
            TransformType type = TransformType.of(t.transformType()).orElseThrow();
            if (!seen.add(type)) {
                throw new ProposalRejectedException("the responder chose more than one " + type + " transform");
            }
        }
        for (Transform t : o.transforms()) {
            TransformType type = TransformType.of(t.transformType()).orElse(null);
            if (type == null) {
                continue;
            }
            if (!seen.contains(type) && !offersNone(o, type)) {
                throw new ProposalRejectedException("the responder chose no " + type + " transform");
            }
        }
        return r;
    }

    /** The initiator's proposal reduced to one transform per type, if {@code mine} accepts it. */
    static Optional<Proposal> match(Proposal offered, Proposal mine, OptionalInt keGroup, boolean stripKe) {
        if (offered.protocolId() != mine.protocolId()) {
            return Optional.empty();
        }
        Optional<ProtocolId> protocol = ProtocolId.of(offered.protocolId());
        if (protocol.isEmpty()) {
            return Optional.empty();
        }
        int spiSize = offered.spi().length;
        if (protocol.get() == ProtocolId.IKE ? spiSize != 0 && spiSize != 8 : spiSize != protocol.get().spiSize()) {
            return Optional.empty();
        }
        Set<TransformType> allowed = allowedTypes(protocol.get());
        Set<TransformType> present = EnumSet.noneOf(TransformType.class);
        for (Transform t : offered.transforms()) {
            Optional<TransformType> type = TransformType.of(t.transformType());
            if (type.isEmpty() || !allowed.contains(type.get())) {
                return Optional.empty(); // §3.3.6: a type not understood makes the proposal unacceptable
            }
            present.add(type.get());
        }
        if (stripKe) {
            present.remove(TransformType.KE);
        }
        if (!present.containsAll(mandatoryTypes(protocol.get()))) {
            return Optional.empty();
        }
        List<Transform> chosen = new ArrayList<>();
        for (TransformType type : TransformType.values()) {
            if (stripKe && type == TransformType.KE) {
                continue;
            }
            List<Transform> theirs = offered.transformsOf(type);
            List<Transform> ours = mine.transformsOf(type);
            if (theirs.isEmpty() && ours.isEmpty()) {
                continue;
            }
            if (theirs.isEmpty()) {
                if (noneable(type) && ours.stream().anyMatch(t -> t.transformId() == 0)) {
                    continue;
                }
                return Optional.empty();
            }
            List<Transform> acceptable = ours.isEmpty()
                    ? theirs.stream().filter(t -> noneable(type) && t.equals(new Transform(type, 0))).toList()
                    : theirs.stream().filter(ours::contains).toList();
            if (acceptable.isEmpty()) {
                return Optional.empty();
            }
            Transform pick = acceptable.getFirst();
            if (type == TransformType.KE && keGroup.isPresent()) {
                pick = acceptable.stream().filter(t -> t.transformId() == keGroup.getAsInt()).findFirst().orElse(pick);
            }
            chosen.add(pick);
        }
        return Optional.of(new Proposal(offered.number(), offered.protocolId(), offered.spi(), chosen));
    }

    private static boolean offersNone(Proposal p, TransformType type) {
        return noneable(type) && p.transformsOf(type).stream().anyMatch(t -> t.transformId() == 0);
    }

    /** Types whose ID 0 means NONE: integrity with combined mode, D-H without PFS. */
    private static boolean noneable(TransformType type) {
        return type == TransformType.INTEG || type == TransformType.KE;
    }

    /** RFC 7296 §3.3.3. */
    static Set<TransformType> allowedTypes(ProtocolId protocol) {
        return switch (protocol) {
            case IKE -> EnumSet.of(TransformType.ENCR, TransformType.PRF, TransformType.INTEG, TransformType.KE);
            case ESP -> EnumSet.of(TransformType.ENCR, TransformType.INTEG, TransformType.KE, TransformType.ESN);
            case AH -> EnumSet.of(TransformType.INTEG, TransformType.KE, TransformType.ESN);
        };
    }

    /** RFC 7296 §3.3.3 (INTEG of IKE and ESP depends on the cipher and is left to the match). */
    static Set<TransformType> mandatoryTypes(ProtocolId protocol) {
        return switch (protocol) {
            case IKE -> EnumSet.of(TransformType.ENCR, TransformType.PRF, TransformType.KE);
            case ESP -> EnumSet.of(TransformType.ENCR, TransformType.ESN);
            case AH -> EnumSet.of(TransformType.INTEG, TransformType.ESN);
        };
    }
}
