package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.ExchangeType;
import io.ipsecmesh.ike.IkeKeyDerivation;
import io.ipsecmesh.ike.IkeMessage;
import io.ipsecmesh.ike.IkeParseException;
import io.ipsecmesh.ike.IkePayload;
import io.ipsecmesh.ike.IkeProposal;
import io.ipsecmesh.ike.KePayload;
import io.ipsecmesh.ike.KeyExchange;
import io.ipsecmesh.ike.NoncePayload;
import io.ipsecmesh.ike.NotifyPayload;
import io.ipsecmesh.ike.NotifyType;
import io.ipsecmesh.ike.Proposal;
import io.ipsecmesh.ike.ProposalRejectedException;
import io.ipsecmesh.ike.ProposalSelector;
import io.ipsecmesh.ike.SaPayload;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rekeying the IKE SA with CREATE_CHILD_SA (RFC 7296 §1.3.2, §2.18): a new IKE SA with new
 * SPIs, a fresh Diffie-Hellman and SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr); the
 * CHILD_SAs move to it, and the initiator then deletes the old one.
 *
 * <p>Both peers may rekey the same IKE SA at once (§2.8.2). Each answers the other's request
 * as usual; the SA that answer creates stays {@link IkeSa.State#UNDECIDED} and the old SA keeps
 * everything, because our own request is still out on it. When our exchange ends, the four
 * nonces decide: the new SA created with the lowest of them is redundant and its initiator
 * deletes it; the other takes over the CHILD_SAs, and its initiator deletes the old SA. Both
 * peers compare the same two numbers, so they keep the same SA. If the peer deletes the old SA
 * before our response came, or our exchange fails, the peer's new SA is the one left.
 */
final class IkeRekeyTask implements IkeTask {

    private long newSpi;
    private SaPayload offered;
    private KeyExchange ke;
    private byte[] nonce;

    @Override
    public ExchangeType exchange() {
        return ExchangeType.CREATE_CHILD_SA;
    }

    @Override
    public List<IkePayload> build(IkeSa sa) throws IkeFailure {
        if (sa.state != IkeSa.State.ESTABLISHED) {
            throw new IkeFailure("rekey_skipped", null, "IKE SA is " + sa.state.name().toLowerCase());
        }
        newSpi = sa.engine.allocateIkeSpi();
        byte[] spi = ByteBuffer.allocate(8).putLong(newSpi).array();
        List<Proposal> list = new ArrayList<>();
        int number = 1;
        for (IkeProposal p : sa.connection.conn().ikeProposals()) {
            list.add(p.toProposal(number++, spi));
        }
        offered = new SaPayload(list);
        ke = sa.group.generate(sa.engine.random());
        nonce = sa.engine.randomBytes(IkeInitTask.NONCE_LENGTH);
        return List.of(offered, new NoncePayload(nonce), ke.kePayload());
    }

    @Override
    public Outcome process(IkeSa sa, IkeMessage response) throws IkeFailure {
        try {
            return accept(sa, response);
        } catch (IkeFailure f) {
            if (sa.collision != null) {
                // §2.8.2: our rekey failed (the peer finished its own before it saw ours, and
                // answers TEMPORARY_FAILURE), while the peer's went through: its new SA stays.
                peerWins(sa, "our rekey failed (" + f.getMessage() + ")");
            } else if (f.counter().equals("rekey_deferred")) {
                // §2.25: the peer is closing this IKE SA or cannot rekey it now; try again later.
                sa.engine.count("ike_rekey_temporary_failure");
                sa.engine.retryIkeRekeyLater(sa);
            }
            throw f;
        } finally {
            abort(sa);
        }
    }

    private Outcome accept(IkeSa sa, IkeMessage response) throws IkeFailure {
        for (NotifyPayload n : response.payloads(NotifyPayload.class)) {
            if (n.is(NotifyType.TEMPORARY_FAILURE)) {
                throw new IkeFailure("rekey_deferred", null, "peer answered TEMPORARY_FAILURE to the IKE SA rekey");
            }
            if (n.isError()) {
                throw new IkeFailure("ike_rekey_refused", null, "peer refused the IKE SA rekey: "
                        + n.knownType().map(Enum::name).orElse("error " + n.notifyType()));
            }
        }
        List<SaPayload> sas = response.payloads(SaPayload.class);
        List<KePayload> kes = response.payloads(KePayload.class);
        List<NoncePayload> nonces = response.payloads(NoncePayload.class);
        if (sas.isEmpty() || kes.isEmpty() || nonces.isEmpty()) {
            throw new IkeFailure("malformed", null, "IKE rekey response lacks SA, KE or nonce");
        }
        Proposal chosen;
        try {
            chosen = ProposalSelector.checkReply(offered, sas.getFirst());
        } catch (ProposalRejectedException e) {
            throw new IkeFailure("bad_proposal_reply", null, e.getMessage());
        }
        if (chosen.spi().length != 8) {
            throw new IkeFailure("malformed", null, "IKE rekey reply without an 8-byte SPI");
        }
        IkeProposal proposal = IkeProposal.fromProposal(chosen, sa.connection.conn().allowLegacy());
        if (proposal.groups().getFirst() != ke.group() || kes.getFirst().dhGroup() != ke.group().transformId()) {
            throw new IkeFailure("bad_proposal_reply", null, "IKE rekey reply with another key exchange group");
        }
        byte[] gir;
        try {
            gir = ke.sharedSecret(kes.getFirst());
        } catch (IkeParseException e) {
            throw new IkeFailure("bad_ke", null, "peer's KE value is invalid: " + e.getMessage());
        }
        byte[] nr = nonces.getFirst().nonce();
        IkeSa next = new IkeSa(sa.engine, sa.connection, true, newSpi, ByteBuffer.wrap(chosen.spi()).getLong(),
                sa.local, sa.remote);
        derive(sa, next, proposal, nonce.clone(), nr.clone(), gir);
        IkeSa peers = sa.collision;
        if (peers == null) {
            handOver(sa, next);
            sa.engine.count("ike_rekeys_initiated");
            sa.queue(InformationalTask.deleteIke());
            return Outcome.DONE;
        }
        // §2.8.2 (and §2.8): the new SA created with the lowest of the four nonces is redundant.
        sa.collision = null;
        peers.replaces = null;
        byte[] ours = ChildSa.lowerOf(nonce, nr);
        byte[] theirs = ChildSa.lowerOf(peers.nonceI, peers.nonceR);
        boolean redundant = Arrays.compareUnsigned(ours, theirs) < 0;
        Arrays.fill(ours, (byte) 0);
        Arrays.fill(theirs, (byte) 0);
        if (redundant) {
            sa.engine.count("ike_rekey_collisions_lost");
            sa.engine.log("IKE_SA " + sa.name() + " rekey collision lost: the peer's new SA " + describe(peers)
                    + " replaces it; ours " + describe(next) + " is redundant and deleted");
            next.state = IkeSa.State.REDUNDANT;
            next.successor = peers;
            handOver(sa, peers);
            // The peer, which initiated the surviving SA, deletes the old one.
            next.queue(InformationalTask.deleteIke());
            return Outcome.DONE;
        }
        sa.engine.count("ike_rekey_collisions_won");
        sa.engine.log("IKE_SA " + sa.name() + " rekey collision won: our new SA " + describe(next)
                + " replaces it; the peer's " + describe(peers) + " is redundant");
        redundantUntilDeleted(peers, next);
        handOver(sa, next);
        sa.engine.count("ike_rekeys_initiated");
        sa.queue(InformationalTask.deleteIke());
        return Outcome.DONE;
    }

    @Override
    public void abort(IkeSa sa) {
        if (ke != null) {
            ke.destroy();
        }
        if (nonce != null) {
            Arrays.fill(nonce, (byte) 0);
        }
    }

    /**
     * Both roles: sets up a new IKE SA from a rekey of {@code old} (keys derived, registered so
     * that the peer's messages find it), but hands nothing over yet. {@code gir} is zeroed.
     */
    private static void derive(IkeSa old, IkeSa next, IkeProposal proposal, byte[] ni, byte[] nr, byte[] gir) {
        next.adopt(proposal);
        next.nonceI = ni;
        next.nonceR = nr;
        next.natDetected = old.natDetected;
        // RFC 7383 §2.3: fragmentation is negotiated once, in IKE_SA_INIT; the rekeyed SA keeps it.
        next.fragmentation = old.fragmentation;
        next.peerHashes = old.peerHashes;
        next.peerIdentity = old.peerIdentity;
        byte[] skD = old.keys.skD();
        try {
            next.deriveKeys(IkeKeyDerivation.rekeySkeyseed(old.prf, skD, gir, ni, nr));
        } finally {
            Arrays.fill(skD, (byte) 0);
            Arrays.fill(gir, (byte) 0);
        }
        old.engine.register(next);
    }

    /** {@code next} replaces {@code old}: the CHILD_SAs, queued CHILD_SA work and the timers move to it. */
    private static void handOver(IkeSa old, IkeSa next) {
        old.children.forEach(next::addChild);
        old.children.clear();
        old.successor = next;
        old.state = IkeSa.State.REKEYED;
        old.engine.ikeRekeyed(old, next);
        old.migrateTasks(next);
    }

    /**
     * A collision's undecided SA replaces {@code old} after all: the peer deleted {@code old}
     * before our own rekey's response came (it won on the nonces, or never saw our request), or
     * our exchange failed. Our own request, if still out, dies with {@code old}.
     */
    static void peerWins(IkeSa old, String why) {
        IkeSa peers = old.collision;
        old.collision = null;
        peers.replaces = null;
        old.engine.count("ike_rekey_collisions_lost");
        old.engine.log("IKE_SA " + old.name() + " rekey collision lost: " + why + "; the peer's new SA "
                + describe(peers) + " replaces it");
        handOver(old, peers);
    }

    /**
     * The peer deletes the SA its rekey created in a collision before our own exchange ended: it
     * found its SA redundant, so ours will replace the old SA when our response comes.
     */
    static void peerDeletesRedundant(IkeSa undecided) {
        IkeSa old = undecided.replaces;
        old.collision = null;
        undecided.replaces = null;
        undecided.state = IkeSa.State.REDUNDANT;
        old.engine.count("ike_rekey_collisions_won");
        old.engine.log("IKE_SA " + old.name() + " rekey collision won: the peer deletes its new SA "
                + describe(undecided) + " as redundant before our rekey ended; ours will replace it");
    }

    /**
     * The peer's new SA lost: nothing runs on it, and the peer deletes it. Should the peer never
     * do so (it took the old SA's DELETE for its answer and forgot its rekey), it goes once the
     * peer's retransmissions would have run out twice.
     */
    private static void redundantUntilDeleted(IkeSa redundant, IkeSa winner) {
        redundant.state = IkeSa.State.REDUNDANT;
        redundant.successor = winner;
        IkeEngine engine = redundant.engine;
        engine.schedule(2 * redundant.connection.conn().retransmit().totalMillis(), () -> {
            if (redundant.state == IkeSa.State.REDUNDANT) {
                engine.destroy(redundant, "redundant SA of a rekey collision, never deleted by the peer");
            }
        });
    }

    private static String describe(IkeSa sa) {
        return sa.name() + " spis " + String.format("%016x_i %016x_r", sa.spiI, sa.spiR);
    }

    // ------------------------------------------------------------------------------ responder

    static Responder.Reply respond(IkeSa sa, IkeMessage request) throws IkeFailure {
        boolean collision = sa.inFlight(IkeRekeyTask.class);
        if (collision && sa.collision != null) {
            throw new IkeFailure("temporary_failure", NotifyType.TEMPORARY_FAILURE,
                    "the peer rekeys this IKE SA a second time during a rekey collision");
        }
        if (sa.childExchangeInFlight()) {
            // As strongSwan does: once rekeyed, the peer deletes this IKE SA, and our CHILD_SA
            // exchange on it (a rekey, a DELETE) would die with it when its response is lost.
            // The peer retries its IKE SA rekey after ours ends.
            throw new IkeFailure("temporary_failure", NotifyType.TEMPORARY_FAILURE,
                    "a CHILD_SA exchange of ours is still on this IKE SA");
        }
        List<SaPayload> sas = request.payloads(SaPayload.class);
        List<KePayload> kes = request.payloads(KePayload.class);
        List<NoncePayload> nonces = request.payloads(NoncePayload.class);
        if (kes.isEmpty() || nonces.isEmpty()) {
            throw new IkeFailure("malformed", NotifyType.INVALID_SYNTAX, "IKE rekey without KE or nonce");
        }
        ProposalSelector.Selection s = ProposalSelector.selectIke(sa.connection.conn().ikeProposals(), sas.getFirst(),
                kes.getFirst().dhGroup());
        Proposal chosen = switch (s) {
            case ProposalSelector.Chosen c -> c.proposal();
            case ProposalSelector.InvalidKe invalid -> {
                sa.engine.count("invalid_ke_sent");
                yield null;
            }
            case ProposalSelector.NoProposalChosen none -> throw new IkeFailure("no_proposal_chosen",
                    NotifyType.NO_PROPOSAL_CHOSEN, "no acceptable proposal for the IKE SA rekey");
        };
        if (chosen == null) {
            int group = ((ProposalSelector.InvalidKe) s).group();
            return new Responder.Reply(List.of(NotifyPayload.invalidKePayload(group)), null);
        }
        if (chosen.spi().length != 8) {
            throw new IkeFailure("malformed", NotifyType.INVALID_SYNTAX, "IKE rekey proposal without an 8-byte SPI");
        }
        IkeProposal proposal = IkeProposal.fromProposal(chosen, sa.connection.conn().allowLegacy());
        KeyExchange ke = proposal.groups().getFirst().generate(sa.engine.random());
        try {
            byte[] gir;
            try {
                gir = ke.sharedSecret(kes.getFirst());
            } catch (IkeParseException e) {
                throw new IkeFailure("bad_ke", NotifyType.INVALID_SYNTAX, "invalid KE value: " + e.getMessage());
            }
            long ourSpi = sa.engine.allocateIkeSpi();
            byte[] nr = sa.engine.randomBytes(IkeInitTask.NONCE_LENGTH);
            IkeSa next = new IkeSa(sa.engine, sa.connection, false, ByteBuffer.wrap(chosen.spi()).getLong(), ourSpi,
                    sa.local, sa.remote);
            List<IkePayload> reply = List.of(new SaPayload(List.of(new Proposal(chosen.number(), chosen.protocolId(),
                            ByteBuffer.allocate(8).putLong(ourSpi).array(), chosen.transforms()))),
                    new NoncePayload(nr), ke.kePayload());
            derive(sa, next, proposal, nonces.getFirst().nonce().clone(), nr.clone(), gir);
            sa.engine.count("ike_rekeys_answered");
            if (collision) {
                // §2.8.2: our own rekey of this SA is in flight. The old SA keeps everything (our
                // request's response comes to it); the nonces decide when that exchange ends.
                next.state = IkeSa.State.UNDECIDED;
                next.replaces = sa;
                sa.collision = next;
                sa.engine.count("ike_rekey_collisions");
                sa.engine.log("IKE_SA " + sa.name() + " rekey collision: both sides rekey it; the peer's new SA "
                        + describe(next) + " waits until the nonces decide");
            } else {
                handOver(sa, next);
            }
            return new Responder.Reply(reply, null);
        } finally {
            ke.destroy();
        }
    }
}
