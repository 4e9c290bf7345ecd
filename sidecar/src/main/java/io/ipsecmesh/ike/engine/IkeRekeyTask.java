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
            for (NotifyPayload n : response.payloads(NotifyPayload.class)) {
                if (n.is(NotifyType.TEMPORARY_FAILURE)) {
                    sa.engine.count("rekey_collisions");
                    sa.engine.retryIkeRekeyLater(sa);
                    throw new IkeFailure("rekey_deferred", null, "peer answered TEMPORARY_FAILURE; rekey retried soon");
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
            IkeSa next = new IkeSa(sa.engine, sa.connection, true, newSpi, ByteBuffer.wrap(chosen.spi()).getLong(),
                    sa.local, sa.remote);
            complete(sa, next, proposal, nonce.clone(), nonces.getFirst().nonce(), gir);
            sa.engine.count("ike_rekeys_initiated");
            sa.queue(InformationalTask.deleteIke());
            return Outcome.DONE;
        } finally {
            abort(sa);
        }
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

    /** Both roles: derive the new SA's keys, move the children, hand over. {@code gir} is zeroed. */
    private static void complete(IkeSa old, IkeSa next, IkeProposal proposal, byte[] ni, byte[] nr, byte[] gir) {
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
        old.children.forEach(next::addChild);
        old.children.clear();
        old.successor = next;
        old.state = IkeSa.State.REKEYED;
        old.engine.register(next);
        old.engine.ikeRekeyed(old, next);
        old.migrateTasks(next);
    }

    // ------------------------------------------------------------------------------ responder

    static Responder.Reply respond(IkeSa sa, IkeMessage request) throws IkeFailure {
        if (sa.hasQueued(IkeRekeyTask.class)) {
            // Both sides rekeying at once: ours goes on, the peer retries later.
            throw new IkeFailure("rekey_collision", NotifyType.TEMPORARY_FAILURE, "we are rekeying this IKE SA too");
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
            complete(sa, next, proposal, nonces.getFirst().nonce(), nr.clone(), gir);
            sa.engine.count("ike_rekeys_answered");
            return new Responder.Reply(reply, null);
        } finally {
            ke.destroy();
        }
    }
}
