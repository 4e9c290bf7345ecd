package io.ipsecmesh.operator.kube;

import static io.ipsecmesh.operator.compiler.Fixtures.labels;
import static io.ipsecmesh.operator.compiler.Fixtures.peer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import io.ipsecmesh.api.v1alpha1.IPsecPolicyStatus;
import io.ipsecmesh.api.v1alpha1.IPsecProposals;
import io.ipsecmesh.operator.compiler.Fixtures;
import io.ipsecmesh.operator.compiler.NodeSnapshot;
import io.ipsecmesh.operator.compiler.PolicyCompiler;
import io.ipsecmesh.operator.compiler.PolicyKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 4, acceptance 1, against the Fabric8 mock API server in CRUD mode, through the Fabric8
 * client and informers only: a policy selects the right pods across namespaces, every node's
 * snapshot holds exactly the pairs that concern it, changes to pods, namespaces, nodes and
 * policies update only the affected snapshots, and an invalid policy gets Ready=False with a
 * reason a user understands.
 *
 * <p>The cluster: nodes n1..n3; namespace shop (team=web) with frontends f1 (n1), f2 (n2) and
 * backends b1 (n2), b2 (n3); namespace data (team=db) with database d1 (n3); namespace tools
 * (team=web) with t1 (n1). Policy shop/web: backends with frontends. Policy data/db: the
 * database with every pod of the team=web namespaces.
 */
@EnableKubernetesMockClient(crud = true)
class ClusterFeedMockServerTest {

    static final PolicyKey WEB = new PolicyKey("shop", "web");
    static final PolicyKey DB = new PolicyKey("data", "db");

    KubernetesClient client;
    PolicyCompiler compiler;
    ClusterFeed feed;

    @BeforeEach
    void cluster() throws Exception {
        CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions()
                .load(Files.newInputStream(Path.of(System.getProperty("ipsm.crds.dir", "../crds"))
                        .resolve("ipsecpolicies.ipsec.ipsecmesh.io-v1.yml"))).item();
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        for (int i = 1; i <= 3; i++) {
            client.nodes().resource(Fixtures.node("n" + i, "198.18.0." + i)).create();
        }
        client.namespaces().resource(Fixtures.namespace("shop", Map.of("team", "web"))).create();
        client.namespaces().resource(Fixtures.namespace("data", Map.of("team", "db"))).create();
        client.namespaces().resource(Fixtures.namespace("tools", Map.of("team", "web"))).create();
        pod("shop", "f1", "n1", "198.18.1.1", "frontend");
        pod("shop", "f2", "n2", "198.18.1.2", "frontend");
        pod("shop", "b1", "n2", "198.18.1.3", "backend");
        pod("shop", "b2", "n3", "198.18.1.4", "backend");
        pod("data", "d1", "n3", "198.18.1.5", "db");
        pod("tools", "t1", "n1", "198.18.1.6", "debug");
        client.resources(IPsecPolicy.class).inNamespace("shop").resource(Fixtures.policy("shop", "web",
                labels(Map.of("app", "backend")), peer(null, labels(Map.of("app", "frontend"))))).create();
        client.resources(IPsecPolicy.class).inNamespace("data").resource(Fixtures.policy("data", "db",
                labels(Map.of("app", "db")), peer(labels(Map.of("team", "web")), null))).create();
        compiler = new PolicyCompiler();
        feed = new ClusterFeed(client, compiler, true);
        feed.start(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        feed.close();
    }

    void pod(String ns, String name, String node, String ip, String app) {
        client.pods().inNamespace(ns).resource(Fixtures.pod(ns, name, null, node, ip, Map.of("app", app))).create();
    }

    String uid(String ns, String name) {
        return client.pods().inNamespace(ns).withName(name).get().getMetadata().getUid();
    }

    /** "policy role local remote" strings, e.g. "web SELECTED b1 f1", for readable expectations. */
    /**
     * Pod names by uid, for every pod ever seen: a pod deleted from the API server keeps its
     * name here, so a pair the compiler still holds for it reads as that pod (not "null"), and
     * a wait for the pair to go cannot end before the compiler has seen the deletion.
     */
    private final Map<String, String> names = new java.util.concurrent.ConcurrentHashMap<>();

    Set<String> pairs(String node) {
        for (Pod p : client.pods().inAnyNamespace().list().getItems()) {
            names.put(PolicyCompilerAccess.uid(p), p.getMetadata().getName());
        }
        Set<String> out = new HashSet<>();
        for (NodeSnapshot.Pair p : compiler.snapshot(node).pairs()) {
            out.add(p.policy().name() + " " + p.role() + " " + names.get(p.localPod()) + " " + names.get(p.remotePod()));
        }
        return out;
    }

    Map<String, Long> versions() {
        Map<String, Long> v = new HashMap<>();
        for (String n : compiler.nodeNames()) {
            v.put(n, compiler.version(n));
        }
        return v;
    }

    Set<String> changedSince(Map<String, Long> before) {
        Set<String> out = new HashSet<>();
        Map<String, Long> now = versions();
        for (String n : new HashSet<>(before.keySet()) {{ addAll(now.keySet()); }}) {
            if (!before.getOrDefault(n, -1L).equals(now.getOrDefault(n, -1L))) {
                out.add(n);
            }
        }
        return out;
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void policiesSelectAcrossNamespacesAndEachNodeHoldsExactlyItsPairs() {
        assertEquals(Set.of(
                "web PEER f1 b1", "web PEER f1 b2",
                "db PEER f1 d1", "db PEER t1 d1"), pairs("n1"));
        assertEquals(Set.of(
                "web SELECTED b1 f1", "web PEER f2 b2",
                "db PEER f2 d1", "db PEER b1 d1"), pairs("n2"));
        assertEquals(Set.of(
                "web SELECTED b2 f1", "web SELECTED b2 f2",
                "db SELECTED d1 f1", "db SELECTED d1 f2", "db SELECTED d1 b1", "db SELECTED d1 t1"), pairs("n3"));
        // b2 and d1 share n3: their traffic never leaves the node, so no pair.
        PolicyCompiler.PolicyReport db = compiler.report(DB);
        assertEquals(1, db.pods());
        assertEquals(5, db.peerPods());
        assertEquals(4, db.pairsRequired());
        assertEquals(3, compiler.report(WEB).pairsRequired());
        // Remote pods come with their node's address.
        NodeSnapshot n1 = compiler.snapshot("n1");
        assertEquals(List.of("198.18.0.3"), ((io.ipsecmesh.operator.compiler.SnapshotKey.NodeValue)
                n1.entries().get(new io.ipsecmesh.operator.compiler.SnapshotKey.PeerNode("n3"))).addresses());
    }

    @Test
    void podChangesTouchOnlyTheAffectedSnapshots() throws Exception {
        // A new frontend on n1: web pairs it with b1 (n2) and b2 (n3); db with d1 (n3).
        Map<String, Long> v = versions();
        pod("shop", "f3", "n1", "198.18.1.7", "frontend");
        await("f3 paired", () -> pairs("n1").contains("web PEER f3 b1"));
        assertEquals(Set.of("n1", "n2", "n3"), changedSince(v));

        // The debug pod t1 in tools (n1) gets relabelled: db pairs it namespace-wide and no policy
        // looks at app=debug, so nothing changes. Then f2 (n2) is deleted, which touches n2 and n3 (its
        // partners b2 and d1) only. Pod events arrive in order, so once f2's deletion shows, t1's
        // relabelling has been handled too, and n1 must not have changed.
        v = versions();
        client.pods().inNamespace("tools").withName("t1").edit(p -> {
            p.getMetadata().setLabels(Map.of("app", "debug2"));
            return p;
        });
        client.pods().inNamespace("shop").withName("f2").delete();
        await("f2 unpaired", () -> !pairs("n3").contains("web SELECTED b2 f2"));
        assertEquals(Set.of("n2", "n3"), changedSince(v));

        // b1 stops being a backend: web loses b1's pairs on n1 (f1, f3) and n2; db still has b1.
        v = versions();
        client.pods().inNamespace("shop").withName("b1").edit(p -> {
            p.getMetadata().setLabels(Map.of("app", "cache"));
            return p;
        });
        await("b1 unpaired", () -> !pairs("n1").contains("web PEER f1 b1"));
        assertEquals(Set.of("n1", "n2"), changedSince(v));
        assertEquals(Set.of("db PEER b1 d1"), pairs("n2"));

        // Deleting d1 (n3) ends every db pair, on all three nodes.
        v = versions();
        client.pods().inNamespace("data").withName("d1").delete();
        await("d1 gone", () -> pairs("n3").stream().noneMatch(s -> s.startsWith("db ")));
        assertEquals(Set.of("n1", "n2", "n3"), changedSince(v));
        assertTrue(pairs("n1").stream().noneMatch(s -> s.startsWith("db ")));
    }

    @Test
    void namespaceNodeAndPolicyChangesTouchOnlyTheAffectedSnapshots() throws Exception {
        // tools leaves team=web: db's pair d1-t1 goes, on n3 and n1 only.
        Map<String, Long> v = versions();
        client.namespaces().withName("tools").edit(n -> {
            n.getMetadata().setLabels(Map.of("team", "ops"));
            return n;
        });
        await("t1 unpaired", () -> !pairs("n1").contains("db PEER t1 d1"));
        assertEquals(Set.of("n1", "n3"), changedSince(v));

        // A new node n4 with a frontend: n4 gets pairs, and so do the nodes of b1, b2 and d1.
        v = versions();
        client.nodes().resource(Fixtures.node("n4", "198.18.0.4")).create();
        pod("shop", "f4", "n4", "198.18.1.8", "frontend");
        await("f4 paired", () -> compiler.nodeNames().contains("n4") && pairs("n4").contains("web PEER f4 b2"));
        assertEquals(Set.of("web PEER f4 b1", "web PEER f4 b2", "db PEER f4 d1"), pairs("n4"));
        assertEquals(Set.of("n2", "n3", "n4"), changedSince(v));

        // n4 gets a second address: the nodes that list it as a peer get the new address; n1 does not list it.
        v = versions();
        client.nodes().withName("n4").edit(n -> {
            n.getStatus().getAddresses().add(new io.fabric8.kubernetes.api.model.NodeAddress("198.18.0.44", "ExternalIP"));
            return n;
        });
        Map<String, Long> before = v;
        await("n4 readdressed", () -> !versions().get("n3").equals(before.get("n3")));
        assertEquals(Set.of("n2", "n3"), changedSince(v));
        assertEquals(List.of("198.18.0.4", "198.18.0.44"), ((io.ipsecmesh.operator.compiler.SnapshotKey.NodeValue)
                compiler.snapshot("n3").entries().get(new io.ipsecmesh.operator.compiler.SnapshotKey.PeerNode("n4")))
                .addresses());

        // n2 is deleted: its pods (f2, b1) are unpaired everywhere; n2's snapshot is gone.
        Map<String, Long> v2 = versions();
        client.nodes().withName("n2").delete();
        await("n2 gone", () -> !compiler.nodeNames().contains("n2"));
        assertEquals(Set.of("web PEER f1 b2", "db PEER f1 d1"), pairs("n1"));
        assertEquals(Set.of("n1", "n2", "n3", "n4"), changedSince(v2));

        // The web policy is deleted: n1, n3, n4 lose its pairs.
        Map<String, Long> v3 = versions();
        client.resources(IPsecPolicy.class).inNamespace("shop").withName("web").delete();
        await("web gone", () -> compiler.report(WEB) == null);
        assertEquals(Set.of("db PEER f1 d1"), pairs("n1"));
        assertEquals(Set.of("n1", "n3", "n4"), changedSince(v3));
    }

    @Test
    void addingAndChangingAPolicyTouchesOnlyItsNodes() throws Exception {
        // tools/debug pairs t1 (n1) with the team=db namespaces' pods: d1 (n3). n2 is not concerned.
        Map<String, Long> v = versions();
        client.resources(IPsecPolicy.class).inNamespace("tools").resource(Fixtures.policy("tools", "debug",
                labels(Map.of("app", "debug")), peer(labels(Map.of("team", "db")), null))).create();
        await("debug compiled", () -> pairs("n1").contains("debug SELECTED t1 d1"));
        assertEquals(Set.of("debug PEER d1 t1"), pairs("n3").stream().filter(s -> s.startsWith("debug ")).collect(
                java.util.stream.Collectors.toSet()));
        assertEquals(Set.of("n1", "n3"), changedSince(v));

        // Its peers become the frontends of team=web namespaces: f1 is on n1 with t1 (same node, no
        // pair), f2 on n2. So n3 loses its pair, n2 gains one, n1 changes partner.
        v = versions();
        client.resources(IPsecPolicy.class).inNamespace("tools").withName("debug").edit(p -> {
            p.getSpec().setPeers(List.of(peer(labels(Map.of("team", "web")), labels(Map.of("app", "frontend")))));
            return p;
        });
        await("debug re-compiled", () -> pairs("n2").contains("debug PEER f2 t1"));
        assertEquals(Set.of("debug SELECTED t1 f2"), pairs("n1").stream().filter(s -> s.startsWith("debug "))
                .collect(java.util.stream.Collectors.toSet()));
        assertTrue(pairs("n3").stream().noneMatch(s -> s.startsWith("debug ")));
        assertEquals(Set.of("n1", "n2", "n3"), changedSince(v));
    }

    @Test
    void anInvalidPolicyGetsReadyFalseWithAReasonAUserUnderstands() throws Exception {
        IPsecPolicy bad = Fixtures.policy("shop", "bad", labels(Map.of("app", "backend")),
                peer(null, labels(Map.of("app", "frontend"))));
        bad.getSpec().setMode("Tunel");
        bad.getSpec().setProposals(new IPsecProposals(List.of("aes256gcm17-prfsha384-ecp384"), null, null));
        Map<String, Long> v = versions();
        client.resources(IPsecPolicy.class).inNamespace("shop").resource(bad).create();
        PolicyKey key = new PolicyKey("shop", "bad");
        await("bad policy seen", () -> compiler.report(key) != null);
        assertEquals(Set.of(), changedSince(v), "an invalid policy changes no snapshot");

        // What the reconciler writes (the operator's Quarkus test checks the reconciler itself).
        IPsecPolicy stored = client.resources(IPsecPolicy.class).inNamespace("shop").withName("bad").get();
        stored.setStatus(PolicyStatuses.compute(stored, compiler.report(key), 0, Instant.now()));
        client.resources(IPsecPolicy.class).inNamespace("shop").resource(stored).updateStatus();
        IPsecPolicyStatus status = client.resources(IPsecPolicy.class).inNamespace("shop").withName("bad").get()
                .getStatus();
        Condition ready = status.condition(IPsecPolicyStatus.READY);
        assertEquals("False", ready.getStatus());
        assertEquals("InvalidSpec", ready.getReason());
        assertEquals(stored.getMetadata().getGeneration(), ready.getObservedGeneration());
        assertTrue(ready.getMessage().contains("spec.mode 'Tunel' is not one of [Transport, Tunnel]"), ready.getMessage());
        assertTrue(ready.getMessage().contains("spec.proposals.ike[0] 'aes256gcm17-prfsha384-ecp384': "),
                ready.getMessage());
        assertTrue(ready.getMessage().contains("aes256gcm17"), ready.getMessage());
    }
}
