package io.ipsecmesh.operator.app;

import static io.ipsecmesh.operator.compiler.Fixtures.labels;
import static io.ipsecmesh.operator.compiler.Fixtures.peer;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import io.ipsecmesh.api.v1alpha1.IPsecPolicyStatus;
import io.ipsecmesh.api.v1alpha1.IPsecProposals;
import io.ipsecmesh.operator.compiler.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The whole operator (Quarkus, Operator SDK, informers, compiler, metrics, health) against the
 * Fabric8 mock API server in CRUD mode.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class OperatorTest {

    @Inject
    KubernetesClient client;

    @Inject
    ControlPlaneService controlPlane;

    @io.quarkus.test.kubernetes.client.KubernetesTestServer
    io.quarkus.test.kubernetes.client.KubernetesServer mockServer;

    static <T> T await(String what, Supplier<T> value, java.util.function.Predicate<T> ok) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        T v = value.get();
        while (!ok.test(v)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; last: " + v);
            }
            Thread.sleep(50);
            v = value.get();
        }
        return v;
    }

    IPsecPolicyStatus status(String ns, String name) {
        IPsecPolicy p = client.resources(IPsecPolicy.class).inNamespace(ns).withName(name).get();
        return p == null ? null : p.getStatus();
    }

    static String ready(IPsecPolicyStatus s) {
        Condition c = s == null ? null : s.condition(IPsecPolicyStatus.READY);
        return c == null ? null : c.getStatus();
    }

    @Test
    void policiesGetStatusWhileMetricsAndHealthReport() throws Exception {
        client.nodes().resource(Fixtures.node("n1", "198.18.0.1")).create();
        client.nodes().resource(Fixtures.node("n2", "198.18.0.2")).create();
        client.namespaces().resource(Fixtures.namespace("shop", Map.of("team", "web"))).create();
        client.pods().inNamespace("shop").resource(Fixtures.pod("shop", "f1", null, "n1", "198.18.1.1",
                Map.of("app", "frontend"))).create();
        client.pods().inNamespace("shop").resource(Fixtures.pod("shop", "b1", null, "n2", "198.18.1.2",
                Map.of("app", "backend"))).create();
        client.pods().inNamespace("shop").resource(Fixtures.pod("shop", "b2", null, "n2", "198.18.1.3",
                Map.of("app", "backend"))).create();

        IPsecPolicy good = Fixtures.policy("shop", "web", labels(Map.of("app", "backend")),
                peer(null, labels(Map.of("app", "frontend"))));
        good.getSpec().setComplianceProfile("CNSA-2.0");
        client.resources(IPsecPolicy.class).inNamespace("shop").resource(good).create();
        IPsecPolicy bad = Fixtures.policy("shop", "bad", labels(Map.of("app", "backend")),
                peer(null, labels(Map.of("app", "frontend"))));
        bad.getSpec().setEnforcement("Enforce");
        bad.getSpec().setProposals(new IPsecProposals(null, List.of("aes256gcm16-modp1024"), null));
        client.resources(IPsecPolicy.class).inNamespace("shop").resource(bad).create();

        IPsecPolicyStatus s = await("web Ready=True", () -> status("shop", "web"), x -> "True".equals(ready(x)));
        Condition r = s.condition(IPsecPolicyStatus.READY);
        assertEquals("Compiled", r.getReason());
        long generation = client.resources(IPsecPolicy.class).inNamespace("shop").withName("web").get()
                .getMetadata().getGeneration();
        assertEquals(generation, r.getObservedGeneration());
        assertEquals(generation, s.getObservedGeneration());
        assertEquals(2, s.getPods());
        assertEquals(1, s.getPeerPods());
        assertEquals(2L, s.getPairsRequired());
        assertEquals(0L, s.getPairsProtected());
        assertEquals("True", s.condition(IPsecPolicyStatus.COMPLIANT).getStatus(),
                s.condition(IPsecPolicyStatus.COMPLIANT).getMessage());

        IPsecPolicyStatus b = await("bad Ready=False", () -> status("shop", "bad"), x -> "False".equals(ready(x)));
        Condition br = b.condition(IPsecPolicyStatus.READY);
        assertEquals("InvalidSpec", br.getReason());
        assertTrue(br.getMessage().contains("spec.enforcement 'Enforce' is not one of [Audit, Require]"), br.getMessage());
        assertTrue(br.getMessage().contains("spec.proposals.esp[0] 'aes256gcm16-modp1024'"), br.getMessage());
        assertEquals(0L, b.getPairsRequired());

        // A third backend on n2: the count follows.
        client.pods().inNamespace("shop").resource(Fixtures.pod("shop", "b3", null, "n2", "198.18.1.4",
                Map.of("app", "backend"))).create();
        await("web counts 3 pods", () -> status("shop", "web"), x -> x.getPods() == 3 && x.getPairsRequired() == 3);

        given().when().get("/q/health/ready").then().statusCode(200);
        String health = given().when().get("/q/health/ready").asString();
        assertTrue(health.contains("policy-compiler"), health);

        // The CA was created into its Secret and published in the bundle ConfigMap; the gRPC server runs.
        io.fabric8.kubernetes.api.model.Secret secret = client.secrets().inNamespace("ipsec-mesh")
                .withName("ipsec-mesh-ca").get();
        assertEquals("kubernetes.io/tls", secret.getType());
        String caPem = new String(java.util.Base64.getDecoder().decode(secret.getData().get("tls.crt")),
                java.nio.charset.StandardCharsets.US_ASCII);
        assertEquals(controlPlane.ca().certificatePem(), caPem);
        assertEquals(caPem, client.configMaps().inNamespace("ipsec-mesh").withName("ipsec-mesh-ca-bundle").get()
                .getData().get("ca.crt"));
        assertTrue(controlPlane.port() > 0);

        String metrics = given().when().get("/q/metrics").asString();
        // The other test of this class shares the app and the API server: gauges are at least ours.
        for (String m : List.of("ipsec_operator_compile_seconds_count{kind=\"full\"} 1.0",
                "ipsec_operator_compile_seconds_count{kind=\"pod\"}", "ipsec_operator_snapshot_deltas_total",
                "ipsec_operator_ca_expiry_timestamp_seconds")) {
            assertTrue(metrics.contains(m), m + " missing in:\n" + metrics.lines()
                    .filter(l -> l.startsWith("ipsec_")).toList());
        }
        assertTrue(gauge(metrics, "ipsec_operator_policies{state=\"invalid\"}") >= 1);
        assertTrue(gauge(metrics, "ipsec_operator_policies{state=\"valid\"}") >= 1);
        assertTrue(gauge(metrics, "ipsec_operator_nodes") >= 2);
    }

    static double gauge(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ")).map(l -> Double.parseDouble(l.substring(
                name.length() + 1))).findFirst().orElseThrow(() -> new AssertionError(name + " missing"));
    }

    /**
     * The deployed wiring end to end: a sidecar proves itself with its token, gets a node
     * certificate from the CA the operator created, and streams its node's snapshot over TLS.
     */
    @Test
    void aSidecarGetsItsCertificateAndItsSnapshotOverGrpc() throws Exception {
        client.nodes().resource(Fixtures.node("g1", "198.18.0.11")).create();
        client.nodes().resource(Fixtures.node("g2", "198.18.0.12")).create();
        io.fabric8.kubernetes.api.model.Pod sidecar = Fixtures.pod("ipsec-mesh", "sidecar-g1", null, "g1", "198.18.0.11",
                Map.of("app", "ipsec-mesh-sidecar"));
        sidecar.getSpec().setServiceAccountName("ipsec-mesh-sidecar");
        sidecar.getSpec().setHostNetwork(true);
        sidecar = client.pods().inNamespace("ipsec-mesh").resource(sidecar).create();
        io.fabric8.kubernetes.api.model.authentication.TokenReview answer =
                new io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder().withNewStatus()
                        .withAuthenticated(true).withAudiences("ipsec-mesh").withNewUser()
                        .withUsername("system:serviceaccount:ipsec-mesh:ipsec-mesh-sidecar")
                        .addToExtra("authentication.kubernetes.io/pod-name", List.of("sidecar-g1"))
                        .addToExtra("authentication.kubernetes.io/pod-uid", List.of(sidecar.getMetadata().getUid()))
                        .endUser().endStatus().build();
        mockServer.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews").andReply(200, req ->
                req.getUtf8Body().contains("\"token-g1\"") ? answer
                        : new io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder().withNewStatus()
                        .withAuthenticated(false).withError("[invalid bearer token]").endStatus().build()).always();
        client.pods().inNamespace("grpc-app").resource(Fixtures.pod("grpc-app", "api-1", null, "g1", "198.18.2.1",
                Map.of("app", "api"))).create();
        client.pods().inNamespace("grpc-app").resource(Fixtures.pod("grpc-app", "web-1", null, "g2", "198.18.2.2",
                Map.of("app", "web"))).create();
        client.resources(IPsecPolicy.class).inNamespace("grpc-app").resource(Fixtures.policy("grpc-app", "api",
                labels(Map.of("app", "api")), peer(null, labels(Map.of("app", "web"))))).create();

        // Trust what the operator published.
        String bundle = client.configMaps().inNamespace("ipsec-mesh").withName("ipsec-mesh-ca-bundle").get()
                .getData().get("ca.crt");
        java.security.cert.X509Certificate caCert = (java.security.cert.X509Certificate) java.security.cert
                .CertificateFactory.getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(
                        bundle.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        java.security.KeyPair key = io.ipsecmesh.operator.ca.CertificateAuthority.newKeyPair();
        byte[] csr = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
                new org.bouncycastle.asn1.x500.X500Name("CN=g1"), key.getPublic())
                .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                        .build(key.getPrivate())).getEncoded();
        io.grpc.ManagedChannel plain = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
                .forAddress("localhost", controlPlane.port())
                .sslContext(io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient().trustManager(caCert).build())
                .build();
        io.grpc.ManagedChannel mtls = null;
        try {
            io.grpc.Metadata md = new io.grpc.Metadata();
            md.put(io.grpc.Metadata.Key.of("authorization", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "Bearer token-g1");
            io.ipsecmesh.api.grpc.SignResponse signed = io.ipsecmesh.api.grpc.CertificatesGrpc.newBlockingStub(plain)
                    .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(md))
                    .sign(io.ipsecmesh.api.grpc.SignRequest.newBuilder().setNodeName("g1")
                            .setCsrDer(com.google.protobuf.ByteString.copyFrom(csr)).build());
            java.security.cert.X509Certificate cert = (java.security.cert.X509Certificate) java.security.cert
                    .CertificateFactory.getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(
                            signed.getCertificateChainDer(0).toByteArray()));
            cert.verify(caCert.getPublicKey());
            assertEquals(24 * 3600 + 300, signed.getNotAfterEpochSeconds() - signed.getNotBeforeEpochSeconds());

            mtls = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress("localhost", controlPlane.port())
                    .sslContext(io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient().trustManager(caCert)
                            .keyManager(key.getPrivate(), cert).build()).build();
            String apiUid = client.pods().inNamespace("grpc-app").withName("api-1").get().getMetadata().getUid();
            String webUid = client.pods().inNamespace("grpc-app").withName("web-1").get().getMetadata().getUid();
            io.ipsecmesh.api.grpc.NodeSnapshot snapshot = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                java.util.Iterator<io.ipsecmesh.api.grpc.SnapshotUpdate> it = io.ipsecmesh.api.grpc.PoliciesGrpc
                        .newBlockingStub(mtls).withDeadlineAfter(10, TimeUnit.SECONDS)
                        .watch(io.ipsecmesh.api.grpc.WatchRequest.getDefaultInstance());
                io.ipsecmesh.api.grpc.SnapshotUpdate first = it.next();
                assertTrue(first.hasFull(), first.toString());
                snapshot = first.getFull();
                if (snapshot.getGroupsCount() == 1 && snapshot.getRemotePodsCount() == 1) {
                    break;
                }
                Thread.sleep(100);
            }
            assertEquals("g1", snapshot.getNodeName());
            io.ipsecmesh.api.grpc.PairGroup g = snapshot.getGroups(0);
            assertEquals("grpc-app", g.getKey().getPolicyNamespace());
            assertEquals(io.ipsecmesh.api.grpc.GroupRole.SELECTED, g.getKey().getRole());
            assertEquals(List.of(apiUid), g.getLocalPodsList());
            assertEquals(List.of(webUid), g.getRemotePodsList());
            assertEquals(List.of("aes256gcm16-prfsha384-ecp384"), g.getProtection().getIkeProposalsList());
            assertEquals(List.of("198.18.0.12"), snapshot.getPeerNodes(0).getAddressesList());

            // The node reports its SA for the pair: the policy's status counts it as protected.
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            io.grpc.stub.StreamObserver<io.ipsecmesh.api.grpc.NodeReport> reports = io.ipsecmesh.api.grpc.ReportsGrpc
                    .newStub(mtls).report(new io.grpc.stub.StreamObserver<>() {
                        @Override
                        public void onNext(io.ipsecmesh.api.grpc.ReportAck value) {
                        }

                        @Override
                        public void onError(Throwable t) {
                            done.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            done.countDown();
                        }
                    });
            reports.onNext(io.ipsecmesh.api.grpc.NodeReport.newBuilder().addEvents(io.ipsecmesh.api.grpc.SaEvent
                    .newBuilder().setKind(io.ipsecmesh.api.grpc.SaEvent.Kind.ESTABLISHED).setSpiIn(0xc0020001)
                    .setPeerNode("g2").setGroup(g.getKey()).setProposal("aes256gcm16")
                    .addLocalPods(apiUid).addRemotePods(webUid)).build());
            IPsecPolicyStatus st = await("api pairsProtected=1", () -> status("grpc-app", "api"),
                    x -> x != null && Long.valueOf(1).equals(x.getPairsProtected()));
            assertEquals(1L, st.getPairsRequired());
            reports.onCompleted();
            assertTrue(done.await(10, TimeUnit.SECONDS));
            // The node's report stream ended: nothing vouches for the pair any more.
            await("api pairsProtected=0", () -> status("grpc-app", "api"),
                    x -> Long.valueOf(0).equals(x.getPairsProtected()));
        } finally {
            plain.shutdownNow();
            if (mtls != null) {
                mtls.shutdownNow();
            }
        }
    }
}
