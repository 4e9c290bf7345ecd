package io.ipsecmesh.operator.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A client's view: starts from full snapshots, then applies every delta the compiler sends,
 * and checks each delta changes what it names.
 */
final class SnapshotTracker implements PolicyCompiler.Listener {

    final Map<String, NodeSnapshot> applied = new HashMap<>();
    final Set<String> changedSinceMark = new HashSet<>();
    final PolicyCompiler compiler;

    SnapshotTracker(PolicyCompiler compiler) {
        this.compiler = compiler;
        compiler.addListener(this);
    }

    /** Takes full snapshots of every node now known. */
    void resync() {
        applied.clear();
        for (String n : compiler.nodeNames()) {
            applied.put(n, compiler.snapshot(n));
        }
    }

    void mark() {
        changedSinceMark.clear();
    }

    @Override
    public void delta(NodeDelta delta) {
        NodeSnapshot prev = applied.getOrDefault(delta.node(),
                new NodeSnapshot(delta.node(), delta.epoch(), 0, Map.of()));
        assertFalse(delta.changes().isEmpty(), "empty delta for " + delta.node());
        for (Map.Entry<SnapshotKey, Object> e : delta.changes().entrySet()) {
            assertNotEquals(prev.entries().get(e.getKey()), e.getValue(),
                    "delta " + delta.node() + "@" + delta.version() + " repeats " + e.getKey());
        }
        applied.put(delta.node(), delta.applyTo(prev));
        changedSinceMark.add(delta.node());
    }

    @Override
    public void nodeAdded(String node) {
        applied.put(node, new NodeSnapshot(node, compiler.epoch(), 0, Map.of()));
        changedSinceMark.add(node);
    }

    @Override
    public void nodeRemoved(String node) {
        applied.remove(node);
        changedSinceMark.add(node);
    }

    /** Every node's applied snapshot equals a fresh full snapshot, at the same version. */
    void assertInSync() {
        assertEquals(compiler.nodeNames(), applied.keySet(), "nodes");
        for (String n : compiler.nodeNames()) {
            NodeSnapshot full = compiler.snapshot(n);
            NodeSnapshot mine = applied.get(n);
            assertEquals(full.version(), mine.version(), "version of " + n);
            if (!full.entries().equals(mine.entries())) {
                Set<SnapshotKey> keys = new HashSet<>(full.entries().keySet());
                keys.addAll(mine.entries().keySet());
                StringBuilder diff = new StringBuilder();
                for (SnapshotKey k : keys) {
                    if (!Objects.equals(full.entries().get(k), mine.entries().get(k))) {
                        diff.append("\n  ").append(k).append(": full=").append(full.entries().get(k))
                                .append(" deltas=").append(mine.entries().get(k));
                    }
                }
                throw new AssertionError("node " + n + " after deltas differs from its full snapshot:" + diff);
            }
        }
    }
}
