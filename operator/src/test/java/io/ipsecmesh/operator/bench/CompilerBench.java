package io.ipsecmesh.operator.bench;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import io.ipsecmesh.operator.compiler.Fixtures;
import io.ipsecmesh.operator.compiler.NodeSnapshot;
import io.ipsecmesh.operator.compiler.PolicyCompiler;
import io.ipsecmesh.operator.compiler.PolicyKey;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Bench runner for the policy compiler (issue 4, acceptance 4): 1,000 nodes, 20,000 pods in
 * 100 namespaces, 200 policies. Measures the full compile (the informers' initial lists loaded
 * at once), materializing every node's full snapshot, one-pod updates (latency distribution),
 * and the heap the compiled state holds. Run it with -Xmx1g to show it fits in 1 GiB; see
 * docs/operator.md for the command and the numbers.
 *
 * <p>Workload: pod i is in namespace ns(i % 100) with label app=app(i / 100 % 20) (10 pods per
 * app and namespace) on a random node; 20% of pods carry metrics=exposed. Namespace j has
 * team=t(j % 10). Per namespace two policies: app k with app k+1 of the same namespace; app j
 * with app j' of the 10 namespaces of one team. Two of them are "wide": monitoring pods with
 * every metrics=exposed pod of the cluster.
 */
public final class CompilerBench {

    static final java.lang.management.ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    static final int NODES = 1000;
    static final int PODS = 20_000;
    static final int NAMESPACES = 100;
    static final int APPS = 20;

    final List<Node> nodes = new ArrayList<>();
    final List<Namespace> namespaces = new ArrayList<>();
    final List<Pod> pods = new ArrayList<>();
    final List<IPsecPolicy> policies = new ArrayList<>();
    final Random rnd = new Random(42);

    public static void main(String[] args) {
        int updates = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        new CompilerBench().run(updates);
    }

    void build() {
        for (int i = 0; i < NODES; i++) {
            nodes.add(Fixtures.node("node-" + i, "198.19." + (i / 250) + "." + (i % 250 + 1)));
        }
        for (int j = 0; j < NAMESPACES; j++) {
            namespaces.add(Fixtures.namespace("ns" + j, Map.of("team", "t" + (j % 10))));
        }
        for (int i = 0; i < PODS; i++) {
            Map<String, String> labels = new HashMap<>();
            labels.put("app", "app" + (i / NAMESPACES % APPS));
            if (rnd.nextInt(5) == 0) {
                labels.put("metrics", "exposed");
            }
            pods.add(Fixtures.pod("ns" + (i % NAMESPACES), "pod-" + i, "uid-" + i, "node-" + rnd.nextInt(NODES),
                    "198.18." + (i / 250) + "." + (i % 250 + 1), labels));
        }
        for (int j = 0; j < NAMESPACES; j++) {
            int k = rnd.nextInt(APPS);
            policies.add(Fixtures.policy("ns" + j, "same-ns", app(k),
                    Fixtures.peer(null, app((k + 1) % APPS))));
            if (j < 2) {
                policies.add(Fixtures.policy("ns" + j, "monitoring", app(rnd.nextInt(APPS)),
                        Fixtures.peer(Fixtures.labels(Map.of()), Fixtures.labels(Map.of("metrics", "exposed")))));
            } else {
                policies.add(Fixtures.policy("ns" + j, "cross-ns", app(rnd.nextInt(APPS)),
                        Fixtures.peer(Fixtures.labels(Map.of("team", "t" + rnd.nextInt(10))), app(rnd.nextInt(APPS)))));
            }
        }
    }

    static LabelSelector app(int k) {
        return Fixtures.labels(Map.of("app", "app" + k));
    }

    void run(int updates) {
        build();
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        System.out.printf("workload: %d nodes, %d pods, %d namespaces, %d policies; max heap %d MiB%n",
                nodes.size(), pods.size(), namespaces.size(), policies.size(),
                Runtime.getRuntime().maxMemory() >> 20);

        // Full compile, several times (the first is cold: class loading and JIT).
        long[] compile = new long[6];
        long[] compileCpu = new long[compile.length];
        PolicyCompiler compiler = null;
        for (int r = 0; r < compile.length; r++) {
            compiler = null;
            System.gc();
            long c0 = THREADS.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            compiler = new PolicyCompiler();
            compiler.load(nodes, namespaces, pods, policies);
            compile[r] = System.nanoTime() - t0;
            compileCpu[r] = THREADS.getCurrentThreadCpuTime() - c0;
        }
        long pairs = 0;
        for (IPsecPolicy p : policies) {
            pairs += compiler.report(PolicyCompiler.keyOf(p)).pairsRequired();
        }
        System.out.printf("full compile (load): cold %.0f ms, warm median %.0f ms (runs: %s ms); %d pairs required%n",
                compile[0] / 1e6, median(Arrays.copyOfRange(compile, 1, compile.length)) / 1e6,
                Arrays.toString(Arrays.stream(compile).map(x -> x / 1_000_000).toArray()), pairs);
        System.out.printf("  same, thread CPU time: cold %.0f ms, warm median %.0f ms%n",
                compileCpu[0] / 1e6, median(Arrays.copyOfRange(compileCpu, 1, compileCpu.length)) / 1e6);

        System.gc();
        long heap = mem.getHeapMemoryUsage().getUsed();
        System.out.printf("heap used after compile and GC (compiler + the input objects): %d MiB%n", heap >> 20);

        // Every node's full snapshot, one after the other (what 1,000 sidecars connecting would ask for).
        long t0 = System.nanoTime();
        long entries = 0;
        long snapshotPairs = 0;
        for (Node n : nodes) {
            NodeSnapshot s = compiler.snapshot(n.getMetadata().getName());
            entries += s.entries().size();
            if (n == nodes.getFirst()) {
                snapshotPairs = s.pairs().size();
            }
        }
        long all = System.nanoTime() - t0;
        System.out.printf("all %d full snapshots: %.0f ms, %d entries in total (%.0f per node; node-0 has %d pairs)%n",
                nodes.size(), all / 1e6, entries, (double) entries / nodes.size(), snapshotPairs);

        // One-pod updates: relabel a random pod to another app (it leaves and joins policies), change a
        // pod's address, add a pod, delete it again.
        long[] deltas = new long[1];
        compiler.addListener(PolicyCompiler.listener(d -> deltas[0]++));
        for (int w = 0; w < 2000; w++) {
            onePodUpdate(compiler, w);
        }
        deltas[0] = 0;
        long[] lat = new long[updates];
        long[] cpu = new long[updates];
        for (int u = 0; u < updates; u++) {
            long c = THREADS.getCurrentThreadCpuTime();
            long s = System.nanoTime();
            onePodUpdate(compiler, u);
            lat[u] = System.nanoTime() - s;
            cpu[u] = THREADS.getCurrentThreadCpuTime() - c;
        }
        Arrays.sort(lat);
        Arrays.sort(cpu);
        System.out.printf("one-pod update (%d updates): p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms; "
                        + "%.1f node deltas per update%n", updates, lat[updates / 2] / 1e6, lat[updates * 9 / 10] / 1e6,
                lat[updates * 99 / 100] / 1e6, lat[updates - 1] / 1e6, (double) deltas[0] / updates);
        System.out.printf("  same, thread CPU time: p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms%n",
                cpu[updates / 2] / 1e6, cpu[updates * 9 / 10] / 1e6, cpu[updates * 99 / 100] / 1e6,
                cpu[updates - 1] / 1e6);
        System.gc();
        System.out.printf("heap used at the end, after GC: %d MiB (max %d MiB)%n",
                mem.getHeapMemoryUsage().getUsed() >> 20, Runtime.getRuntime().maxMemory() >> 20);
        // Keep the compiler reachable until here.
        if (compiler.report(new PolicyKey("ns0", "same-ns")) == null) {
            throw new IllegalStateException("policy missing");
        }
    }

    int extra;

    void onePodUpdate(PolicyCompiler compiler, int u) {
        int i = rnd.nextInt(PODS);
        Pod p = pods.get(i);
        switch (u % 4) {
            case 0, 1 -> {
                Map<String, String> l = new HashMap<>(p.getMetadata().getLabels());
                l.put("app", "app" + rnd.nextInt(APPS));
                p.getMetadata().setLabels(l);
                compiler.upsertPod(p);
            }
            case 2 -> {
                String ip = "198.18." + (100 + rnd.nextInt(100)) + "." + (1 + rnd.nextInt(250));
                p.getStatus().setPodIP(ip);
                p.getStatus().getPodIPs().getFirst().setIp(ip);
                compiler.upsertPod(p);
            }
            default -> {
                int n = extra++;
                Pod q = Fixtures.pod(p.getMetadata().getNamespace(), "extra-" + n, "extra-uid-" + n,
                        "node-" + rnd.nextInt(NODES), "198.18.250." + (n % 250 + 1), p.getMetadata().getLabels());
                compiler.upsertPod(q);
                compiler.deletePod(q);
            }
        }
    }

    static long median(long[] a) {
        long[] c = a.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
