package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.DeletePayload;
import io.ipsecmesh.ike.ExchangeType;
import io.ipsecmesh.ike.IkeMessage;
import io.ipsecmesh.ike.IkePayload;
import io.ipsecmesh.ike.NotifyPayload;
import io.ipsecmesh.ike.ProtocolId;

import java.util.ArrayList;
import java.util.List;

/**
 * INFORMATIONAL exchanges (RFC 7296 §1.4): deleting a CHILD_SA or the IKE SA, and the empty
 * request that checks the peer is alive (§2.4, "dead peer detection").
 */
final class InformationalTask implements IkeTask {

    enum Kind { DELETE_CHILD, DELETE_IKE, LIVENESS }

    private final Kind kind;
    private final ChildSa child;

    private InformationalTask(Kind kind, ChildSa child) {
        this.kind = kind;
        this.child = child;
    }

    static InformationalTask deleteChild(ChildSa child) {
        return new InformationalTask(Kind.DELETE_CHILD, child);
    }

    /** Whether this is a DELETE of a CHILD_SA. */
    boolean deletesChild() {
        return child != null;
    }

    static InformationalTask deleteIke() {
        return new InformationalTask(Kind.DELETE_IKE, null);
    }

    static InformationalTask liveness() {
        return new InformationalTask(Kind.LIVENESS, null);
    }

    Kind kind() {
        return kind;
    }

    @Override
    public ExchangeType exchange() {
        return ExchangeType.INFORMATIONAL;
    }

    @Override
    public List<IkePayload> build(IkeSa sa) throws IkeFailure {
        return switch (kind) {
            case DELETE_CHILD -> {
                if (child.state == ChildSa.State.DELETED || child.state == ChildSa.State.DELETING) {
                    throw new IkeFailure("delete_skipped", null, "CHILD_SA " + String.format("0x%08x", child.inSpi)
                            + " is already " + child.state.name().toLowerCase());
                }
                child.state = ChildSa.State.DELETING;
                yield List.of(DeletePayload.childSas(ProtocolId.ESP, List.of(child.inSpi)));
            }
            case DELETE_IKE -> {
                if (sa.state == IkeSa.State.ESTABLISHED) {
                    sa.state = IkeSa.State.DELETING;
                }
                yield List.of(DeletePayload.ikeSa());
            }
            case LIVENESS -> List.of();
        };
    }

    @Override
    public Outcome process(IkeSa sa, IkeMessage response) {
        switch (kind) {
            case DELETE_CHILD -> {
                sa.engine.removeChild(sa, child, "deleted");
                if (child.successor == null && child.config != null) {
                    sa.engine.log(sa.name() + " CHILD_SA " + child.config.name() + " "
                            + String.format("0x%08x", child.inSpi) + " deleted");
                }
            }
            case DELETE_IKE -> sa.engine.destroy(sa, sa.state == IkeSa.State.REDUNDANT
                    ? "redundant SA of a rekey collision deleted"
                    : sa.successor != null ? "rekeyed, old SA deleted" : "deleted");
            case LIVENESS -> sa.engine.count("liveness_ok");
        }
        return Outcome.DONE;
    }

    @Override
    public void abort(IkeSa sa) {
        if (kind == Kind.DELETE_IKE && sa.state != IkeSa.State.DEAD) {
            sa.engine.destroy(sa, "deleted (peer did not confirm)");
        }
    }

    // ------------------------------------------------------------------------------ responder

    /** Whether a request deletes the IKE SA it came on (a DELETE payload of protocol IKE). */
    static boolean deletesIke(IkeMessage request) {
        return request.payloads(DeletePayload.class).stream().anyMatch(d -> d.protocolId() == ProtocolId.IKE.value());
    }

    static Responder.Reply respond(IkeSa sa, IkeMessage request) {
        List<DeletePayload> deletes = request.payloads(DeletePayload.class);
        if (deletesIke(request)) {
            if (sa.collision != null) {
                // §2.8.2: we both rekeyed this SA, and the peer deletes it before our own rekey's
                // response came: the peer's new SA won (or the peer never saw our request).
                IkeRekeyTask.peerWins(sa, "the peer deletes it before our rekey ended");
            } else if (sa.state == IkeSa.State.UNDECIDED) {
                // The peer's new SA of a collision, which it found redundant: ours will stay.
                IkeRekeyTask.peerDeletesRedundant(sa);
            }
            sa.engine.log(sa.name() + " peer deletes the IKE SA");
            String reason = sa.state == IkeSa.State.REDUNDANT ? "redundant SA of a rekey collision, deleted by peer"
                    : "deleted by peer";
            return new Responder.Reply(List.of(), () -> sa.engine.destroy(sa, reason));
        }
        List<Integer> ours = new ArrayList<>();
        for (DeletePayload d : deletes) {
            if (d.protocolId() != ProtocolId.ESP.value()) {
                continue;
            }
            for (int spi : d.spis()) {
                ChildSa c = sa.childByOutSpi(spi);
                if (c == null) {
                    sa.engine.count("delete_unknown_spi");
                    continue;
                }
                if (c.state == ChildSa.State.REKEYING && c.collision != null) {
                    // We were both rekeying it and the peer's pair won (§2.8.1): the peer deletes
                    // the old pair before our own exchange has told us so.
                    c.replacedByCollision();
                }
                if (c.state == ChildSa.State.REKEYED) {
                    Responder.finishRekey(sa, c);
                }
                if (c.state != ChildSa.State.DELETING) {
                    // Not a collision with our own DELETE: answer with our inbound SPI (§1.4.1).
                    ours.add(c.inSpi);
                }
                sa.engine.removeChild(sa, c, "deleted by peer");
            }
        }
        for (NotifyPayload n : request.payloads(NotifyPayload.class)) {
            if (n.isError()) {
                sa.engine.log(sa.name() + " peer reports " + n.knownType().map(Enum::name)
                        .orElse("error " + n.notifyType()));
            }
        }
        if (deletes.isEmpty()) {
            sa.engine.count("liveness_answered");
        }
        List<IkePayload> reply = ours.isEmpty() ? List.of()
                : List.of(DeletePayload.childSas(ProtocolId.ESP, ours));
        return new Responder.Reply(reply, null);
    }
}
