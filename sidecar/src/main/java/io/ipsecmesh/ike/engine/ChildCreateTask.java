package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.ChildProposal;
import io.ipsecmesh.ike.ChildSaKeys;
import io.ipsecmesh.ike.ExchangeType;
import io.ipsecmesh.ike.IkeKeyDerivation;
import io.ipsecmesh.ike.IkeMessage;
import io.ipsecmesh.ike.IkeParseException;
import io.ipsecmesh.ike.IkePayload;
import io.ipsecmesh.ike.KePayload;
import io.ipsecmesh.ike.KeyExchange;
import io.ipsecmesh.ike.KeyExchangeGroup;
import io.ipsecmesh.ike.NoncePayload;
import io.ipsecmesh.ike.NotifyPayload;
import io.ipsecmesh.ike.NotifyType;
import io.ipsecmesh.ike.Proposal;
import io.ipsecmesh.ike.ProposalRejectedException;
import io.ipsecmesh.ike.ProposalSelector;
import io.ipsecmesh.ike.ProtocolId;
import io.ipsecmesh.ike.SaPayload;
import io.ipsecmesh.ike.TrafficSelector;
import io.ipsecmesh.ike.TsPayload;
import io.ipsecmesh.sa.Mode;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;

/**
 * Creating a CHILD_SA (RFC 7296 §1.3.1, §2.17) and rekeying one (§1.3.3): the SA, TS and mode
 * negotiation shared by IKE_AUTH (which carries the first CHILD_SA) and CREATE_CHILD_SA. As an
 * {@link IkeTask} it is the initiator of a CREATE_CHILD_SA; the static methods are the
 * responder's side and the parts IKE_AUTH reuses.
 */
final class ChildCreateTask implements IkeTask {

    static final int NONCE_LENGTH = 32;

    private final IkeConfig.Child config;
    /** The CHILD_SA being rekeyed, or null for a new one. */
    private final ChildSa rekeyed;
    private Offer offer;
    private byte[] nonce;
    private KeyExchange ke;

    ChildCreateTask(IkeConfig.Child config, ChildSa rekeyed) {
        this.config = config;
        this.rekeyed = rekeyed;
    }

    @Override
    public ExchangeType exchange() {
        return ExchangeType.CREATE_CHILD_SA;
    }

    @Override
    public List<IkePayload> build(IkeSa sa) throws IkeFailure {
        if (sa.state != IkeSa.State.ESTABLISHED) {
            throw new IkeFailure("not_established", null, "the IKE SA is not established");
        }
        if (rekeyed != null && rekeyed.state != ChildSa.State.INSTALLED) {
            throw new IkeFailure("rekey_skipped", null, "CHILD_SA " + rekeyed.config.name() + " is "
                    + rekeyed.state.name().toLowerCase());
        }
        offer = rekeyed != null
                ? Offer.of(sa, config, rekeyed.mode, rekeyed.localTs, rekeyed.remoteTs, false)
                : Offer.of(sa, config, config.mode(), Selectors.orHost(config.localTs(), sa.local.getAddress()),
                        Selectors.orHost(config.remoteTs(), sa.remote.getAddress()), false);
        if (rekeyed != null) {
            rekeyed.state = ChildSa.State.REKEYING;
        }
        nonce = sa.engine.randomBytes(NONCE_LENGTH);
        List<IkePayload> payloads = new ArrayList<>();
        if (rekeyed != null) {
            payloads.add(NotifyPayload.rekeySa(ProtocolId.ESP, rekeyed.inSpi));
        }
        if (offer.mode == Mode.TRANSPORT) {
            payloads.add(NotifyPayload.of(NotifyType.USE_TRANSPORT_MODE));
        }
        payloads.add(offer.sa);
        payloads.add(new NoncePayload(nonce));
        KeyExchangeGroup pfs = config.proposals().getFirst().groups().isEmpty() ? null
                : config.proposals().getFirst().groups().getFirst();
        if (pfs != null) {
            ke = pfs.generate(sa.engine.random());
            payloads.add(ke.kePayload());
        }
        payloads.add(new TsPayload(true, offer.tsi));
        payloads.add(new TsPayload(false, offer.tsr));
        return payloads;
    }

    @Override
    public Outcome process(IkeSa sa, IkeMessage response) throws IkeFailure {
        try {
            for (NotifyPayload n : response.payloads(NotifyPayload.class)) {
                if (rekeyed != null && n.is(NotifyType.TEMPORARY_FAILURE)) {
                    // §2.25.1: the peer is closing the pair, or cannot rekey it now. Try again
                    // shortly, unless the peer's own rekey of it went through (see abort).
                    sa.engine.count("rekey_temporary_failure");
                    if (rekeyed.collision == null) {
                        sa.engine.retryRekeyLater(sa, rekeyed);
                    }
                    throw new IkeFailure("rekey_deferred", null, "peer answered TEMPORARY_FAILURE to the rekey of "
                            + rekeyed.config.name());
                }
                if (rekeyed != null && n.is(NotifyType.CHILD_SA_NOT_FOUND)) {
                    // §2.25: the peer has no such pair. Drop ours silently and create a new one.
                    if (rekeyed.collision == null) {
                        sa.engine.childNotFound(sa, rekeyed);
                    }
                    throw new IkeFailure("child_not_found", null, "peer does not know CHILD_SA "
                            + rekeyed.config.name() + String.format(" 0x%08x", rekeyed.outSpi));
                }
                if (n.isError()) {
                    throw new IkeFailure("child_refused", null, "peer refused the CHILD_SA: "
                            + n.knownType().map(Enum::name).orElse("error " + n.notifyType()));
                }
            }
            List<NoncePayload> nonces = response.payloads(NoncePayload.class);
            if (nonces.isEmpty()) {
                throw new IkeFailure("malformed", null, "CREATE_CHILD_SA response without a nonce");
            }
            byte[] gir = null;
            if (ke != null) {
                List<KePayload> kes = response.payloads(KePayload.class);
                if (kes.isEmpty() || kes.getFirst().dhGroup() != ke.group().transformId()) {
                    throw new IkeFailure("malformed", null, "PFS response without a matching KE payload");
                }
                try {
                    gir = ke.sharedSecret(kes.getFirst());
                } catch (IkeParseException e) {
                    throw new IkeFailure("bad_ke", null, "peer's KE value is invalid: " + e.getMessage());
                }
            }
            byte[] nr = nonces.getFirst().nonce();
            // §2.8.1: if the peer rekeyed the same pair meanwhile, the new pair created with the
            // lowest of the four nonces is redundant, and whoever initiated it deletes it.
            ChildSa peers = rekeyed != null ? rekeyed.collision : null;
            boolean redundant = peers != null && Arrays.compareUnsigned(ChildSa.lowerOf(nonce, nr), peers.lowerNonce) < 0;
            ChildSa child = offer.accept(sa, response, true, nonce, nr, gir, !redundant);
            if (gir != null) {
                Arrays.fill(gir, (byte) 0);
            }
            if (rekeyed == null) {
                return Outcome.DONE;
            }
            if (redundant) {
                sa.engine.count("rekey_collisions_lost");
                child.state = ChildSa.State.REDUNDANT;
                sa.engine.log(sa.name() + " CHILD_SA " + rekeyed.config.name() + " rekey collision: ours ("
                        + String.format("0x%08x", child.inSpi) + ") is redundant, the peer's ("
                        + String.format("0x%08x", peers.inSpi) + ") replaces " + String.format("0x%08x", rekeyed.inSpi));
                if (rekeyed.state == ChildSa.State.REKEYING) {
                    rekeyed.replacedByCollision();
                }
                sa.current().queue(InformationalTask.deleteChild(child));
                return Outcome.DONE;
            }
            if (peers != null) {
                // The peer's new pair is the redundant one: the peer deletes it, nobody sends on it.
                sa.engine.count("rekey_collisions_won");
                peers.state = ChildSa.State.REDUNDANT;
                peers.removeOutbound(sa.engine);
                peers.cancelTimers();
                sa.engine.log(sa.name() + " CHILD_SA " + rekeyed.config.name() + " rekey collision: the peer's ("
                        + String.format("0x%08x", peers.inSpi) + ") is redundant");
            }
            if (rekeyed.state != ChildSa.State.REKEYING) {
                // Deleted by the peer while our rekey was under way: the new pair simply stays.
                sa.engine.log(sa.name() + " CHILD_SA " + rekeyed.config.name() + " rekeyed after the peer deleted "
                        + String.format("0x%08x", rekeyed.inSpi) + ": " + child.describe());
                return Outcome.DONE;
            }
            // Make-before-break: the new pair carries our traffic now; the old one is deleted
            // and its inbound half stays until the peer confirms.
            rekeyed.successor = child;
            rekeyed.state = ChildSa.State.REKEYED;
            rekeyed.removeOutbound(sa.engine);
            sa.engine.log(sa.name() + " CHILD_SA " + rekeyed.config.name() + " rekeyed: "
                    + String.format("0x%08x", rekeyed.inSpi) + " -> " + child.describe());
            sa.engine.count("child_rekeys_initiated");
            sa.current().queue(InformationalTask.deleteChild(rekeyed));
            return Outcome.DONE;
        } finally {
            destroyKe();
        }
    }

    @Override
    public void abort(IkeSa sa) {
        destroyKe();
        if (rekeyed != null && rekeyed.state == ChildSa.State.REKEYING) {
            if (rekeyed.collision != null) {
                rekeyed.replacedByCollision();
            } else {
                rekeyed.state = ChildSa.State.INSTALLED;
            }
        }
    }

    private void destroyKe() {
        if (ke != null) {
            ke.destroy();
        }
        if (nonce != null) {
            Arrays.fill(nonce, (byte) 0);
        }
    }

    // ------------------------------------------------------------------------------ responder

    /** CREATE_CHILD_SA for a new CHILD_SA or a CHILD_SA rekey (REKEY_SA notify present). */
    static Responder.Reply respond(IkeSa sa, IkeMessage request) throws IkeFailure {
        ChildSa old = null;
        for (NotifyPayload n : request.notifies(NotifyType.REKEY_SA)) {
            if (n.protocolId() != ProtocolId.ESP.value() || n.spi().length != 4) {
                throw new IkeFailure("malformed", NotifyType.INVALID_SYNTAX, "REKEY_SA without an ESP SPI");
            }
            int spi = ByteBuffer.wrap(n.spi()).getInt();
            old = sa.childByOutSpi(spi);
            if (old == null) {
                NotifyPayload notFound = new NotifyPayload(ProtocolId.ESP.value(), n.spi(),
                        NotifyType.CHILD_SA_NOT_FOUND.value(), new byte[0]);
                sa.engine.count("child_not_found");
                return new Responder.Reply(List.of(notFound), null);
            }
            if (old.state != ChildSa.State.INSTALLED && (old.state != ChildSa.State.REKEYING || old.collision != null)) {
                // §2.25.1: a pair we are closing (rekeyed, redundant or being deleted) is not rekeyed.
                throw new IkeFailure("rekey_refused_closing", NotifyType.TEMPORARY_FAILURE, "CHILD_SA "
                        + old.config.name() + " is " + old.state.name().toLowerCase());
            }
            // A pair we are rekeying ourselves is rekeyed as usual; the nonces decide later which
            // of the two new pairs stays (§2.25.1, §2.8.1).
        }
        List<NoncePayload> nonces = request.payloads(NoncePayload.class);
        if (nonces.isEmpty()) {
            throw new IkeFailure("malformed", NotifyType.INVALID_SYNTAX, "CREATE_CHILD_SA without a nonce");
        }
        List<KePayload> kes = request.payloads(KePayload.class);
        OptionalInt keGroup = kes.isEmpty() ? OptionalInt.empty() : OptionalInt.of(kes.getFirst().dhGroup());
        byte[] ni = nonces.getFirst().nonce();
        byte[] nr = sa.engine.randomBytes(NONCE_LENGTH);
        Negotiated n = negotiate(sa, request, false, keGroup, old);
        byte[] gir = null;
        KeyExchange ke = null;
        List<IkePayload> payloads = new ArrayList<>();
        try {
            if (n.keGroup != null) {
                ke = n.keGroup.generate(sa.engine.random());
                try {
                    gir = ke.sharedSecret(kes.getFirst());
                } catch (IkeParseException e) {
                    throw new IkeFailure("bad_ke", NotifyType.INVALID_SYNTAX, "invalid KE value: " + e.getMessage());
                }
            }
            if (n.mode == Mode.TRANSPORT) {
                payloads.add(NotifyPayload.of(NotifyType.USE_TRANSPORT_MODE));
            }
            payloads.add(new SaPayload(List.of(n.replyProposal)));
            payloads.add(new NoncePayload(nr));
            if (ke != null) {
                payloads.add(ke.kePayload());
            }
            payloads.add(new TsPayload(true, n.tsi));
            payloads.add(new TsPayload(false, n.tsr));
            ChildSa child = n.install(sa, ni, nr, gir, old == null);
            if (old != null && old.state == ChildSa.State.REKEYING) {
                old.collision = child;
                sa.engine.count("rekey_collisions");
                sa.engine.log(sa.name() + " CHILD_SA " + old.config.name() + " rekey collision: both sides rekey "
                        + String.format("0x%08x", old.inSpi) + ", the nonces will decide");
            } else if (old != null) {
                old.successor = child;
                old.state = ChildSa.State.REKEYED;
            }
            if (old != null) {
                ChildSa previous = old;
                // The initiator installs both new halves when our response arrives; our new outbound
                // half waits for its DELETE of the old pair (or 10 s), so nothing we send is lost.
                sa.engine.schedule(10_000, () -> Responder.finishRekey(sa, previous));
                sa.engine.count("child_rekeys_answered");
                sa.engine.log(sa.name() + " CHILD_SA " + old.config.name() + " rekey answered: "
                        + child.describe());
            }
        } finally {
            if (ke != null) {
                ke.destroy();
            }
            if (gir != null) {
                Arrays.fill(gir, (byte) 0);
            }
        }
        return new Responder.Reply(payloads, null);
    }

    /** What the responder chose for a CHILD_SA request. */
    static final class Negotiated {
        IkeConfig.Child config;
        Proposal replyProposal;
        ChildProposal proposal;
        KeyExchangeGroup keGroup;
        List<TrafficSelector> tsi;
        List<TrafficSelector> tsr;
        Mode mode;
        int inSpi;
        int outSpi;

        /** Installs the pair; {@code outboundNow} false defers our outbound half (rekey responder). */
        ChildSa install(IkeSa sa, byte[] ni, byte[] nr, byte[] gir, boolean outboundNow) {
            ChildSa child = new ChildSa(config, mode, proposal, inSpi, outSpi, tsr, tsi, sa.connection.conn().name());
            child.lowerNonce = ChildSa.lowerOf(ni, nr);
            ChildSaKeys keys = IkeKeyDerivation.childSaKeys(sa.prf, sa.keys.skD(), gir, ni, nr, proposal.esp());
            try {
                child.installInbound(sa.engine, keys, false, sa.local, sa.remote, sa.natDetected);
                if (outboundNow) {
                    child.installOutbound(sa.engine, keys, false, sa.local, sa.remote, sa.natDetected);
                } else {
                    child.deferredKeys = keys;
                    keys = null;
                }
            } finally {
                if (keys != null) {
                    keys.destroy();
                }
            }
            child.state = ChildSa.State.INSTALLED;
            sa.current().addChild(child);
            sa.engine.childEstablished(sa, child);
            return child;
        }
    }

    /**
     * The responder's choice: a child config whose selectors the request's narrow to something
     * (or the rekeyed child's), a proposal, the mode.
     */
    static Negotiated negotiate(IkeSa sa, IkeMessage request, boolean ikeAuth, OptionalInt keGroup, ChildSa old)
            throws IkeFailure {
        List<SaPayload> sas = request.payloads(SaPayload.class);
        List<TsPayload> tsi = request.payloads(TsPayload.class).stream().filter(TsPayload::initiator).toList();
        List<TsPayload> tsr = request.payloads(TsPayload.class).stream().filter(t -> !t.initiator()).toList();
        if (sas.isEmpty() || tsi.isEmpty() || tsr.isEmpty()) {
            throw new IkeFailure("malformed", NotifyType.INVALID_SYNTAX, "CHILD_SA request without SA, TSi or TSr");
        }
        boolean transport = !request.notifies(NotifyType.USE_TRANSPORT_MODE).isEmpty();
        List<IkeConfig.Child> candidates = old != null ? List.of(old.config) : sa.connection.conn().children();
        for (IkeConfig.Child c : candidates) {
            List<TrafficSelector> allowI = old != null ? old.remoteTs
                    : Selectors.orHost(c.remoteTs(), sa.remote.getAddress());
            List<TrafficSelector> allowR = old != null ? old.localTs
                    : Selectors.orHost(c.localTs(), sa.local.getAddress());
            List<TrafficSelector> ni = Selectors.narrow(tsi.getFirst().selectors(), allowI);
            List<TrafficSelector> nr = Selectors.narrow(tsr.getFirst().selectors(), allowR);
            if (ni.isEmpty() || nr.isEmpty()) {
                continue;
            }
            Mode mode = transport ? Mode.TRANSPORT : Mode.TUNNEL;
            if (mode != c.mode()) {
                throw new IkeFailure("mode_mismatch", NotifyType.NO_PROPOSAL_CHOSEN, "child " + c.name()
                        + " is configured for " + c.mode().name().toLowerCase() + " mode, the peer asks for "
                        + mode.name().toLowerCase());
            }
            ProposalSelector.Selection s = ProposalSelector.selectChild(c.proposals(), sas.getFirst(), ikeAuth, keGroup);
            Negotiated n = new Negotiated();
            switch (s) {
                case ProposalSelector.Chosen chosen -> {
                    n.inSpi = sa.engine.allocateChildSpi();
                    n.outSpi = ByteBuffer.wrap(chosen.proposal().spi()).getInt();
                    n.replyProposal = chosen.reply(ByteBuffer.allocate(4).putInt(n.inSpi).array());
                    n.proposal = ChildProposal.fromProposal(chosen.proposal(), true);
                    n.keGroup = ikeAuth || n.proposal.groups().isEmpty() ? null : n.proposal.groups().getFirst();
                }
                case ProposalSelector.InvalidKe invalid -> throw new IkeFailure("invalid_ke",
                        NotifyType.INVALID_KE_PAYLOAD, "peer's KE group is not our choice " + invalid.group());
                case ProposalSelector.NoProposalChosen none -> throw new IkeFailure("no_proposal_chosen",
                        NotifyType.NO_PROPOSAL_CHOSEN, "no acceptable ESP proposal for child " + c.name());
            }
            n.config = c;
            n.tsi = ni;
            n.tsr = nr;
            n.mode = mode;
            return n;
        }
        throw new IkeFailure("ts_unacceptable", NotifyType.TS_UNACCEPTABLE, "no child's traffic selectors match "
                + Selectors.format(tsi.getFirst().selectors()) + " === " + Selectors.format(tsr.getFirst().selectors()));
    }

    /** The initiator's offer of one CHILD_SA and the checks of the responder's answer. */
    static final class Offer {
        final IkeConfig.Child config;
        final int spi;
        final Mode mode;
        final SaPayload sa;
        final List<TrafficSelector> tsi;
        final List<TrafficSelector> tsr;

        private Offer(IkeConfig.Child config, int spi, Mode mode, SaPayload sa, List<TrafficSelector> tsi,
                      List<TrafficSelector> tsr) {
            this.config = config;
            this.spi = spi;
            this.mode = mode;
            this.sa = sa;
            this.tsi = tsi;
            this.tsr = tsr;
        }

        static Offer of(IkeSa ike, IkeConfig.Child config, Mode mode, List<TrafficSelector> tsi,
                        List<TrafficSelector> tsr, boolean ikeAuth) {
            int spi = ike.engine.allocateChildSpi();
            byte[] spiBytes = ByteBuffer.allocate(4).putInt(spi).array();
            List<Proposal> proposals = new ArrayList<>();
            int number = 1;
            for (ChildProposal p : config.proposals()) {
                proposals.add(p.toProposal(number++, spiBytes, !ikeAuth));
            }
            return new Offer(config, spi, mode, new SaPayload(proposals), tsi, tsr);
        }

        /** Payloads for IKE_AUTH (no nonce or KE there). */
        List<IkePayload> ikeAuthPayloads() {
            List<IkePayload> payloads = new ArrayList<>();
            if (mode == Mode.TRANSPORT) {
                payloads.add(NotifyPayload.of(NotifyType.USE_TRANSPORT_MODE));
            }
            payloads.add(sa);
            payloads.add(new TsPayload(true, tsi));
            payloads.add(new TsPayload(false, tsr));
            return payloads;
        }

        /**
         * Checks the response and installs the pair (we initiated this exchange). Without
         * {@code outbound} (the redundant pair of a rekey collision) only the inbound half goes
         * in, and the pair gets no timers: it is about to be deleted.
         */
        ChildSa accept(IkeSa ike, IkeMessage response, boolean weInitiated, byte[] ni, byte[] nr, byte[] gir,
                       boolean outbound) throws IkeFailure {
            List<SaPayload> sas = response.payloads(SaPayload.class);
            List<TsPayload> rTsi = response.payloads(TsPayload.class).stream().filter(TsPayload::initiator).toList();
            List<TsPayload> rTsr = response.payloads(TsPayload.class).stream().filter(t -> !t.initiator()).toList();
            if (sas.isEmpty() || rTsi.isEmpty() || rTsr.isEmpty()) {
                throw new IkeFailure("malformed", null, "CHILD_SA response without SA, TSi or TSr");
            }
            Proposal chosen;
            try {
                chosen = ProposalSelector.checkReply(sa, sas.getFirst());
            } catch (ProposalRejectedException e) {
                throw new IkeFailure("bad_proposal_reply", null, e.getMessage());
            }
            ChildProposal proposal = ChildProposal.fromProposal(chosen, true);
            if (chosen.spi().length != 4) {
                throw new IkeFailure("malformed", null, "ESP proposal reply without a 4-byte SPI");
            }
            for (TrafficSelector t : rTsi.getFirst().selectors()) {
                if (tsi.stream().noneMatch(o -> Selectors.within(t, o))) {
                    throw new IkeFailure("ts_unacceptable", null, "responder's TSi " + Selectors.format(List.of(t))
                            + " is not within what we offered");
                }
            }
            for (TrafficSelector t : rTsr.getFirst().selectors()) {
                if (tsr.stream().noneMatch(o -> Selectors.within(t, o))) {
                    throw new IkeFailure("ts_unacceptable", null, "responder's TSr " + Selectors.format(List.of(t))
                            + " is not within what we offered");
                }
            }
            boolean transport = !response.notifies(NotifyType.USE_TRANSPORT_MODE).isEmpty();
            Mode got = transport ? Mode.TRANSPORT : Mode.TUNNEL;
            if (got != mode) {
                throw new IkeFailure("mode_mismatch", null, "asked for " + mode.name().toLowerCase()
                        + " mode, the responder chose " + got.name().toLowerCase());
            }
            int outSpi = ByteBuffer.wrap(chosen.spi()).getInt();
            ChildSa child = new ChildSa(config, mode, proposal, spi, outSpi, rTsi.getFirst().selectors(),
                    rTsr.getFirst().selectors(), ike.connection.conn().name());
            child.lowerNonce = ChildSa.lowerOf(ni, nr);
            ChildSaKeys keys = IkeKeyDerivation.childSaKeys(ike.prf, ike.keys.skD(), gir, ni, nr, proposal.esp());
            try {
                child.installInbound(ike.engine, keys, weInitiated, ike.local, ike.remote, ike.natDetected);
                if (outbound) {
                    child.installOutbound(ike.engine, keys, weInitiated, ike.local, ike.remote, ike.natDetected);
                }
            } finally {
                keys.destroy();
            }
            child.state = ChildSa.State.INSTALLED;
            ike.current().addChild(child);
            if (outbound) {
                ike.engine.childEstablished(ike, child);
            }
            return child;
        }
    }
}
