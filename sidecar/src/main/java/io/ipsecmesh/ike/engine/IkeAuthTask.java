package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.AuthPayload;
import io.ipsecmesh.ike.CertPayload;
import io.ipsecmesh.ike.CertReqPayload;
import io.ipsecmesh.ike.ExchangeType;
import io.ipsecmesh.ike.IdPayload;
import io.ipsecmesh.ike.IkeAuth;
import io.ipsecmesh.ike.IkeAuthException;
import io.ipsecmesh.ike.IkeMessage;
import io.ipsecmesh.ike.IkePayload;
import io.ipsecmesh.ike.NotifyPayload;
import io.ipsecmesh.ike.NotifyType;

import java.util.ArrayList;
import java.util.List;

/**
 * IKE_AUTH (RFC 7296 §1.2, §2.15): identities, certificates, AUTH, INITIAL_CONTACT (§2.4) and
 * the first CHILD_SA. After it the IKE SA is established.
 */
final class IkeAuthTask implements IkeTask {

    private final IkeConfig.Child firstChild;
    private ChildCreateTask.Offer offer;

    IkeAuthTask(IkeConfig.Child firstChild) {
        this.firstChild = firstChild;
    }

    @Override
    public ExchangeType exchange() {
        return ExchangeType.IKE_AUTH;
    }

    @Override
    public List<IkePayload> build(IkeSa sa) throws IkeFailure {
        IkeConfig.Conn conn = sa.connection.conn();
        IdPayload idi = sa.connection.localId().toIdPayload(true);
        List<IkePayload> payloads = new ArrayList<>();
        payloads.add(idi);
        payloads.addAll(sa.connection.authenticator().certificates());
        CertReqPayload certReq = sa.connection.authenticator().certificateRequest();
        if (certReq != null) {
            payloads.add(certReq);
        }
        payloads.add(sa.connection.remoteId().toIdPayload(false));
        byte[] octets = IkeAuth.initiatorSignedOctets(sa.prf, sa.keys, sa.initRequest, sa.nonceR, idi);
        payloads.add(sa.connection.authenticator().sign(sa.prf, octets, sa.peerHashes));
        if (sa.engine.alone(sa)) {
            payloads.add(NotifyPayload.of(NotifyType.INITIAL_CONTACT));
        }
        if (firstChild != null) {
            offer = ChildCreateTask.Offer.of(sa, firstChild, firstChild.mode(),
                    Selectors.orHost(firstChild.localTs(), sa.local.getAddress()),
                    Selectors.orHost(firstChild.remoteTs(), sa.remote.getAddress()), true);
            payloads.addAll(offer.ikeAuthPayloads());
        }
        return payloads;
    }

    @Override
    public Outcome process(IkeSa sa, IkeMessage response) throws IkeFailure {
        for (NotifyPayload n : response.payloads(NotifyPayload.class)) {
            if (n.is(NotifyType.AUTHENTICATION_FAILED) || n.is(NotifyType.INVALID_SYNTAX)
                    || n.is(NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD)) {
                throw new IkeFailure("peer_refused", null, "responder refused IKE_AUTH: " + n.knownType().orElseThrow());
            }
        }
        List<IdPayload> ids = response.payloads(IdPayload.class);
        List<AuthPayload> auths = response.payloads(AuthPayload.class);
        if (ids.isEmpty() || auths.isEmpty()) {
            throw new IkeFailure("malformed", null, "IKE_AUTH response without IDr or AUTH");
        }
        IdPayload idr = ids.getFirst();
        if (!sa.connection.remoteId().matches(idr)) {
            throw new IkeFailure("id_mismatch", null, "responder is " + IkeEngine.describe(idr) + ", expected "
                    + sa.connection.remoteId());
        }
        byte[] octets = IkeAuth.responderSignedOctets(sa.prf, sa.keys, sa.initResponse, sa.nonceI, idr);
        try {
            sa.connection.authenticator().verify(sa.prf, auths.getFirst(), response.payloads(CertPayload.class), idr,
                    octets);
        } catch (IkeAuthException e) {
            throw new IkeFailure("auth_failed", null, "responder's AUTH does not verify: " + e.getMessage());
        }
        sa.peerIdentity = IkeEngine.describe(idr);
        sa.engine.established(sa);
        if (offer != null) {
            childFromResponse(sa, response);
        }
        for (int i = 1; i < sa.connection.conn().children().size(); i++) {
            sa.queue(new ChildCreateTask(sa.connection.conn().children().get(i), null));
        }
        return Outcome.DONE;
    }

    private void childFromResponse(IkeSa sa, IkeMessage response) {
        for (NotifyPayload n : response.payloads(NotifyPayload.class)) {
            if (n.isError()) {
                sa.engine.count("child_refused");
                sa.engine.log(sa.name() + " CHILD_SA " + offer.config.name() + " refused by the responder: "
                        + n.knownType().map(Enum::name).orElse("error " + n.notifyType()));
                return;
            }
        }
        try {
            offer.accept(sa, response, true, sa.nonceI, sa.nonceR, null, true);
        } catch (IkeFailure f) {
            // The IKE SA stands; only the CHILD_SA failed (RFC 7296 §1.2).
            sa.engine.count(f.counter());
            sa.engine.log(sa.name() + " CHILD_SA " + offer.config.name() + " failed: " + f.getMessage());
        }
    }

    // ------------------------------------------------------------------------------ responder

    static Responder.Reply respond(IkeSa sa, IkeMessage request) throws IkeFailure {
        if (sa.initiator || sa.state != IkeSa.State.CONNECTING) {
            throw new IkeFailure("unexpected_ike_auth", null, "IKE_AUTH on an SA that is not awaiting it");
        }
        List<IdPayload> idis = request.payloads(IdPayload.class).stream().filter(IdPayload::initiator).toList();
        List<IdPayload> idrs = request.payloads(IdPayload.class).stream().filter(i -> !i.initiator()).toList();
        List<AuthPayload> auths = request.payloads(AuthPayload.class);
        if (idis.isEmpty() || auths.isEmpty()) {
            throw new IkeFailure("malformed", NotifyType.AUTHENTICATION_FAILED, "IKE_AUTH without IDi or AUTH");
        }
        IdPayload idi = idis.getFirst();
        if (!sa.connection.remoteId().matches(idi)) {
            throw new IkeFailure("id_mismatch", NotifyType.AUTHENTICATION_FAILED, "initiator claims "
                    + IkeEngine.describe(idi) + ", expected " + sa.connection.remoteId());
        }
        if (!idrs.isEmpty() && !sa.connection.localId().matches(idrs.getFirst())) {
            throw new IkeFailure("id_mismatch", NotifyType.AUTHENTICATION_FAILED, "initiator wants to talk to "
                    + IkeEngine.describe(idrs.getFirst()) + ", we are " + sa.connection.localId());
        }
        byte[] octets = IkeAuth.initiatorSignedOctets(sa.prf, sa.keys, sa.initRequest, sa.nonceR, idi);
        try {
            sa.connection.authenticator().verify(sa.prf, auths.getFirst(), request.payloads(CertPayload.class), idi,
                    octets);
        } catch (IkeAuthException e) {
            throw new IkeFailure("auth_failed", NotifyType.AUTHENTICATION_FAILED, "initiator's AUTH does not verify: "
                    + e.getMessage());
        }
        sa.peerIdentity = IkeEngine.describe(idi);
        if (!request.notifies(NotifyType.INITIAL_CONTACT).isEmpty()) {
            sa.engine.initialContact(sa);
        }
        IdPayload idr = sa.connection.localId().toIdPayload(false);
        List<IkePayload> payloads = new ArrayList<>();
        payloads.add(idr);
        payloads.addAll(sa.connection.authenticator().certificates());
        byte[] ours = IkeAuth.responderSignedOctets(sa.prf, sa.keys, sa.initResponse, sa.nonceI, idr);
        payloads.add(sa.connection.authenticator().sign(sa.prf, ours, sa.peerHashes));
        sa.engine.established(sa);
        if (!request.payloads(io.ipsecmesh.ike.SaPayload.class).isEmpty()) {
            try {
                ChildCreateTask.Negotiated n = ChildCreateTask.negotiate(sa, request, true,
                        java.util.OptionalInt.empty(), null);
                if (n.mode == io.ipsecmesh.sa.Mode.TRANSPORT) {
                    payloads.add(NotifyPayload.of(NotifyType.USE_TRANSPORT_MODE));
                }
                payloads.add(new io.ipsecmesh.ike.SaPayload(List.of(n.replyProposal)));
                payloads.add(new io.ipsecmesh.ike.TsPayload(true, n.tsi));
                payloads.add(new io.ipsecmesh.ike.TsPayload(false, n.tsr));
                n.install(sa, sa.nonceI, sa.nonceR, null, true);
            } catch (IkeFailure f) {
                // The IKE SA stands; the CHILD_SA is refused with the notify (RFC 7296 §1.2).
                sa.engine.count(f.counter());
                sa.engine.log(sa.name() + " CHILD_SA refused: " + f.getMessage());
                if (f.errorNotify() != null) {
                    payloads.add(NotifyPayload.of(f.errorNotify()));
                }
            }
        }
        return new Responder.Reply(payloads, null);
    }
}
