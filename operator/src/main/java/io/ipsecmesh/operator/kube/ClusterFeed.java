package io.ipsecmesh.operator.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import io.ipsecmesh.operator.compiler.PolicyCompiler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Feeds a {@link PolicyCompiler} from Fabric8 informers on Nodes, Namespaces, Pods and
 * (optionally) IPsecPolicies, through the Kubernetes API only, so it runs the same against
 * a real cluster and the Fabric8 mock server. The initial lists are loaded in one go
 * ({@link PolicyCompiler#load}); after that every event is one incremental update.
 */
public final class ClusterFeed implements AutoCloseable {

    private final KubernetesClient client;
    private final PolicyCompiler compiler;
    private final boolean policies;
    private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
    private final Object lock = new Object();
    private volatile boolean loaded;
    private volatile Observer observer = (kind, nanos) -> { };

    /** Told how long each update took, by kind: full, node, namespace, pod, policy. */
    public interface Observer {
        void applied(String kind, long nanos);
    }

    /**
     * @param policies whether this feed also watches IPsecPolicies (the operator lets its
     *                 reconciler feed them instead, so that it can write their status)
     */
    public ClusterFeed(KubernetesClient client, PolicyCompiler compiler, boolean policies) {
        this.client = client;
        this.compiler = compiler;
        this.policies = policies;
    }

    public void setObserver(Observer observer) {
        this.observer = observer;
    }

    /** Whether the initial lists are loaded (then every later event is applied). */
    public boolean loaded() {
        return loaded;
    }

    /** Starts the informers, waits for their initial lists and loads them. */
    public void start(long timeout, TimeUnit unit) throws InterruptedException {
        SharedIndexInformer<Node> nodes = client.nodes().runnableInformer(0);
        SharedIndexInformer<Namespace> namespaces = client.namespaces().runnableInformer(0);
        SharedIndexInformer<Pod> pods = client.pods().inAnyNamespace().runnableInformer(0);
        nodes.addEventHandler(handler("node", compiler::upsertNode, compiler::deleteNode));
        namespaces.addEventHandler(handler("namespace", compiler::upsertNamespace, compiler::deleteNamespace));
        pods.addEventHandler(handler("pod", compiler::upsertPod, compiler::deletePod));
        informers.add(nodes);
        informers.add(namespaces);
        informers.add(pods);
        SharedIndexInformer<IPsecPolicy> policyInformer = null;
        if (policies) {
            policyInformer = client.resources(IPsecPolicy.class).inAnyNamespace().runnableInformer(0);
            policyInformer.addEventHandler(handler("policy", compiler::upsertPolicy,
                    p -> compiler.deletePolicy(PolicyCompiler.keyOf(p))));
            informers.add(policyInformer);
        }
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        List<java.util.concurrent.CompletableFuture<Void>> synced = new ArrayList<>();
        for (SharedIndexInformer<?> i : informers) {
            synced.add(i.start().toCompletableFuture());
        }
        for (int k = 0; k < informers.size(); k++) {
            SharedIndexInformer<?> i = informers.get(k);
            long left = deadline - System.nanoTime();
            try {
                synced.get(k).get(Math.max(left, 1), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("informer for " + i.getApiTypeClass().getSimpleName()
                        + " did not sync: " + e.getMessage(), e);
            }
        }
        // Events whose store update came before these lists are in them (their handlers, run
        // later, change nothing); later events wait for the lock and apply on top.
        synchronized (lock) {
            long t0 = System.nanoTime();
            compiler.load(nodes.getStore().list(), namespaces.getStore().list(), pods.getStore().list(),
                    policyInformer == null ? List.of() : policyInformer.getStore().list());
            loaded = true;
            observer.applied("full", System.nanoTime() - t0);
        }
    }

    private <T extends HasMetadata> ResourceEventHandler<T> handler(String kind, Consumer<T> upsert,
                                                                    Consumer<T> delete) {
        BiConsumer<Consumer<T>, T> apply = (c, obj) -> {
            synchronized (lock) {
                if (loaded) {
                    long t0 = System.nanoTime();
                    c.accept(obj);
                    observer.applied(kind, System.nanoTime() - t0);
                }
            }
        };
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                apply.accept(upsert, obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                apply.accept(upsert, newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                apply.accept(delete, obj);
            }
        };
    }

    @Override
    public void close() {
        for (SharedIndexInformer<?> i : informers) {
            i.close();
        }
        informers.clear();
    }
}
