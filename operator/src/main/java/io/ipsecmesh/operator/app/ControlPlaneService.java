package io.ipsecmesh.operator.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.BindableService;
import io.ipsecmesh.operator.ca.CaStore;
import io.ipsecmesh.operator.ca.CertificateAuthority;
import io.ipsecmesh.operator.ca.Revocations;
import io.ipsecmesh.operator.ca.RevokeDeletedNodes;
import io.ipsecmesh.operator.ca.SidecarAuthenticator;
import io.ipsecmesh.operator.grpc.CertificatesService;
import io.ipsecmesh.operator.grpc.ControlPlaneServer;
import io.ipsecmesh.operator.grpc.PoliciesService;
import io.ipsecmesh.operator.grpc.ReportsService;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The CA (from its Secret, created on first start unless the user names one) and the gRPC
 * control-plane server on TLS with it: Certificates.Sign and Policies.Watch.
 */
@ApplicationScoped
public class ControlPlaneService {

    private static final Logger LOG = Logger.getLogger(ControlPlaneService.class);

    @ConfigProperty(name = "ipsm.namespace", defaultValue = "ipsec-mesh")
    String namespace;
    @ConfigProperty(name = "ipsm.ca.secret", defaultValue = CaStore.DEFAULT_SECRET)
    String caSecret;
    @ConfigProperty(name = "ipsm.ca.create", defaultValue = "true")
    boolean caCreate;
    @ConfigProperty(name = "ipsm.ca.validity", defaultValue = "3650d")
    Duration caValidity;
    @ConfigProperty(name = "ipsm.certificates.lifetime", defaultValue = "24h")
    Duration certificateLifetime;
    @ConfigProperty(name = "ipsm.sidecar.service-account", defaultValue = "ipsec-mesh-sidecar")
    String sidecarServiceAccount;
    @ConfigProperty(name = "ipsm.sidecar.token-audience", defaultValue = "ipsec-mesh")
    String audience;
    @ConfigProperty(name = "ipsm.grpc.port", defaultValue = "9443")
    int port;
    @ConfigProperty(name = "ipsm.grpc.dns-names", defaultValue = "ipsec-mesh-operator.ipsec-mesh.svc,localhost")
    List<String> dnsNames;
    @ConfigProperty(name = "ipsm.grpc.resume-log", defaultValue = "1024")
    int resumeLog;

    private final KubernetesClient client;
    private final CompilerService compilerService;
    private final MeterRegistry registry;
    private volatile CertificateAuthority ca;
    private volatile ControlPlaneServer server;

    public ControlPlaneService(KubernetesClient client, CompilerService compilerService, MeterRegistry registry) {
        this.client = client;
        this.compilerService = compilerService;
        this.registry = registry;
    }

    void start(@Observes @Priority(100) StartupEvent e) throws IOException {
        Clock clock = Clock.systemUTC();
        ca = new CaStore(client, namespace).loadOrCreate(caSecret, caCreate, caValidity, clock);
        LOG.infof("CA %s (serial %s) from Secret %s/%s, valid until %s", ca.certificate().getSubjectX500Principal(),
                ca.certificate().getSerialNumber().toString(16), namespace, caSecret, ca.certificate().getNotAfter());
        Revocations revocations = new Revocations(clock);
        new RevokeDeletedNodes(compilerService.compiler(), revocations);
        Gauge.builder("ipsec.operator.ca.expiry.timestamp", ca, c -> c.certificate().getNotAfter().getTime() / 1000.0)
                .baseUnit("seconds").description("When the CA certificate expires").register(registry);
        SidecarAuthenticator auth = new SidecarAuthenticator(client, namespace, sidecarServiceAccount, audience);
        List<BindableService> services = List.of(
                new CertificatesService(ca, auth, revocations, certificateLifetime,
                        outcome -> registry.counter("ipsec.operator.certificates", "outcome", outcome).increment()),
                new PoliciesService(compilerService.compiler(), resumeLog),
                new ReportsService(compilerService.ledger(), event -> registry.counter("ipsec.operator.sa.events",
                        "kind", event.getKind().name().toLowerCase(java.util.Locale.ROOT)).increment()));
        server = new ControlPlaneServer(new InetSocketAddress(port), ca,
                ca.serverCertificate(dnsNames, Duration.ofDays(30)), revocations, services);
        LOG.infof("control-plane gRPC server (TLS) on port %d", server.port());
    }

    void stop(@Observes ShutdownEvent e) throws InterruptedException {
        if (server != null) {
            server.close();
        }
    }

    public CertificateAuthority ca() {
        return ca;
    }

    public int port() {
        return server == null ? -1 : server.port();
    }
}
