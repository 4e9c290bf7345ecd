package io.ipsecmesh.operator.grpc;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.ipsecmesh.api.grpc.GroupRole;
import io.ipsecmesh.api.grpc.NodeReport;
import io.ipsecmesh.api.grpc.ReportAck;
import io.ipsecmesh.api.grpc.ReportsGrpc;
import io.ipsecmesh.api.grpc.SaEvent;
import io.ipsecmesh.operator.compiler.PolicyKey;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Receives SA events from nodes (mutual TLS: the node is its certificate's). ESTABLISHED and
 * REKEYED claim the pairs of the SA's traffic selectors (local pods x remote pods of the
 * group), DELETED and FAILED withdraw them; see {@link ProtectionLedger}.
 */
public final class ReportsService extends ReportsGrpc.ReportsImplBase {

    private final ProtectionLedger ledger;
    private final Consumer<SaEvent> events;

    /** @param events told every event (for metrics) */
    public ReportsService(ProtectionLedger ledger, Consumer<SaEvent> events) {
        this.ledger = ledger;
        this.events = events;
    }

    @Override
    public StreamObserver<NodeReport> report(StreamObserver<ReportAck> ack) {
        String node = ControlPlaneServer.NODE.get();
        if (node == null) {
            ack.onError(Status.UNAUTHENTICATED.withDescription(
                    "Report needs the node certificate (mutual TLS); get one with Certificates.Sign").asRuntimeException());
            return new StreamObserver<>() {
                @Override
                public void onNext(NodeReport value) {
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            };
        }
        return new StreamObserver<>() {
            long reports;

            @Override
            public void onNext(NodeReport r) {
                reports++;
                for (SaEvent e : r.getEventsList()) {
                    events.accept(e);
                    long spi = Integer.toUnsignedLong(e.getSpiIn());
                    switch (e.getKind()) {
                        case ESTABLISHED, REKEYED -> ledger.established(node, spi, pairs(e));
                        case DELETED, FAILED -> ledger.ended(node, spi);
                        default -> { }
                    }
                }
            }

            @Override
            public void onError(Throwable t) {
                ledger.nodeGone(node);
            }

            @Override
            public void onCompleted() {
                ledger.nodeGone(node);
                ack.onNext(ReportAck.newBuilder().setReports(reports).build());
                ack.onCompleted();
            }
        };
    }

    private static Set<ProtectionLedger.PolicyPair> pairs(SaEvent e) {
        PolicyKey policy = new PolicyKey(e.getGroup().getPolicyNamespace(), e.getGroup().getPolicyName());
        boolean selected = e.getGroup().getRole() == GroupRole.SELECTED;
        Set<ProtectionLedger.PolicyPair> out = new HashSet<>();
        for (String local : e.getLocalPodsList()) {
            for (String remote : e.getRemotePodsList()) {
                out.add(selected ? new ProtectionLedger.PolicyPair(policy, local, remote)
                        : new ProtectionLedger.PolicyPair(policy, remote, local));
            }
        }
        return out;
    }
}
