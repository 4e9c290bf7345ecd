package io.ipsecmesh.operator.compiler;

import static io.ipsecmesh.operator.compiler.Fixtures.labels;
import static io.ipsecmesh.operator.compiler.Fixtures.peer;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.ipsecmesh.api.v1alpha1.IPsecIpBlock;
import io.ipsecmesh.api.v1alpha1.IPsecPeer;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random changes to a small cluster. After every change: each node's snapshot, rebuilt from
 * the deltas a client received, equals a fresh full snapshot (so a node got a delta exactly
 * when its snapshot changed), and its pairs are exactly those the {@link Oracle} computes
 * from scratch.
 */
class PolicyCompilerRandomizedTest {

    static final String[] APPS = {"a", "b", "c"};
    static final String[] TEAMS = {"x", "y"};

    final Map<String, Node> nodes = new LinkedHashMap<>();
    final Map<String, Namespace> namespaces = new LinkedHashMap<>();
    final Map<String, Pod> pods = new LinkedHashMap<>();
    final Map<PolicyKey, IPsecPolicy> policies = new LinkedHashMap<>();
    Random rnd;
    int podSeq;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void deltasAndPairsStayExact(long seed) {
        rnd = new Random(seed);
        for (int i = 0; i < 5; i++) {
            nodes.put("n" + i, Fixtures.node("n" + i, "198.18.0." + (i + 1)));
        }
        for (int i = 0; i < 4; i++) {
            namespaces.put("ns" + i, Fixtures.namespace("ns" + i, Map.of("team", TEAMS[i % 2])));
        }
        for (int i = 0; i < 30; i++) {
            Pod p = randomPod();
            pods.put(PolicyCompiler.uidOf(p), p);
        }
        for (int i = 0; i < 5; i++) {
            IPsecPolicy p = randomPolicy(i);
            policies.put(PolicyCompiler.keyOf(p), p);
        }
        PolicyCompiler compiler = new PolicyCompiler();
        compiler.load(nodes.values(), namespaces.values(), pods.values(), policies.values());
        SnapshotTracker tracker = new SnapshotTracker(compiler);
        tracker.resync();
        check(compiler, tracker, "load");
        for (int step = 0; step < 250; step++) {
            String what = randomChange(compiler);
            check(compiler, tracker, "step " + step + ": " + what);
        }
    }

    void check(PolicyCompiler compiler, SnapshotTracker tracker, String after) {
        try {
            tracker.assertInSync();
            Map<String, Set<NodeSnapshot.Pair>> expected = Oracle.pairs(nodes.values(), namespaces.values(),
                    pods.values(), policies.values());
            for (String n : compiler.nodeNames()) {
                assertEquals(expected.get(n), compiler.snapshot(n).pairs(), "pairs of " + n);
            }
        } catch (AssertionError e) {
            throw new AssertionError("after " + after + ": " + e.getMessage(), e);
        }
    }

    String randomChange(PolicyCompiler compiler) {
        int kind = rnd.nextInt(100);
        List<String> podIds = new ArrayList<>(pods.keySet());
        if (kind < 20) {
            Pod p = randomPod();
            pods.put(PolicyCompiler.uidOf(p), p);
            compiler.upsertPod(p);
            return "add pod " + p.getMetadata().getName();
        } else if (kind < 32 && !podIds.isEmpty()) {
            Pod p = pods.remove(podIds.get(rnd.nextInt(podIds.size())));
            compiler.deletePod(p);
            return "delete pod " + p.getMetadata().getName();
        } else if (kind < 52 && !podIds.isEmpty()) {
            Pod p = pods.get(podIds.get(rnd.nextInt(podIds.size())));
            Map<String, String> l = new HashMap<>(p.getMetadata().getLabels());
            if (rnd.nextBoolean()) {
                l.put("app", APPS[rnd.nextInt(APPS.length)]);
            } else {
                l.put("tier", String.valueOf(rnd.nextInt(2)));
            }
            p.getMetadata().setLabels(l);
            compiler.upsertPod(p);
            return "relabel pod " + p.getMetadata().getName() + " " + l;
        } else if (kind < 57 && !podIds.isEmpty()) {
            Pod p = pods.get(podIds.get(rnd.nextInt(podIds.size())));
            String ip = rnd.nextInt(4) == 0 ? null : "198.18.1." + rnd.nextInt(250);
            p.getStatus().setPodIP(ip);
            p.getStatus().setPodIPs(ip == null ? List.of() : List.of(new io.fabric8.kubernetes.api.model.PodIP(ip)));
            compiler.upsertPod(p);
            return "pod " + p.getMetadata().getName() + " address " + ip;
        } else if (kind < 67) {
            Namespace ns = namespaces.get("ns" + rnd.nextInt(4));
            ns.getMetadata().setLabels(Map.of("team", TEAMS[rnd.nextInt(2)]));
            compiler.upsertNamespace(ns);
            return "relabel namespace " + ns.getMetadata().getName();
        } else if (kind < 72) {
            String name = "n" + rnd.nextInt(7);
            if (nodes.containsKey(name)) {
                compiler.deleteNode(nodes.remove(name));
                return "delete node " + name;
            }
            Node n = Fixtures.node(name, "198.18.0." + (100 + rnd.nextInt(100)));
            nodes.put(name, n);
            compiler.upsertNode(n);
            return "add node " + name;
        } else if (kind < 77 && !nodes.isEmpty()) {
            List<String> names = new ArrayList<>(nodes.keySet());
            String name = names.get(rnd.nextInt(names.size()));
            Node n = Fixtures.node(name, "198.18.0." + (100 + rnd.nextInt(100)));
            nodes.put(name, n);
            compiler.upsertNode(n);
            return "readdress node " + name;
        } else if (kind < 90) {
            IPsecPolicy p = randomPolicy(rnd.nextInt(7));
            policies.put(PolicyCompiler.keyOf(p), p);
            compiler.upsertPolicy(p);
            return "upsert policy " + p.getMetadata().getName();
        } else if (!policies.isEmpty()) {
            List<PolicyKey> keys = new ArrayList<>(policies.keySet());
            PolicyKey k = keys.get(rnd.nextInt(keys.size()));
            policies.remove(k);
            compiler.deletePolicy(k);
            return "delete policy " + k;
        }
        return "nothing";
    }

    Pod randomPod() {
        int i = podSeq++;
        String ns = "ns" + rnd.nextInt(4);
        String node = "n" + rnd.nextInt(7); // n5, n6 may not exist (yet)
        String ip = rnd.nextInt(10) == 0 ? null : "198.18.1." + (i % 250);
        Map<String, String> l = Map.of("app", APPS[rnd.nextInt(APPS.length)], "tier", String.valueOf(rnd.nextInt(2)));
        Pod p = Fixtures.pod(ns, "p" + i, "uid-" + i, node, ip, l);
        if (rnd.nextInt(15) == 0) {
            p.getSpec().setHostNetwork(true);
        }
        if (p.getStatus() == null) {
            p.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
        }
        return p;
    }

    IPsecPolicy randomPolicy(int i) {
        String ns = "ns" + (i % 4);
        LabelSelector podSel = switch (rnd.nextInt(4)) {
            case 0 -> labels(Map.of());
            case 1 -> labels(Map.of("app", APPS[rnd.nextInt(3)]));
            case 2 -> new LabelSelectorBuilder().addNewMatchExpression().withKey("app").withOperator("In")
                    .withValues(APPS[rnd.nextInt(3)], APPS[rnd.nextInt(3)]).endMatchExpression().build();
            default -> labels(Map.of("tier", String.valueOf(rnd.nextInt(2))));
        };
        List<IPsecPeer> peers = new ArrayList<>();
        int n = 1 + rnd.nextInt(2);
        for (int j = 0; j < n; j++) {
            switch (rnd.nextInt(5)) {
                case 0 -> peers.add(peer(null, labels(Map.of("app", APPS[rnd.nextInt(3)]))));
                case 1 -> peers.add(peer(labels(Map.of("team", TEAMS[rnd.nextInt(2)])), null));
                case 2 -> peers.add(peer(labels(Map.of()), labels(Map.of("tier", String.valueOf(rnd.nextInt(2))))));
                case 3 -> peers.add(peer(new LabelSelectorBuilder().addNewMatchExpression().withKey("team")
                        .withOperator("NotIn").withValues(TEAMS[rnd.nextInt(2)]).endMatchExpression().build(),
                        new LabelSelectorBuilder().addNewMatchExpression().withKey("app").withOperator("Exists")
                                .endMatchExpression().build()));
                default -> {
                    IPsecPeer ext = new IPsecPeer();
                    IPsecIpBlock b = new IPsecIpBlock();
                    b.setCidr("198.19.0.0/16");
                    ext.setIpBlock(b);
                    peers.add(ext);
                }
            }
        }
        IPsecPolicy p = Fixtures.policy(ns, "pol" + i, podSel, peers.toArray(IPsecPeer[]::new));
        if (rnd.nextInt(8) == 0) {
            p.getSpec().setMode("Tunel"); // invalid: compiles to nothing
        } else if (rnd.nextBoolean()) {
            p.getSpec().setEnforcement("Audit");
        }
        return p;
    }
}
