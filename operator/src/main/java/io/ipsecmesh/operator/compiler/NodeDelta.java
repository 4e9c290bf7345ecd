package io.ipsecmesh.operator.compiler;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * What changed in one node's snapshot from {@code version - 1} to {@code version}: each key
 * with its new value, or with null when the entry was removed.
 */
public record NodeDelta(String node, String epoch, long version, Map<SnapshotKey, Object> changes) {

    public NodeDelta {
        changes = Collections.unmodifiableMap(new HashMap<>(changes));
    }

    /** Applies this delta to the previous snapshot of the same node and epoch. */
    public NodeSnapshot applyTo(NodeSnapshot previous) {
        if (!previous.node().equals(node) || !previous.epoch().equals(epoch) || previous.version() != version - 1) {
            throw new IllegalArgumentException("delta " + node + "@" + version + " does not follow snapshot "
                    + previous.node() + "@" + previous.version());
        }
        Map<SnapshotKey, Object> next = new HashMap<>(previous.entries());
        for (Map.Entry<SnapshotKey, Object> e : changes.entrySet()) {
            if (e.getValue() == null) {
                next.remove(e.getKey());
            } else {
                next.put(e.getKey(), e.getValue());
            }
        }
        return new NodeSnapshot(node, epoch, version, next);
    }
}
