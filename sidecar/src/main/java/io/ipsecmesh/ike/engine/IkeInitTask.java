package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.CertReqPayload;
import io.ipsecmesh.ike.ExchangeType;
import io.ipsecmesh.ike.IkeHeader;
import io.ipsecmesh.ike.IkeKeyDerivation;
import io.ipsecmesh.ike.IkeMessage;
import io.ipsecmesh.ike.IkeParseException;
import io.ipsecmesh.ike.IkePayload;
import io.ipsecmesh.ike.IkeProposal;
import io.ipsecmesh.ike.KePayload;
import io.ipsecmesh.ike.KeyExchange;
import io.ipsecmesh.ike.KeyExchangeGroup;
import io.ipsecmesh.ike.NoncePayload;
import io.ipsecmesh.ike.NotifyPayload;
import io.ipsecmesh.ike.NotifyType;
import io.ipsecmesh.ike.Proposal;
import io.ipsecmesh.ike.ProposalRejectedException;
import io.ipsecmesh.ike.ProposalSelector;
import io.ipsecmesh.ike.SaPayload;
import io.ipsecmesh.ike.SignatureHashAlgorithm;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

/**
 * IKE_SA_INIT (RFC 7296 §1.2): proposals, Diffie-Hellman, nonces, NAT detection (§2.23), the
 * COOKIE (§2.6) and INVALID_KE_PAYLOAD (§1.2) retries, SIGNATURE_HASH_ALGORITHMS (RFC 7427) and
 * IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383 §2.3).
 * Ends with SKEYSEED and SK_* derived (§2.14).
 */
final class IkeInitTask implements IkeTask {

    static final int NONCE_LENGTH = 32;
    /** How often a responder may send us back with COOKIE or INVALID_KE_PAYLOAD. */
    private static final int MAX_RETRIES = 3;

    private KeyExchangeGroup group;
    private KeyExchange ke;
    private byte[] cookie;
    private SaPayload offered;
    private int retries;

    @Override
    public ExchangeType exchange() {
        return ExchangeType.IKE_SA_INIT;
    }

    @Override
    public List<IkePayload> build(IkeSa sa) throws IkeFailure {
        List<IkeProposal> proposals = sa.connection.conn().ikeProposals();
        if (group == null) {
            group = proposals.getFirst().groups().getFirst();
        }
        if (ke == null || ke.group() != group) {
            if (ke != null) {
                ke.destroy();
            }
            ke = group.generate(sa.engine.random());
        }
        if (sa.nonceI == null) {
            sa.nonceI = sa.engine.randomBytes(NONCE_LENGTH);
        }
        List<Proposal> list = new ArrayList<>();
        int number = 1;
        for (IkeProposal p : proposals) {
            list.add(p.toProposal(number++));
        }
        offered = new SaPayload(list);
        List<IkePayload> payloads = new ArrayList<>();
        if (cookie != null) {
            payloads.add(NotifyPayload.of(NotifyType.COOKIE, cookie));
        }
        payloads.add(offered);
        payloads.add(ke.kePayload());
        payloads.add(new NoncePayload(sa.nonceI));
        payloads.addAll(NatDetection.notifies(sa.spiI, 0, sa.local, sa.remote));
        if (sa.connection.conn().fragmentation().mode().announces()) {
            payloads.add(NotifyPayload.of(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED));
        }
        payloads.add(SignatureHashAlgorithm.notify(EnumSet.allOf(SignatureHashAlgorithm.class)));
        return payloads;
    }

    @Override
    public Outcome process(IkeSa sa, IkeMessage response) throws IkeFailure {
        List<NotifyPayload> cookies = response.notifies(NotifyType.COOKIE);
        if (!cookies.isEmpty()) {
            retry(sa, "COOKIE");
            cookie = cookies.getFirst().data();
            return Outcome.RETRY;
        }
        List<NotifyPayload> invalidKe = response.notifies(NotifyType.INVALID_KE_PAYLOAD);
        if (!invalidKe.isEmpty()) {
            int wanted = invalidKe.getFirst().invalidKeGroup();
            Optional<KeyExchangeGroup> g = KeyExchangeGroup.fromTransformId(wanted)
                    .filter(x -> sa.connection.conn().ikeProposals().stream().anyMatch(p -> p.groups().contains(x)));
            if (g.isEmpty() || g.get() == group) {
                throw new IkeFailure("invalid_ke", null, "responder wants key exchange group " + wanted
                        + ", which we did not propose");
            }
            retry(sa, "INVALID_KE_PAYLOAD(" + g.get().keyword() + ")");
            group = g.get();
            return Outcome.RETRY;
        }
        for (NotifyPayload n : response.payloads(NotifyPayload.class)) {
            if (n.isError()) {
                throw new IkeFailure("peer_refused", null, "responder refused IKE_SA_INIT: "
                        + n.knownType().map(Enum::name).orElse("error " + n.notifyType()));
            }
        }
        List<SaPayload> sas = response.payloads(SaPayload.class);
        List<KePayload> kes = response.payloads(KePayload.class);
        List<NoncePayload> nonces = response.payloads(NoncePayload.class);
        if (sas.isEmpty() || kes.isEmpty() || nonces.isEmpty() || response.header().responderSpi() == 0) {
            throw new IkeFailure("malformed", null, "IKE_SA_INIT response lacks SA, KE, nonce or responder SPI");
        }
        Proposal chosen;
        try {
            chosen = ProposalSelector.checkReply(offered, sas.getFirst());
        } catch (ProposalRejectedException e) {
            throw new IkeFailure("bad_proposal_reply", null, e.getMessage());
        }
        sa.adopt(IkeProposal.fromProposal(chosen, sa.connection.conn().allowLegacy()));
        if (sa.group != group || kes.getFirst().dhGroup() != group.transformId()) {
            throw new IkeFailure("bad_proposal_reply", null, "responder chose group " + sa.group.keyword()
                    + " but sent a KE payload of group " + kes.getFirst().dhGroup());
        }
        sa.spiR = response.header().responderSpi();
        sa.nonceR = nonces.getFirst().nonce();
        if (sa.nonceR.length < 16 || sa.nonceR.length > 256) {
            throw new IkeFailure("malformed", null, "responder nonce of " + sa.nonceR.length + " bytes");
        }
        sa.initResponse = sa.currentDatagram;
        byte[] gir;
        try {
            gir = ke.sharedSecret(kes.getFirst());
        } catch (IkeParseException e) {
            throw new IkeFailure("bad_ke", null, "responder's KE value is invalid: " + e.getMessage());
        } finally {
            ke.destroy(sa.engine::later); // after the IKE_AUTH request is sent and answered
        }
        readNotifies(sa, response, sa.remote, sa.local);
        // RFC 7383 §2.3: in use when we announced it and the responder answered with it.
        sa.fragmentation = sa.connection.conn().fragmentation().mode().announces()
                && !response.notifies(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED).isEmpty();
        try {
            sa.deriveKeys(IkeKeyDerivation.skeyseed(sa.prf, sa.nonceI, sa.nonceR, gir));
        } finally {
            Arrays.fill(gir, (byte) 0);
        }
        if (sa.natDetected) {
            // §2.23: the initiator moves to port 4500 for everything after IKE_SA_INIT.
            sa.local = new InetSocketAddress(sa.local.getAddress(), IkeEngine.NATT_PORT);
            sa.remote = new InetSocketAddress(sa.remote.getAddress(), IkeEngine.NATT_PORT);
        }
        return Outcome.DONE;
    }

    private void retry(IkeSa sa, String why) throws IkeFailure {
        if (++retries > MAX_RETRIES) {
            throw new IkeFailure("init_retries", null, "responder answered " + why + " " + retries + " times");
        }
        sa.engine.count("init_retries");
        sa.engine.log(sa.name() + " responder asks for " + why + ": retrying IKE_SA_INIT");
    }

    @Override
    public void abort(IkeSa sa) {
        if (ke != null) {
            ke.destroy();
        }
    }

    /** NAT detection and RFC 7427 hash announcements, for both roles. */
    static void readNotifies(IkeSa sa, IkeMessage msg, InetSocketAddress from, InetSocketAddress to) {
        NatDetection.Result nat = NatDetection.check(sa.spiI, sa.spiR == 0 || !msg.header().isResponse() ? 0 : sa.spiR,
                msg.notifies(NotifyType.NAT_DETECTION_SOURCE_IP), msg.notifies(NotifyType.NAT_DETECTION_DESTINATION_IP),
                from, to);
        if (nat.any()) {
            sa.natDetected = true;
            sa.engine.log(sa.name() + " NAT detected (" + (nat.peerBehindNat() ? "peer" : "")
                    + (nat.peerBehindNat() && nat.localBehindNat() ? " and " : "")
                    + (nat.localBehindNat() ? "us" : "") + " behind NAT): IKE on port 4500, ESP in UDP");
        }
        for (NotifyPayload n : msg.notifies(NotifyType.SIGNATURE_HASH_ALGORITHMS)) {
            try {
                sa.peerHashes.addAll(SignatureHashAlgorithm.parse(n));
            } catch (IkeParseException e) {
                sa.engine.count("malformed");
            }
        }
    }

    // ------------------------------------------------------------------------------ responder

    /**
     * Answers an IKE_SA_INIT request. Returns the new half-open SA, or null when the answer was
     * an error (NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD, COOKIE), which keeps no state.
     */
    static IkeSa respond(IkeEngine engine, IkeEngine.Connection conn, IkeMessage request, byte[] datagram,
                         InetSocketAddress from, InetSocketAddress to) {
        IkeHeader h = request.header();
        List<SaPayload> sas = request.payloads(SaPayload.class);
        List<KePayload> kes = request.payloads(KePayload.class);
        List<NoncePayload> nonces = request.payloads(NoncePayload.class);
        if (sas.isEmpty() || kes.isEmpty() || nonces.isEmpty()) {
            engine.count("malformed");
            return null;
        }
        byte[] ni = nonces.getFirst().nonce();
        if (ni.length < 16 || ni.length > 256) {
            engine.count("malformed");
            return null;
        }
        if (engine.cookiesRequired()) {
            byte[] expected = engine.cookie(ni, from, h.initiatorSpi());
            List<NotifyPayload> got = request.notifies(NotifyType.COOKIE);
            if (got.isEmpty() || !java.security.MessageDigest.isEqual(got.getFirst().data(), expected)) {
                engine.count("cookie_sent");
                engine.sendStateless(h, to, from, List.of(NotifyPayload.of(NotifyType.COOKIE, expected)));
                return null;
            }
        }
        ProposalSelector.Selection selection = ProposalSelector.selectIke(conn.conn().ikeProposals(), sas.getFirst(),
                kes.getFirst().dhGroup());
        Proposal chosen;
        switch (selection) {
            case ProposalSelector.Chosen c -> chosen = c.proposal();
            case ProposalSelector.InvalidKe invalid -> {
                engine.count("invalid_ke_sent");
                engine.sendStateless(h, to, from, List.of(NotifyPayload.invalidKePayload(invalid.group())));
                return null;
            }
            case ProposalSelector.NoProposalChosen none -> {
                engine.count("no_proposal_chosen");
                engine.log(conn.conn().name() + " IKE_SA_INIT from " + from + ": no acceptable proposal");
                engine.sendStateless(h, to, from, List.of(NotifyPayload.of(NotifyType.NO_PROPOSAL_CHOSEN)));
                return null;
            }
        }
        IkeSa sa = new IkeSa(engine, conn, false, h.initiatorSpi(), engine.allocateIkeSpi(), to, from);
        sa.adopt(IkeProposal.fromProposal(chosen, conn.conn().allowLegacy()));
        KeyExchange ke = sa.group.generate(engine.random());
        byte[] gir;
        try {
            gir = ke.sharedSecret(kes.getFirst());
        } catch (IkeParseException e) {
            ke.destroy();
            engine.count("bad_ke");
            engine.log(conn.conn().name() + " IKE_SA_INIT from " + from + ": invalid KE value: " + e.getMessage());
            return null;
        }
        sa.nonceI = ni;
        sa.nonceR = engine.randomBytes(NONCE_LENGTH);
        readNotifies(sa, request, from, to);
        List<IkePayload> payloads = new ArrayList<>();
        payloads.add(new SaPayload(List.of(chosen)));
        payloads.add(ke.kePayload());
        payloads.add(new NoncePayload(sa.nonceR));
        payloads.addAll(NatDetection.notifies(sa.spiI, sa.spiR, to, from));
        // RFC 7383 §2.3: answered only to an initiator that announced it, and only if we may use it.
        sa.fragmentation = conn.conn().fragmentation().mode().announces()
                && !request.notifies(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED).isEmpty();
        if (sa.fragmentation) {
            payloads.add(NotifyPayload.of(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED));
        }
        payloads.add(SignatureHashAlgorithm.notify(EnumSet.allOf(SignatureHashAlgorithm.class)));
        CertReqPayload certReq = conn.authenticator().certificateRequest();
        if (certReq != null) {
            payloads.add(certReq);
        }
        ke.destroy(engine::later); // after the response is sent and the peer has moved on
        IkeHeader rh = IkeHeader.of(sa.spiI, sa.spiR, ExchangeType.IKE_SA_INIT, false, true, 0);
        byte[] response = new IkeMessage(rh, payloads).encode();
        sa.initRequest = datagram;
        sa.initResponse = response;
        try {
            sa.deriveKeys(IkeKeyDerivation.skeyseed(sa.prf, sa.nonceI, sa.nonceR, gir));
        } finally {
            Arrays.fill(gir, (byte) 0);
        }
        sa.initResponded(datagram, response);
        engine.register(sa);
        engine.send(sa, response);
        return sa;
    }
}
