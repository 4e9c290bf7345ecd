package io.ipsecmesh.operator.compiler;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.ipsecmesh.api.v1alpha1.IPsecPeer;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import io.ipsecmesh.operator.compiler.SnapshotKey.Group;
import io.ipsecmesh.operator.compiler.SnapshotKey.LocalPod;
import io.ipsecmesh.operator.compiler.SnapshotKey.Member;
import io.ipsecmesh.operator.compiler.SnapshotKey.NodeValue;
import io.ipsecmesh.operator.compiler.SnapshotKey.PeerNode;
import io.ipsecmesh.operator.compiler.SnapshotKey.PodValue;
import io.ipsecmesh.operator.compiler.SnapshotKey.RemotePod;
import io.ipsecmesh.operator.compiler.SnapshotKey.Role;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Compiles Pods, Namespaces, Nodes and IPsecPolicies into one snapshot per node, and keeps the
 * snapshots up to date one object at a time. Plain Java: the Kubernetes objects come in through
 * the methods below (from informers, or from a test), the per-node deltas go out to listeners.
 *
 * <h2>Model</h2>
 * For a valid policy P: S(P) are the eligible pods its podSelector selects (in P's namespace),
 * R(P) the eligible pods its peers select. The protected pairs are (a, b) with a in S(P), b in
 * R(P), on different nodes (same-node traffic never leaves the node). Node N's snapshot holds,
 * per policy, at most two groups: SELECTED (local S(P) pods on N, remote R(P) pods elsewhere)
 * and PEER (local R(P) pods, remote S(P) pods), each present only when it pairs something; the
 * local and remote pods those groups name; and the nodes hosting those remote pods.
 * A pod is eligible when it is scheduled on a known node, has an address, is not on the host
 * network and has not terminated.
 *
 * <h2>Incremental updates</h2>
 * Every entry of a snapshot is a function of the current state (see {@link #value}). A change
 * to one object determines a set of candidate entries per node, a superset of those that can
 * change; each is evaluated before and after the change, and only real differences make a
 * delta. A node whose snapshot did not change gets no delta and keeps its version.
 *
 * <p>Thread-safe: every public method is synchronized. Listeners are called with the lock
 * held and must not call back into the compiler.
 */
public final class PolicyCompiler {

    /** kubernetes.io/metadata.name, which the API server puts on every namespace. */
    public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

    /** Receives the deltas, in version order per node. */
    public interface Listener {
        void delta(NodeDelta delta);

        /** A new node, with an empty snapshot at version 0 (deltas follow if it has pods to pair). */
        default void nodeAdded(String node) {
        }

        /** The node is gone (deleted): its snapshot no longer exists. */
        default void nodeRemoved(String node) {
        }
    }

    /** What the compiler knows about one policy, valid or not. */
    public record PolicyReport(PolicyKey key, Long generation, PolicyValidator.Result validation,
                               List<String> complianceViolations, int pods, int peerPods, long pairsRequired,
                               int nodes) {
    }

    private static final class PodRec {
        final String uid;
        final String namespace;
        final String name;
        final Map<String, String> labels;
        final String node;
        final List<String> addresses;
        final boolean hostNetwork;
        final boolean terminated;
        final PodValue value;
        final Set<PolicyKey> sOf = new HashSet<>(4);
        final Set<PolicyKey> rOf = new HashSet<>(4);

        PodRec(String uid, String namespace, String name, Map<String, String> labels, String node,
               List<String> addresses, boolean hostNetwork, boolean terminated) {
            this.uid = uid;
            this.namespace = namespace;
            this.name = name;
            this.labels = labels == null ? Map.of() : Map.copyOf(labels);
            this.node = node;
            this.addresses = List.copyOf(addresses);
            this.hostNetwork = hostNetwork;
            this.terminated = terminated;
            this.value = new PodValue(namespace, name, node == null ? "" : node, this.addresses);
        }

        boolean sameMemberships(PodRec o) {
            return o != null && sOf.equals(o.sOf) && rOf.equals(o.rOf);
        }
    }

    private static final class PolicyRec {
        final PolicyKey key;
        final LabelSelector podSelector;
        final List<IPsecPeer> peers;
        final Protection protection;
        final boolean external;
        final Map<String, Set<String>> s = new HashMap<>();
        final Map<String, Set<String>> r = new HashMap<>();
        int sTotal;
        int rTotal;

        PolicyRec(PolicyKey key, LabelSelector podSelector, List<IPsecPeer> peers, Protection protection) {
            this.key = key;
            this.podSelector = podSelector;
            this.peers = List.copyOf(peers);
            this.protection = protection;
            this.external = !protection.externalCidrs().isEmpty();
        }

        Map<String, Set<String>> side(boolean sSide) {
            return sSide ? s : r;
        }

        int count(boolean sSide, String node) {
            Set<String> set = side(sSide).get(node);
            return set == null ? 0 : set.size();
        }
    }

    private record PolicyMeta(Long generation, PolicyValidator.Result validation) {
    }

    /** Before and after values per node and key, over one public operation. */
    private final class Accumulator {
        final Map<String, Map<SnapshotKey, Object[]>> changes = new HashMap<>();

        void record(String node, SnapshotKey key, Object before, Object after) {
            Map<SnapshotKey, Object[]> m = changes.computeIfAbsent(node, n -> new HashMap<>());
            Object[] ba = m.get(key);
            if (ba == null) {
                m.put(key, new Object[] {before, after});
            } else {
                ba[1] = after;
            }
        }

        void commit() {
            for (Map.Entry<String, Map<SnapshotKey, Object[]>> e : changes.entrySet()) {
                Map<SnapshotKey, Object> delta = new HashMap<>();
                for (Map.Entry<SnapshotKey, Object[]> c : e.getValue().entrySet()) {
                    if (!Objects.equals(c.getValue()[0], c.getValue()[1])) {
                        delta.put(c.getKey(), c.getValue()[1]);
                    }
                }
                if (delta.isEmpty() || !versions.containsKey(e.getKey())) {
                    continue;
                }
                long v = versions.merge(e.getKey(), 1L, Long::sum);
                NodeDelta d = new NodeDelta(e.getKey(), epoch, v, delta);
                deltasEmitted++;
                for (Listener l : listeners) {
                    l.delta(d);
                }
            }
        }
    }

    private final String epoch = UUID.randomUUID().toString();
    private final Map<String, PodRec> pods = new HashMap<>();
    private final Map<String, Set<String>> podsByNamespace = new HashMap<>();
    private final Map<String, Set<String>> podsByNode = new HashMap<>();
    private final Map<String, Map<String, String>> namespaces = new HashMap<>();
    private final Map<String, NodeValue> nodes = new HashMap<>();
    private final Set<String> removing = new HashSet<>();
    private final Map<PolicyKey, PolicyRec> policies = new HashMap<>();
    private final Map<PolicyKey, PolicyMeta> policyMeta = new HashMap<>();
    private final Map<String, Set<PolicyKey>> policiesOnNode = new HashMap<>();
    private final Map<String, Long> versions = new HashMap<>();
    private final Map<String, SnapshotKey.RevokedValue> revoked = new HashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private long deltasEmitted;

    public String epoch() {
        return epoch;
    }

    public void addListener(Listener l) {
        listeners.add(l);
    }

    public void removeListener(Listener l) {
        listeners.remove(l);
    }

    // ------------------------------------------------------------------------------------
    // Bulk load (the initial list of every informer): no deltas, every node at version 0.
    // ------------------------------------------------------------------------------------

    /**
     * Fills a new compiler at once, as from the informers' initial lists. No deltas are sent:
     * clients start from full snapshots.
     */
    public synchronized void load(Collection<Node> nodeList, Collection<Namespace> namespaceList,
                                  Collection<Pod> podList, Collection<IPsecPolicy> policyList) {
        if (!versions.isEmpty() || !pods.isEmpty() || !policyMeta.isEmpty()) {
            throw new IllegalStateException("load() fills a new compiler; this one already holds "
                    + versions.size() + " nodes, " + pods.size() + " pods and " + policyMeta.size() + " policies");
        }
        for (Node n : nodeList) {
            nodes.put(n.getMetadata().getName(), nodeValue(n));
            versions.put(n.getMetadata().getName(), 0L);
        }
        for (Namespace ns : namespaceList) {
            namespaces.put(ns.getMetadata().getName(), labelsOf(ns.getMetadata().getName(), ns.getMetadata().getLabels()));
        }
        for (Pod p : podList) {
            PodRec rec = podRec(p);
            pods.put(rec.uid, rec);
            index(rec, true);
        }
        for (IPsecPolicy p : policyList) {
            PolicyKey key = keyOf(p);
            PolicyValidator.Result result = PolicyValidator.validate(p.getSpec());
            policyMeta.put(key, new PolicyMeta(p.getMetadata().getGeneration(), result));
            if (result.valid()) {
                PolicyRec rec = new PolicyRec(key, p.getSpec().getPodSelector(), p.getSpec().getPeers(),
                        result.protection());
                fill(rec);
                install(rec);
            }
        }
    }

    // ------------------------------------------------------------------------------------
    // One object at a time.
    // ------------------------------------------------------------------------------------

    public synchronized void upsertPod(Pod pod) {
        PodRec neu = podRec(pod);
        Accumulator acc = new Accumulator();
        changePod(pods.get(neu.uid), neu, acc);
        acc.commit();
    }

    public synchronized void deletePod(Pod pod) {
        String uid = uidOf(pod);
        PodRec old = pods.get(uid);
        if (old == null) {
            return;
        }
        Accumulator acc = new Accumulator();
        changePod(old, null, acc);
        acc.commit();
    }

    public synchronized void upsertNamespace(Namespace ns) {
        String name = ns.getMetadata().getName();
        Map<String, String> labels = labelsOf(name, ns.getMetadata().getLabels());
        if (labels.equals(namespaces.get(name))) {
            return;
        }
        namespaces.put(name, labels);
        reevaluatePods(podsByNamespace.getOrDefault(name, Set.of()));
    }

    public synchronized void deleteNamespace(Namespace ns) {
        String name = ns.getMetadata().getName();
        if (namespaces.remove(name) != null) {
            reevaluatePods(podsByNamespace.getOrDefault(name, Set.of()));
        }
    }

    public synchronized void upsertNode(Node node) {
        String name = node.getMetadata().getName();
        NodeValue value = nodeValue(node);
        NodeValue old = nodes.get(name);
        if (value.equals(old)) {
            return;
        }
        Accumulator acc = new Accumulator();
        if (old == null) {
            nodes.put(name, value);
            if (versions.putIfAbsent(name, 0L) == null) {
                for (Listener l : listeners) {
                    l.nodeAdded(name);
                }
                for (Map.Entry<String, SnapshotKey.RevokedValue> r : revoked.entrySet()) {
                    acc.record(name, new SnapshotKey.Revoked(r.getKey()), null, r.getValue());
                }
            }
            // Its pods become eligible.
            reevaluatePods(podsByNode.getOrDefault(name, Set.of()), acc);
        } else {
            // Only the addresses changed: the PeerNode entry wherever this node is a peer.
            Set<String> candidates = nodesPairedWith(name);
            Map<String, Object> before = new HashMap<>();
            for (String n : candidates) {
                before.put(n, value(n, new PeerNode(name)));
            }
            nodes.put(name, value);
            for (String n : candidates) {
                acc.record(n, new PeerNode(name), before.get(n), value(n, new PeerNode(name)));
            }
        }
        acc.commit();
    }

    public synchronized void deleteNode(Node node) {
        String name = node.getMetadata().getName();
        if (!nodes.containsKey(name)) {
            return;
        }
        Accumulator acc = new Accumulator();
        // Its pods are no longer eligible (they are evicted or rescheduled later). The node stays
        // in the node map meanwhile, so that the entries naming it are seen before they go.
        removing.add(name);
        try {
            reevaluatePods(podsByNode.getOrDefault(name, Set.of()), acc);
        } finally {
            removing.remove(name);
        }
        nodes.remove(name);
        acc.changes.remove(name);
        acc.commit();
        versions.remove(name);
        for (Listener l : listeners) {
            l.nodeRemoved(name);
        }
    }

    /** Adds or replaces a policy; an invalid one compiles to nothing (see {@link #report}). */
    public synchronized void upsertPolicy(IPsecPolicy policy) {
        PolicyKey key = keyOf(policy);
        PolicyValidator.Result result = PolicyValidator.validate(policy.getSpec());
        policyMeta.put(key, new PolicyMeta(policy.getMetadata().getGeneration(), result));
        PolicyRec neu = null;
        if (result.valid()) {
            neu = new PolicyRec(key, policy.getSpec().getPodSelector(), policy.getSpec().getPeers(),
                    result.protection());
            fill(neu);
        }
        changePolicy(key, neu);
    }

    public synchronized void deletePolicy(PolicyKey key) {
        policyMeta.remove(key);
        changePolicy(key, null);
    }

    /** Adds revoked certificate serials (hex) to every node's snapshot, until they expire. */
    public synchronized void revoke(Map<String, java.time.Instant> serialsWithExpiry) {
        Accumulator acc = new Accumulator();
        for (Map.Entry<String, java.time.Instant> e : serialsWithExpiry.entrySet()) {
            SnapshotKey.RevokedValue v = new SnapshotKey.RevokedValue(e.getValue().getEpochSecond());
            SnapshotKey.RevokedValue old = revoked.put(e.getKey(), v);
            for (String n : versions.keySet()) {
                acc.record(n, new SnapshotKey.Revoked(e.getKey()), old, v);
            }
        }
        acc.commit();
    }

    /** Drops revocations of certificates that have expired by {@code now}. */
    public synchronized void expireRevocations(java.time.Instant now) {
        Accumulator acc = new Accumulator();
        for (var it = revoked.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, SnapshotKey.RevokedValue> e = it.next();
            if (e.getValue().notAfterEpochSeconds() < now.getEpochSecond()) {
                it.remove();
                for (String n : versions.keySet()) {
                    acc.record(n, new SnapshotKey.Revoked(e.getKey()), e.getValue(), null);
                }
            }
        }
        acc.commit();
    }

    // ------------------------------------------------------------------------------------
    // Reading.
    // ------------------------------------------------------------------------------------

    /** The node's snapshot now, or null for an unknown node. */
    public synchronized NodeSnapshot snapshot(String node) {
        Long version = versions.get(node);
        if (version == null) {
            return null;
        }
        Map<SnapshotKey, Object> entries = new HashMap<>();
        for (Map.Entry<String, SnapshotKey.RevokedValue> r : revoked.entrySet()) {
            entries.put(new SnapshotKey.Revoked(r.getKey()), r.getValue());
        }
        for (PolicyKey pk : policiesOnNode.getOrDefault(node, Set.of())) {
            PolicyRec p = policies.get(pk);
            for (Role role : Role.values()) {
                if (!exists(p, role, node)) {
                    continue;
                }
                entries.put(new Group(pk, role), p.protection);
                boolean localS = role == Role.SELECTED;
                for (String uid : p.side(localS).getOrDefault(node, Set.of())) {
                    entries.put(new Member(pk, role, true, uid), Boolean.TRUE);
                    entries.put(new LocalPod(uid), pods.get(uid).value);
                }
                for (Map.Entry<String, Set<String>> e : p.side(!localS).entrySet()) {
                    if (e.getKey().equals(node) || e.getValue().isEmpty()) {
                        continue;
                    }
                    entries.put(new PeerNode(e.getKey()), nodes.get(e.getKey()));
                    for (String uid : e.getValue()) {
                        entries.put(new Member(pk, role, false, uid), Boolean.TRUE);
                        entries.put(new RemotePod(uid), pods.get(uid).value);
                    }
                }
            }
        }
        return new NodeSnapshot(node, epoch, version, entries);
    }

    public synchronized long version(String node) {
        return versions.getOrDefault(node, -1L);
    }

    public synchronized Set<String> nodeNames() {
        return Set.copyOf(versions.keySet());
    }

    public synchronized Set<PolicyKey> policyKeys() {
        return Set.copyOf(policyMeta.keySet());
    }

    /** Valid (compiled) policies. */
    public synchronized int validPolicies() {
        return policies.size();
    }

    /** Policies known but not compiled because their spec is invalid. */
    public synchronized int invalidPolicies() {
        return policyMeta.size() - policies.size();
    }

    /** Deltas sent since this compiler was made. */
    public synchronized long deltasEmitted() {
        return deltasEmitted;
    }

    /** Whether (selectedPod, peerPod) is a pair policy requires now: selected, peer, on different nodes. */
    public synchronized boolean requiredPair(PolicyKey policy, String selectedPod, String peerPod) {
        PodRec a = pods.get(selectedPod);
        PodRec b = pods.get(peerPod);
        return a != null && b != null && a.sOf.contains(policy) && b.rOf.contains(policy)
                && !a.node.equals(b.node);
    }

    /** Whether node's snapshot holds that pair (it hosts one of the two pods). */
    public synchronized boolean nodeHoldsPair(String node, PolicyKey policy, String selectedPod, String peerPod) {
        return requiredPair(policy, selectedPod, peerPod)
                && (node.equals(pods.get(selectedPod).node) || node.equals(pods.get(peerPod).node));
    }

    /** Validation, compliance and counts of a policy, or null when unknown. */
    public synchronized PolicyReport report(PolicyKey key) {
        PolicyMeta meta = policyMeta.get(key);
        if (meta == null) {
            return null;
        }
        PolicyRec p = policies.get(key);
        if (p == null) {
            return new PolicyReport(key, meta.generation(), meta.validation(), List.of(), 0, 0, 0, 0);
        }
        long sameNode = 0;
        for (Map.Entry<String, Set<String>> e : p.s.entrySet()) {
            sameNode += (long) e.getValue().size() * p.count(false, e.getKey());
        }
        long pairs = (long) p.sTotal * p.rTotal - sameNode;
        int nodeCount = 0;
        for (String n : nodesOf(p)) {
            if (exists(p, Role.SELECTED, n) || exists(p, Role.PEER, n)) {
                nodeCount++;
            }
        }
        return new PolicyReport(key, meta.generation(), meta.validation(),
                ComplianceProfiles.violations(p.protection), p.sTotal, p.rTotal, pairs, nodeCount);
    }

    // ------------------------------------------------------------------------------------
    // The snapshot as a function of the state.
    // ------------------------------------------------------------------------------------

    private boolean exists(PolicyRec p, Role role, String node) {
        if (p == null) {
            return false;
        }
        if (role == Role.SELECTED) {
            return p.count(true, node) > 0 && (p.rTotal - p.count(false, node) > 0 || p.external);
        }
        return p.count(false, node) > 0 && p.sTotal - p.count(true, node) > 0;
    }

    private boolean exists(PolicyKey pk, Role role, String node) {
        return exists(policies.get(pk), role, node);
    }

    /** The value of one entry of node's snapshot in the current state, or null when absent. */
    private Object value(String node, SnapshotKey key) {
        switch (key) {
            case Group g -> {
                PolicyRec p = policies.get(g.policy());
                return exists(p, g.role(), node) ? p.protection : null;
            }
            case Member m -> {
                PodRec pod = pods.get(m.uid());
                if (pod == null || !exists(m.policy(), m.role(), node)) {
                    return null;
                }
                boolean sSide = (m.role() == Role.SELECTED) == m.local();
                boolean member = (sSide ? pod.sOf : pod.rOf).contains(m.policy());
                boolean placed = m.local() == node.equals(pod.node);
                return member && placed ? Boolean.TRUE : null;
            }
            case LocalPod l -> {
                PodRec pod = pods.get(l.uid());
                if (pod == null || !node.equals(pod.node)) {
                    return null;
                }
                return pairedOn(pod, node, true) ? pod.value : null;
            }
            case RemotePod rp -> {
                PodRec pod = pods.get(rp.uid());
                if (pod == null || node.equals(pod.node)) {
                    return null;
                }
                return pairedOn(pod, node, false) ? pod.value : null;
            }
            case SnapshotKey.Revoked r -> {
                return revoked.get(r.serial());
            }
            case PeerNode pn -> {
                String m = pn.name();
                if (m.equals(node) || !nodes.containsKey(m)) {
                    return null;
                }
                for (PolicyKey pk : policiesOnNode.getOrDefault(m, Set.of())) {
                    PolicyRec p = policies.get(pk);
                    if ((p.count(false, m) > 0 && exists(p, Role.SELECTED, node))
                            || (p.count(true, m) > 0 && exists(p, Role.PEER, node))) {
                        return nodes.get(m);
                    }
                }
                return null;
            }
        }
    }

    /** Whether some group of node has this pod on its local (or remote) side. */
    private boolean pairedOn(PodRec pod, String node, boolean local) {
        for (PolicyKey pk : pod.sOf) {
            if (exists(pk, local ? Role.SELECTED : Role.PEER, node)) {
                return true;
            }
        }
        for (PolicyKey pk : pod.rOf) {
            if (exists(pk, local ? Role.PEER : Role.SELECTED, node)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------
    // Changes.
    // ------------------------------------------------------------------------------------

    private void reevaluatePods(Set<String> uids) {
        Accumulator acc = new Accumulator();
        reevaluatePods(uids, acc);
        acc.commit();
    }

    private void reevaluatePods(Set<String> uids, Accumulator acc) {
        for (String uid : List.copyOf(uids)) {
            PodRec old = pods.get(uid);
            PodRec neu = new PodRec(old.uid, old.namespace, old.name, old.labels, old.node, old.addresses,
                    old.hostNetwork, old.terminated);
            changePod(old, neu, acc);
        }
    }

    /**
     * Replaces old by neu (either may be null), recording every entry that may differ: the
     * pod's own entries on every node of the policies it is (or was) in, and all entries of
     * the groups whose existence flips.
     */
    private void changePod(PodRec old, PodRec neu, Accumulator acc) {
        if (neu != null) {
            memberships(neu);
        }
        if (old != null && neu != null && old.value.equals(neu.value) && old.sameMemberships(neu)) {
            // Nothing a snapshot shows changes (labels may have, memberships did not).
            swap(old, neu);
            return;
        }
        Set<PolicyKey> px = new HashSet<>();
        if (old != null) {
            px.addAll(old.sOf);
            px.addAll(old.rOf);
        }
        if (neu != null) {
            px.addAll(neu.sOf);
            px.addAll(neu.rOf);
        }
        if (px.isEmpty()) {
            swap(old, neu);
            return;
        }
        String uid = old != null ? old.uid : neu.uid;
        // Before: which groups exist on which nodes.
        Map<String, Set<PolicyKey>> affected = new HashMap<>();
        Map<Group, Set<String>> existedOn = existence(px, affected, old, neu);
        swap(old, neu);
        Map<Group, Set<String>> existsOn = existence(px, affected, old, neu);
        Map<String, Set<SnapshotKey>> keys = new HashMap<>();
        for (Map.Entry<String, Set<PolicyKey>> e : affected.entrySet()) {
            String n = e.getKey();
            Set<SnapshotKey> k = keys.computeIfAbsent(n, x -> new LinkedHashSet<>());
            k.add(new LocalPod(uid));
            k.add(new RemotePod(uid));
            if (old != null && old.node != null) {
                k.add(new PeerNode(old.node));
            }
            if (neu != null && neu.node != null) {
                k.add(new PeerNode(neu.node));
            }
            for (PolicyKey pk : e.getValue()) {
                for (Role role : Role.values()) {
                    Group g = new Group(pk, role);
                    k.add(g);
                    k.add(new Member(pk, role, true, uid));
                    k.add(new Member(pk, role, false, uid));
                    boolean before = existedOn.getOrDefault(g, Set.of()).contains(n);
                    boolean after = existsOn.getOrDefault(g, Set.of()).contains(n);
                    if (before != after) {
                        // The group appears or disappears: all of its entries, in the world where it exists
                        // (its members differ between the worlds by this pod only, already listed).
                        groupKeys(policies.get(pk), role, n, k);
                    }
                }
            }
        }
        swap(neu, old);
        Map<String, Map<SnapshotKey, Object>> before = evaluate(keys);
        swap(old, neu);
        Map<String, Map<SnapshotKey, Object>> after = evaluate(keys);
        record(acc, keys, before, after);
    }

    /** For each (policy in px, role): the nodes where the group exists; collects the candidate nodes. */
    private Map<Group, Set<String>> existence(Set<PolicyKey> px, Map<String, Set<PolicyKey>> affected,
                                              PodRec old, PodRec neu) {
        Map<Group, Set<String>> out = new HashMap<>();
        for (PolicyKey pk : px) {
            PolicyRec p = policies.get(pk);
            // Only the pod's own nodes and the nodes of the other side can see a difference: a
            // group's existence on node N depends on the pod's side only through N's count (the
            // pod's node) or through the side's total (groups whose remote side it is).
            boolean inS = (old != null && old.sOf.contains(pk)) || (neu != null && neu.sOf.contains(pk));
            boolean inR = (old != null && old.rOf.contains(pk)) || (neu != null && neu.rOf.contains(pk));
            Set<String> candidates = new HashSet<>();
            if (p != null) {
                if (inS) {
                    candidates.addAll(p.r.keySet());
                }
                if (inR) {
                    candidates.addAll(p.s.keySet());
                }
            }
            if (old != null && old.node != null && nodes.containsKey(old.node)) {
                candidates.add(old.node);
            }
            if (neu != null && neu.node != null && nodes.containsKey(neu.node)) {
                candidates.add(neu.node);
            }
            for (String n : candidates) {
                affected.computeIfAbsent(n, x -> new HashSet<>()).add(pk);
                for (Role role : Role.values()) {
                    if (exists(p, role, n)) {
                        out.computeIfAbsent(new Group(pk, role), x -> new HashSet<>()).add(n);
                    }
                }
            }
        }
        return out;
    }

    /** Every entry that group (p, role) contributes on node n, in the current state. */
    private void groupKeys(PolicyRec p, Role role, String n, Set<SnapshotKey> k) {
        if (p == null) {
            return;
        }
        boolean localS = role == Role.SELECTED;
        k.add(new Group(p.key, role));
        for (String uid : p.side(localS).getOrDefault(n, Set.of())) {
            k.add(new Member(p.key, role, true, uid));
            k.add(new LocalPod(uid));
        }
        for (Map.Entry<String, Set<String>> e : p.side(!localS).entrySet()) {
            if (e.getKey().equals(n)) {
                continue;
            }
            k.add(new PeerNode(e.getKey()));
            for (String uid : e.getValue()) {
                k.add(new Member(p.key, role, false, uid));
                k.add(new RemotePod(uid));
            }
        }
    }

    private void changePolicy(PolicyKey key, PolicyRec neu) {
        PolicyRec old = policies.get(key);
        if (old == null && neu == null) {
            return;
        }
        Map<String, Set<SnapshotKey>> keys = new HashMap<>();
        policyKeys(old, keys);
        if (old != null) {
            uninstall(old);
        }
        if (neu != null) {
            install(neu);
        }
        policyKeys(neu, keys);
        if (neu != null) {
            uninstall(neu);
        }
        if (old != null) {
            install(old);
        }
        Map<String, Map<SnapshotKey, Object>> before = evaluate(keys);
        if (old != null) {
            uninstall(old);
        }
        if (neu != null) {
            install(neu);
        }
        Map<String, Map<SnapshotKey, Object>> after = evaluate(keys);
        Accumulator acc = new Accumulator();
        record(acc, keys, before, after);
        acc.commit();
    }

    private void policyKeys(PolicyRec p, Map<String, Set<SnapshotKey>> keys) {
        if (p == null) {
            return;
        }
        for (String n : nodesOf(p)) {
            Set<SnapshotKey> k = keys.computeIfAbsent(n, x -> new LinkedHashSet<>());
            for (Role role : Role.values()) {
                k.add(new Group(p.key, role));
                if (exists(p, role, n)) {
                    groupKeys(p, role, n, k);
                }
            }
        }
    }

    /** Nodes hosting a pod of S(p) or R(p), present in the node list. */
    private Set<String> nodesOf(PolicyRec p) {
        Set<String> out = new HashSet<>();
        if (p != null) {
            out.addAll(p.s.keySet());
            out.addAll(p.r.keySet());
        }
        return out;
    }

    /** Nodes whose snapshot may list node m as a peer node. */
    private Set<String> nodesPairedWith(String m) {
        Set<String> out = new HashSet<>();
        for (PolicyKey pk : policiesOnNode.getOrDefault(m, Set.of())) {
            PolicyRec p = policies.get(pk);
            out.addAll(nodesOf(p));
        }
        out.remove(m);
        return out;
    }

    private Map<String, Map<SnapshotKey, Object>> evaluate(Map<String, Set<SnapshotKey>> keys) {
        Map<String, Map<SnapshotKey, Object>> out = new HashMap<>();
        for (Map.Entry<String, Set<SnapshotKey>> e : keys.entrySet()) {
            Map<SnapshotKey, Object> m = new HashMap<>();
            if (nodes.containsKey(e.getKey())) {
                for (SnapshotKey k : e.getValue()) {
                    Object v = value(e.getKey(), k);
                    if (v != null) {
                        m.put(k, v);
                    }
                }
            }
            out.put(e.getKey(), m);
        }
        return out;
    }

    private static void record(Accumulator acc, Map<String, Set<SnapshotKey>> keys,
                               Map<String, Map<SnapshotKey, Object>> before,
                               Map<String, Map<SnapshotKey, Object>> after) {
        for (Map.Entry<String, Set<SnapshotKey>> e : keys.entrySet()) {
            Map<SnapshotKey, Object> b = before.get(e.getKey());
            Map<SnapshotKey, Object> a = after.get(e.getKey());
            for (SnapshotKey k : e.getValue()) {
                Object bv = b.get(k);
                Object av = a.get(k);
                if (!Objects.equals(bv, av)) {
                    acc.record(e.getKey(), k, bv, av);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------
    // State and indexes.
    // ------------------------------------------------------------------------------------

    /** Takes old out of the state and puts neu in (either may be null). */
    private void swap(PodRec old, PodRec neu) {
        if (old != null) {
            unindex(old);
        }
        if (neu != null) {
            index(neu, false);
        }
    }

    private void index(PodRec rec, boolean computeMemberships) {
        pods.put(rec.uid, rec);
        podsByNamespace.computeIfAbsent(rec.namespace, x -> new HashSet<>()).add(rec.uid);
        if (rec.node != null) {
            podsByNode.computeIfAbsent(rec.node, x -> new HashSet<>()).add(rec.uid);
        }
        if (computeMemberships) {
            memberships(rec);
        }
        for (PolicyKey pk : rec.sOf) {
            addTo(policies.get(pk), true, rec);
        }
        for (PolicyKey pk : rec.rOf) {
            addTo(policies.get(pk), false, rec);
        }
    }

    private void unindex(PodRec rec) {
        if (pods.get(rec.uid) == rec) {
            pods.remove(rec.uid);
        }
        removeFromIndex(podsByNamespace, rec.namespace, rec.uid);
        if (rec.node != null) {
            removeFromIndex(podsByNode, rec.node, rec.uid);
        }
        for (PolicyKey pk : rec.sOf) {
            removeFrom(policies.get(pk), true, rec);
        }
        for (PolicyKey pk : rec.rOf) {
            removeFrom(policies.get(pk), false, rec);
        }
    }

    private static void removeFromIndex(Map<String, Set<String>> index, String key, String uid) {
        Set<String> s = index.get(key);
        if (s != null) {
            s.remove(uid);
            if (s.isEmpty()) {
                index.remove(key);
            }
        }
    }

    /** Computes rec's memberships from the current policies (empty when not eligible). */
    private void memberships(PodRec rec) {
        rec.sOf.clear();
        rec.rOf.clear();
        if (!eligible(rec)) {
            return;
        }
        for (PolicyRec p : policies.values()) {
            if (selects(p, rec)) {
                rec.sOf.add(p.key);
            }
            if (peers(p, rec)) {
                rec.rOf.add(p.key);
            }
        }
    }

    private boolean eligible(PodRec rec) {
        return rec.node != null && nodes.containsKey(rec.node) && !removing.contains(rec.node)
                && !rec.addresses.isEmpty() && !rec.hostNetwork && !rec.terminated;
    }

    private static boolean selects(PolicyRec p, PodRec pod) {
        return pod.namespace.equals(p.key.namespace()) && LabelSelectors.matches(p.podSelector, pod.labels);
    }

    private boolean peers(PolicyRec p, PodRec pod) {
        for (IPsecPeer peer : p.peers) {
            if (peer.getIpBlock() != null) {
                continue;
            }
            boolean nsOk = peer.getNamespaceSelector() == null
                    ? pod.namespace.equals(p.key.namespace())
                    : LabelSelectors.matches(peer.getNamespaceSelector(), namespaceLabels(pod.namespace));
            if (nsOk && (peer.getPodSelector() == null || LabelSelectors.matches(peer.getPodSelector(), pod.labels))) {
                return true;
            }
        }
        return false;
    }

    private Map<String, String> namespaceLabels(String ns) {
        Map<String, String> l = namespaces.get(ns);
        return l != null ? l : Map.of(NAMESPACE_NAME_LABEL, ns);
    }

    /** Fills a new policy's S and R from the eligible pods (not yet installed in the pods). */
    private void fill(PolicyRec p) {
        for (String uid : podsByNamespace.getOrDefault(p.key.namespace(), Set.of())) {
            PodRec pod = pods.get(uid);
            if (eligible(pod) && selects(p, pod)) {
                p.s.computeIfAbsent(pod.node, x -> new HashSet<>()).add(pod.uid);
                p.sTotal++;
            }
        }
        // Per peer: its namespaces once, then its pod selector on their pods.
        for (IPsecPeer peer : p.peers) {
            if (peer.getIpBlock() != null) {
                continue;
            }
            List<String> nsList = new ArrayList<>();
            if (peer.getNamespaceSelector() == null) {
                nsList.add(p.key.namespace());
            } else {
                for (String ns : podsByNamespace.keySet()) {
                    if (LabelSelectors.matches(peer.getNamespaceSelector(), namespaceLabels(ns))) {
                        nsList.add(ns);
                    }
                }
            }
            for (String ns : nsList) {
                for (String uid : podsByNamespace.getOrDefault(ns, Set.of())) {
                    PodRec pod = pods.get(uid);
                    if (eligible(pod) && (peer.getPodSelector() == null
                            || LabelSelectors.matches(peer.getPodSelector(), pod.labels))
                            && p.r.computeIfAbsent(pod.node, x -> new HashSet<>()).add(pod.uid)) {
                        p.rTotal++;
                    }
                }
            }
        }
    }

    /** Puts a filled policy into the state: the policy map, the pods' memberships, the node index. */
    private void install(PolicyRec p) {
        policies.put(p.key, p);
        for (boolean sSide : new boolean[] {true, false}) {
            for (Map.Entry<String, Set<String>> e : p.side(sSide).entrySet()) {
                policiesOnNode.computeIfAbsent(e.getKey(), x -> new HashSet<>()).add(p.key);
                for (String uid : e.getValue()) {
                    PodRec pod = pods.get(uid);
                    (sSide ? pod.sOf : pod.rOf).add(p.key);
                }
            }
        }
    }

    private void uninstall(PolicyRec p) {
        policies.remove(p.key);
        for (boolean sSide : new boolean[] {true, false}) {
            for (Map.Entry<String, Set<String>> e : p.side(sSide).entrySet()) {
                Set<PolicyKey> on = policiesOnNode.get(e.getKey());
                if (on != null) {
                    on.remove(p.key);
                    if (on.isEmpty()) {
                        policiesOnNode.remove(e.getKey());
                    }
                }
                for (String uid : e.getValue()) {
                    PodRec pod = pods.get(uid);
                    (sSide ? pod.sOf : pod.rOf).remove(p.key);
                }
            }
        }
    }

    private void addTo(PolicyRec p, boolean sSide, PodRec pod) {
        if (p.side(sSide).computeIfAbsent(pod.node, x -> new HashSet<>()).add(pod.uid)) {
            if (sSide) {
                p.sTotal++;
            } else {
                p.rTotal++;
            }
            policiesOnNode.computeIfAbsent(pod.node, x -> new HashSet<>()).add(p.key);
        }
    }

    private void removeFrom(PolicyRec p, boolean sSide, PodRec pod) {
        Set<String> set = p.side(sSide).get(pod.node);
        if (set != null && set.remove(pod.uid)) {
            if (sSide) {
                p.sTotal--;
            } else {
                p.rTotal--;
            }
            if (set.isEmpty()) {
                p.side(sSide).remove(pod.node);
                if (p.count(!sSide, pod.node) == 0) {
                    Set<PolicyKey> on = policiesOnNode.get(pod.node);
                    if (on != null) {
                        on.remove(p.key);
                        if (on.isEmpty()) {
                            policiesOnNode.remove(pod.node);
                        }
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------
    // From Kubernetes objects.
    // ------------------------------------------------------------------------------------

    static String uidOf(Pod pod) {
        String uid = pod.getMetadata().getUid();
        return uid != null ? uid : pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
    }

    private static PodRec podRec(Pod pod) {
        List<String> addresses = new ArrayList<>();
        boolean hostNetwork = false;
        boolean terminated = false;
        String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            hostNetwork = true;
        }
        if (pod.getStatus() != null) {
            if (pod.getStatus().getPodIPs() != null) {
                for (PodIP ip : pod.getStatus().getPodIPs()) {
                    if (ip.getIp() != null && !addresses.contains(ip.getIp())) {
                        addresses.add(ip.getIp());
                    }
                }
            }
            if (addresses.isEmpty() && pod.getStatus().getPodIP() != null) {
                addresses.add(pod.getStatus().getPodIP());
            }
            String phase = pod.getStatus().getPhase();
            terminated = "Succeeded".equals(phase) || "Failed".equals(phase);
        }
        return new PodRec(uidOf(pod), pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                pod.getMetadata().getLabels(), node == null || node.isEmpty() ? null : node, addresses, hostNetwork,
                terminated);
    }

    private static NodeValue nodeValue(Node node) {
        List<String> internal = new ArrayList<>();
        List<String> other = new ArrayList<>();
        if (node.getStatus() != null && node.getStatus().getAddresses() != null) {
            for (NodeAddress a : node.getStatus().getAddresses()) {
                if ("InternalIP".equals(a.getType())) {
                    internal.add(a.getAddress());
                } else if ("ExternalIP".equals(a.getType())) {
                    other.add(a.getAddress());
                }
            }
        }
        internal.addAll(other);
        return new NodeValue(internal);
    }

    private static Map<String, String> labelsOf(String ns, Map<String, String> labels) {
        Map<String, String> out = new HashMap<>(labels == null ? Map.of() : labels);
        out.putIfAbsent(NAMESPACE_NAME_LABEL, ns);
        return Map.copyOf(out);
    }

    public static PolicyKey keyOf(IPsecPolicy p) {
        return new PolicyKey(p.getMetadata().getNamespace(), p.getMetadata().getName());
    }

    /** For tests and benchmarks: a listener as a lambda. */
    public static Listener listener(Consumer<NodeDelta> c) {
        return c::accept;
    }
}
