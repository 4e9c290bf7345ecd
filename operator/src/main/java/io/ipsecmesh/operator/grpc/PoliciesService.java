package io.ipsecmesh.operator.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.ipsecmesh.api.grpc.PoliciesGrpc;
import io.ipsecmesh.api.grpc.SnapshotUpdate;
import io.ipsecmesh.api.grpc.WatchRequest;
import io.ipsecmesh.operator.compiler.NodeDelta;
import io.ipsecmesh.operator.compiler.PolicyCompiler;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Streams each node its snapshot: a full snapshot, or on resume the deltas after the version
 * the client has, then every delta as it happens. The last {@code logSize} deltas per node are
 * kept for resuming; a client further behind (or from another epoch) gets a full snapshot.
 * The node is the one its client certificate names ({@link ControlPlaneServer#NODE}).
 */
public final class PoliciesService extends PoliciesGrpc.PoliciesImplBase implements PolicyCompiler.Listener {

    private static final Object END = new Object();

    private final PolicyCompiler compiler;
    private final int logSize;
    private final Map<String, Deque<NodeDelta>> logs = new HashMap<>();
    private final Map<String, Set<LinkedBlockingQueue<Object>>> subscribers = new ConcurrentHashMap<>();

    public PoliciesService(PolicyCompiler compiler, int logSize) {
        this.compiler = compiler;
        this.logSize = logSize;
        compiler.addListener(this);
    }

    // Called by the compiler with its lock held: only queue.
    @Override
    public void delta(NodeDelta delta) {
        Deque<NodeDelta> log = logs.computeIfAbsent(delta.node(), n -> new ArrayDeque<>());
        log.addLast(delta);
        while (log.size() > logSize) {
            log.removeFirst();
        }
        for (LinkedBlockingQueue<Object> q : subscribers.getOrDefault(delta.node(), Set.of())) {
            q.add(delta);
        }
    }

    @Override
    public void nodeAdded(String node) {
        logs.remove(node);
    }

    @Override
    public void nodeRemoved(String node) {
        logs.remove(node);
        for (LinkedBlockingQueue<Object> q : subscribers.getOrDefault(node, Set.of())) {
            q.add(Status.NOT_FOUND.withDescription("node " + node + " was deleted"));
        }
    }

    @Override
    public void watch(WatchRequest request, StreamObserver<SnapshotUpdate> observer) {
        String node = ControlPlaneServer.NODE.get();
        if (node == null) {
            observer.onError(Status.UNAUTHENTICATED.withDescription(
                    "Watch needs the node certificate (mutual TLS); get one with Certificates.Sign").asRuntimeException());
            return;
        }
        LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        List<Object> first = new ArrayList<>();
        synchronized (compiler) {
            long version = compiler.version(node);
            if (version < 0) {
                observer.onError(Status.NOT_FOUND.withDescription("node " + node + " is not known to the operator")
                        .asRuntimeException());
                return;
            }
            List<NodeDelta> resume = resumable(node, request, version);
            if (resume != null) {
                first.addAll(resume);
            } else {
                first.add(SnapshotProtos.full(compiler.snapshot(node)));
            }
            subscribers.computeIfAbsent(node, n -> ConcurrentHashMap.newKeySet()).add(queue);
        }
        ServerCallStreamObserver<SnapshotUpdate> call = (ServerCallStreamObserver<SnapshotUpdate>) observer;
        call.setOnCancelHandler(() -> queue.add(END));
        Thread.ofVirtual().name("snapshot-stream-" + node).start(() -> {
            try {
                for (Object o : first) {
                    send(call, o);
                }
                while (true) {
                    Object o = queue.take();
                    if (o == END) {
                        break;
                    }
                    if (o instanceof Status s) {
                        call.onError(s.asRuntimeException());
                        break;
                    }
                    send(call, o);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                // The client went away while we wrote.
            } finally {
                Set<LinkedBlockingQueue<Object>> subs = subscribers.get(node);
                if (subs != null) {
                    subs.remove(queue);
                }
            }
        });
    }

    private static void send(ServerCallStreamObserver<SnapshotUpdate> call, Object o) {
        if (call.isCancelled()) {
            throw new IllegalStateException("cancelled");
        }
        call.onNext(o instanceof NodeDelta d ? SnapshotProtos.delta(d) : (SnapshotUpdate) o);
    }

    /** The deltas after the client's version, or null when a full snapshot is needed. */
    private List<NodeDelta> resumable(String node, WatchRequest request, long version) {
        if (!compiler.epoch().equals(request.getResumeEpoch()) || request.getResumeVersion() == 0
                || request.getResumeVersion() > version) {
            return null;
        }
        if (request.getResumeVersion() == version) {
            return List.of();
        }
        Deque<NodeDelta> log = logs.getOrDefault(node, new ArrayDeque<>());
        List<NodeDelta> out = new ArrayList<>();
        for (NodeDelta d : log) {
            if (d.version() > request.getResumeVersion()) {
                out.add(d);
            }
        }
        if (out.isEmpty() || out.getFirst().version() != request.getResumeVersion() + 1) {
            return null;
        }
        return out;
    }
}
