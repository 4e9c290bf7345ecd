package io.ipsecmesh.operator.compiler;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one node needs, at one version: an immutable map of {@link SnapshotKey} entries.
 *
 * @param epoch   one run of the compiler; versions compare only within an epoch
 * @param version increases by one with every delta for this node
 */
public record NodeSnapshot(String node, String epoch, long version, Map<SnapshotKey, Object> entries) {

    public NodeSnapshot {
        entries = Map.copyOf(entries);
    }

    /** One protected pair as this node sees it: local pod, remote pod, through which policy and role. */
    public record Pair(PolicyKey policy, SnapshotKey.Role role, String localPod, String remotePod) {
    }

    /** The pairs the groups stand for (every local member with every remote member of a group). */
    public Set<Pair> pairs() {
        Set<Pair> out = new HashSet<>();
        Map<SnapshotKey.Group, List<SnapshotKey.Member>> locals = new java.util.HashMap<>();
        Map<SnapshotKey.Group, List<SnapshotKey.Member>> remotes = new java.util.HashMap<>();
        for (SnapshotKey k : entries.keySet()) {
            if (k instanceof SnapshotKey.Member m) {
                SnapshotKey.Group g = new SnapshotKey.Group(m.policy(), m.role());
                (m.local() ? locals : remotes).computeIfAbsent(g, x -> new java.util.ArrayList<>()).add(m);
            }
        }
        for (Map.Entry<SnapshotKey.Group, List<SnapshotKey.Member>> e : locals.entrySet()) {
            for (SnapshotKey.Member l : e.getValue()) {
                for (SnapshotKey.Member r : remotes.getOrDefault(e.getKey(), List.of())) {
                    out.add(new Pair(e.getKey().policy(), e.getKey().role(), l.uid(), r.uid()));
                }
            }
        }
        return out;
    }

    /** The protection of a group, or null. */
    public Protection protection(PolicyKey policy, SnapshotKey.Role role) {
        return (Protection) entries.get(new SnapshotKey.Group(policy, role));
    }
}
