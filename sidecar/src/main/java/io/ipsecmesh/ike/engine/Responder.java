package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.IkeMessage;
import io.ipsecmesh.ike.IkePayload;
import io.ipsecmesh.ike.NotifyType;
import io.ipsecmesh.ike.ProtocolId;
import io.ipsecmesh.ike.SaPayload;

import java.util.List;

/** Dispatch of the requests a peer sends on an established IKE SA, and helpers they share. */
final class Responder {

    private Responder() {
    }

    /**
     * The payloads of a response and what to do once it is sent (e.g. destroy the SA after
     * answering its DELETE).
     */
    record Reply(List<IkePayload> payloads, Runnable after) {
    }

    /** CREATE_CHILD_SA: an IKE SA rekey (SA payload of protocol IKE), or a CHILD_SA new or rekeyed. */
    static Reply createChildSa(IkeSa sa, IkeMessage request) throws IkeFailure {
        if (sa.state != IkeSa.State.ESTABLISHED) {
            throw new IkeFailure("temporary_failure", NotifyType.TEMPORARY_FAILURE,
                    "CREATE_CHILD_SA while the IKE SA is " + sa.state.name().toLowerCase());
        }
        List<SaPayload> sas = request.payloads(SaPayload.class);
        if (sas.isEmpty()) {
            throw new IkeFailure("malformed", NotifyType.INVALID_SYNTAX, "CREATE_CHILD_SA without an SA payload");
        }
        if (sas.getFirst().proposals().getFirst().protocolId() == ProtocolId.IKE.value()) {
            return IkeRekeyTask.respond(sa, request);
        }
        return ChildCreateTask.respond(sa, request);
    }

    /**
     * A CHILD_SA rekey we answered is complete (the initiator deleted the old pair, or the grace
     * time passed): our outbound traffic moves to the new pair.
     */
    static void finishRekey(IkeSa sa, ChildSa old) {
        ChildSa next = old.successor;
        if (next == null || next.state == ChildSa.State.DELETED) {
            return;
        }
        // The successor may be busy with a rekey of its own by now: its outbound half goes in
        // all the same (if a newer pair replaced it already, it has none left to install).
        next.installDeferredOutbound(sa.engine, sa);
        old.removeOutbound(sa.engine);
    }
}
