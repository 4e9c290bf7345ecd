package io.ipsecmesh.operator.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.ipsecmesh.operator.compiler.PolicyCompiler;
import io.ipsecmesh.operator.grpc.ProtectionLedger;
import io.ipsecmesh.operator.kube.ClusterFeed;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The policy compiler of this operator, fed by informers on Nodes, Namespaces, Pods and
 * IPsecPolicies (started at startup, in the background: readiness reports when the initial
 * lists are loaded), with its metrics.
 */
@ApplicationScoped
public class CompilerService {

    private static final Logger LOG = Logger.getLogger(CompilerService.class);

    private final PolicyCompiler compiler = new PolicyCompiler();
    private final ProtectionLedger ledger = new ProtectionLedger(compiler);
    private final KubernetesClient client;
    private final MeterRegistry registry;
    private final long syncTimeoutSeconds;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private volatile ClusterFeed feed;
    private volatile String failure;

    public CompilerService(KubernetesClient client, MeterRegistry registry,
                           @ConfigProperty(name = "ipsm.informers.sync-timeout-seconds", defaultValue = "120")
                           long syncTimeoutSeconds) {
        this.client = client;
        this.registry = registry;
        this.syncTimeoutSeconds = syncTimeoutSeconds;
    }

    void start(@Observes StartupEvent e) {
        DistributionSummary deltaEntries = DistributionSummary.builder("ipsec.operator.snapshot.delta.entries")
                .description("Entries changed by one node snapshot delta").register(registry);
        var deltas = registry.counter("ipsec.operator.snapshot.deltas");
        compiler.addListener(PolicyCompiler.listener(d -> {
            deltas.increment();
            deltaEntries.record(d.changes().size());
        }));
        Gauge.builder("ipsec.operator.nodes", compiler, c -> c.nodeNames().size())
                .description("Nodes with a policy snapshot").register(registry);
        Gauge.builder("ipsec.operator.policies", compiler, PolicyCompiler::validPolicies)
                .tag("state", "valid").description("IPsecPolicies by validity").register(registry);
        Gauge.builder("ipsec.operator.policies", compiler, PolicyCompiler::invalidPolicies)
                .tag("state", "invalid").description("IPsecPolicies by validity").register(registry);
        ClusterFeed f = new ClusterFeed(client, compiler, true);
        f.setObserver((kind, nanos) -> timers.computeIfAbsent(kind, k -> Timer.builder("ipsec.operator.compile")
                .description("Time to compile one change (kind=full: the initial lists)")
                .tag("kind", k).register(registry)).record(nanos, TimeUnit.NANOSECONDS));
        feed = f;
        Thread.ofVirtual().name("ipsm-cluster-feed").start(() -> {
            try {
                f.start(syncTimeoutSeconds, TimeUnit.SECONDS);
                LOG.infof("policy compiler loaded: %d nodes, %d valid and %d invalid policies",
                        compiler.nodeNames().size(), compiler.validPolicies(), compiler.invalidPolicies());
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException ex) {
                failure = ex.getMessage();
                LOG.errorf("informers did not start: %s", ex.getMessage());
            }
        });
    }

    void stop(@Observes ShutdownEvent e) {
        ClusterFeed f = feed;
        if (f != null) {
            f.close();
        }
    }

    public PolicyCompiler compiler() {
        return compiler;
    }

    /** The pairs nodes report as protected. */
    public ProtectionLedger ledger() {
        return ledger;
    }

    /** Whether the informers' initial lists are compiled. */
    public boolean loaded() {
        ClusterFeed f = feed;
        return f != null && f.loaded();
    }

    /** Why the informers failed to start, or null. */
    public String failure() {
        return failure;
    }
}
