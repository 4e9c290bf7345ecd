package io.ipsecmesh.operator.grpc;

import static io.ipsecmesh.operator.compiler.Fixtures.labels;
import static io.ipsecmesh.operator.compiler.Fixtures.peer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.MetadataUtils;
import io.ipsecmesh.api.grpc.CertificatesGrpc;
import io.ipsecmesh.api.grpc.NodeSnapshot;
import io.ipsecmesh.api.grpc.PoliciesGrpc;
import io.ipsecmesh.api.grpc.SignRequest;
import io.ipsecmesh.api.grpc.SignResponse;
import io.ipsecmesh.api.grpc.SnapshotUpdate;
import io.ipsecmesh.api.grpc.WatchRequest;
import io.ipsecmesh.operator.ca.CertificateAuthority;
import io.ipsecmesh.operator.ca.Revocations;
import io.ipsecmesh.operator.ca.RevokeDeletedNodes;
import io.ipsecmesh.operator.ca.SidecarAuthenticator;
import io.ipsecmesh.operator.compiler.Fixtures;
import io.ipsecmesh.operator.compiler.PolicyCompiler;
import io.ipsecmesh.operator.kube.ClusterFeed;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 4, acceptances 2 and 3, end to end over gRPC with TLS: the CSR flow (accepted for the
 * sidecar on its node; refused, with a reason, for another ServiceAccount, a pod on another
 * node, a CSR asking for other names or addresses, an expired token; renewal; revocation when
 * the node is deleted) and the snapshot stream (full, then only changes; resume after a
 * reconnect without a missed or repeated change).
 *
 * <p>The mock API server stands in for Kubernetes, its TokenReview endpoint answering as the
 * real one does for a few tokens: the sidecar pods' (bound to the pod and node), one of
 * another ServiceAccount, and an expired one.
 */
@EnableKubernetesMockClient(crud = true)
class ControlPlaneGrpcTest {

    static final String NS = "ipsec-mesh";
    static final String SA = "ipsec-mesh-sidecar";

    KubernetesMockServer server;
    KubernetesClient client;
    PolicyCompiler compiler;
    ClusterFeed feed;
    CertificateAuthority ca;
    Revocations revocations;
    ControlPlaneServer grpc;
    ProtectionLedger ledger;
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    final List<ManagedChannel> channels = new ArrayList<>();

    Clock clock() {
        return new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
    }

    @BeforeEach
    void start() throws Exception {
        client.nodes().resource(Fixtures.node("n1", "198.18.0.1")).create();
        client.nodes().resource(Fixtures.node("n2", "198.18.0.2")).create();
        client.namespaces().resource(Fixtures.namespace(NS, Map.of())).create();
        client.namespaces().resource(Fixtures.namespace("shop", Map.of())).create();
        sidecar("sidecar-n1", "n1", SA);
        sidecar("sidecar-n2", "n2", SA);
        sidecar("debug-n1", "n1", "default");
        // The API server's TokenReview, for the tokens of this test (answers prepared here: the reply
        // runs on the mock server's event loop, which must not call the mock server itself).
        Map<String, TokenReview> answers = new java.util.HashMap<>();
        for (String t : List.of("token-n1", "token-n2", "token-debug", "token-expired")) {
            answers.put(t, review(t));
        }
        server.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews").andReply(200, req -> {
            TokenReview in = Serialization.unmarshal(req.getUtf8Body(), TokenReview.class);
            TokenReview a = answers.get(in.getSpec().getToken());
            return a != null ? a : new TokenReviewBuilder().withSpec(in.getSpec()).withNewStatus()
                    .withAuthenticated(false).withError("[invalid bearer token]").endStatus().build();
        }).always();

        compiler = new PolicyCompiler();
        feed = new ClusterFeed(client, compiler, true);
        feed.start(30, TimeUnit.SECONDS);
        ca = CertificateAuthority.create("test CA", Duration.ofDays(365), clock());
        revocations = new Revocations(clock());
        new RevokeDeletedNodes(compiler, revocations);
        SidecarAuthenticator auth = new SidecarAuthenticator(client, NS, SA, "ipsec-mesh");
        ledger = new ProtectionLedger(compiler);
        grpc = new ControlPlaneServer(new InetSocketAddress("127.0.0.1", 0), ca,
                ca.serverCertificate(List.of("localhost", "127.0.0.1"), Duration.ofDays(30)), revocations,
                List.of(new CertificatesService(ca, auth, revocations, Duration.ofHours(24), x -> { }),
                        new PoliciesService(compiler, 64), new ReportsService(ledger, e -> { })));
    }

    @AfterEach
    void stop() throws Exception {
        for (ManagedChannel c : channels) {
            c.shutdownNow();
        }
        grpc.close();
        feed.close();
    }

    void sidecar(String name, String node, String sa) {
        Pod p = Fixtures.pod(NS, name, null, node, node.equals("n1") ? "198.18.0.1" : "198.18.0.2", Map.of());
        p.getSpec().setServiceAccountName(sa);
        p.getSpec().setHostNetwork(true);
        client.pods().inNamespace(NS).resource(p).create();
    }

    TokenReview review(String token) {
        TokenReviewBuilder b = new TokenReviewBuilder().withNewSpec().withToken(token).endSpec();
        String pod = switch (token) {
            case "token-n1" -> "sidecar-n1";
            case "token-n2" -> "sidecar-n2";
            case "token-debug" -> "debug-n1";
            default -> null;
        };
        if (pod == null) {
            String error = token.equals("token-expired") ? "[invalid bearer token, service account token has expired]"
                    : "[invalid bearer token]";
            return b.withNewStatus().withAuthenticated(false).withError(error).endStatus().build();
        }
        Pod p = client.pods().inNamespace(NS).withName(pod).get();
        return b.withNewStatus().withAuthenticated(true).withAudiences("ipsec-mesh").withNewUser()
                .withUsername("system:serviceaccount:" + NS + ":" + p.getSpec().getServiceAccountName())
                .addToExtra("authentication.kubernetes.io/pod-name", List.of(pod))
                .addToExtra("authentication.kubernetes.io/pod-uid", List.of(p.getMetadata().getUid()))
                .addToExtra("authentication.kubernetes.io/node-name", List.of(p.getSpec().getNodeName()))
                .endUser().endStatus().build();
    }

    ManagedChannel channel(KeyPair key, X509Certificate cert) throws Exception {
        SslContextBuilder tls = GrpcSslContexts.forClient().trustManager(ca.certificate());
        if (key != null) {
            tls.keyManager(key.getPrivate(), cert);
        }
        ManagedChannel c = NettyChannelBuilder.forAddress("localhost", grpc.port()).sslContext(tls.build()).build();
        channels.add(c);
        return c;
    }

    static byte[] csr(KeyPair key, String cn, List<GeneralName> sans) throws Exception {
        JcaPKCS10CertificationRequestBuilder b = new JcaPKCS10CertificationRequestBuilder(
                new X500Name(cn == null ? "" : "CN=" + cn), key.getPublic());
        if (!sans.isEmpty()) {
            ExtensionsGenerator ext = new ExtensionsGenerator();
            ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
        }
        return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())).getEncoded();
    }

    SignResponse sign(String token, String node, byte[] csr) throws Exception {
        CertificatesGrpc.CertificatesBlockingStub stub = CertificatesGrpc.newBlockingStub(channel(null, null));
        if (token != null) {
            Metadata md = new Metadata();
            md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
            ClientInterceptor i = MetadataUtils.newAttachHeadersInterceptor(md);
            stub = stub.withInterceptors(i);
        }
        return stub.sign(SignRequest.newBuilder().setNodeName(node).setCsrDer(ByteString.copyFrom(csr)).build());
    }

    static X509Certificate x509(ByteString der) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der.toByteArray()));
    }

    static List<GeneralName> sans(String dns, String... ips) {
        List<GeneralName> out = new ArrayList<>();
        if (dns != null) {
            out.add(new GeneralName(GeneralName.dNSName, dns));
        }
        for (String ip : ips) {
            out.add(new GeneralName(GeneralName.iPAddress, ip));
        }
        return out;
    }

    /** A node certificate for the sidecar of node, through the real flow. */
    record NodeCert(KeyPair key, X509Certificate cert) {
    }

    NodeCert nodeCert(String token, String node, String ip) throws Exception {
        KeyPair key = CertificateAuthority.newKeyPair();
        SignResponse r = sign(token, node, csr(key, node, sans(node, ip)));
        return new NodeCert(key, x509(r.getCertificateChainDer(0)));
    }

    void assertRefused(Status.Code code, String reason, org.junit.jupiter.api.function.Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains(reason), e.getStatus().getDescription());
    }

    @Test
    void theSidecarOnItsNodeGetsACertificateNamingOnlyItsNode() throws Exception {
        KeyPair key = CertificateAuthority.newKeyPair();
        SignResponse r = sign("token-n1", "n1", csr(key, "n1", sans("n1", "198.18.0.1")));
        assertEquals(2, r.getCertificateChainDerCount());
        X509Certificate leaf = x509(r.getCertificateChainDer(0));
        leaf.verify(ca.certificate().getPublicKey());
        assertEquals(ca.certificate(), x509(r.getCertificateChainDer(1)));
        assertEquals(key.getPublic(), leaf.getPublicKey());
        assertEquals("CN=n1", leaf.getSubjectX500Principal().getName());
        Collection<List<?>> names = leaf.getSubjectAlternativeNames();
        assertEquals(List.of(List.of(2, "n1"), List.of(7, "198.18.0.1")), List.copyOf(names));
        assertEquals(Duration.ofHours(24).plusMinutes(5).toSeconds(),
                r.getNotAfterEpochSeconds() - r.getNotBeforeEpochSeconds());
        assertTrue(r.getRenewAfterEpochSeconds() < r.getNotAfterEpochSeconds());
        assertEquals(-1, leaf.getBasicConstraints());

        // A CSR with no SANs and an empty subject gets the same names: they come from the Node.
        X509Certificate bare = x509(sign("token-n1", "n1", csr(key, null, List.of())).getCertificateChainDer(0));
        assertEquals(List.copyOf(names), List.copyOf(bare.getSubjectAlternativeNames()));
    }

    @Test
    void refusalsSayWhy() throws Exception {
        KeyPair key = CertificateAuthority.newKeyPair();
        byte[] good = csr(key, "n1", sans("n1", "198.18.0.1"));
        assertRefused(Status.Code.PERMISSION_DENIED, "belongs to system:serviceaccount:ipsec-mesh:default, not to "
                + "the sidecar's ServiceAccount ipsec-mesh/ipsec-mesh-sidecar", () -> sign("token-debug", "n1", good));
        assertRefused(Status.Code.PERMISSION_DENIED, "the token's pod ipsec-mesh/sidecar-n2 runs on node n2, not on n1",
                () -> sign("token-n2", "n1", good));
        assertRefused(Status.Code.PERMISSION_DENIED, "service account token has expired",
                () -> sign("token-expired", "n1", good));
        assertRefused(Status.Code.PERMISSION_DENIED, "no ServiceAccount token", () -> sign(null, "n1", good));
        assertRefused(Status.Code.INVALID_ARGUMENT, "asks for IP address 198.18.0.2, which is not an address of node n1",
                () -> sign("token-n1", "n1", csr(key, "n1", sans("n1", "198.18.0.1", "198.18.0.2"))));
        assertRefused(Status.Code.INVALID_ARGUMENT, "asks for DNS name n2; only the node name n1 is allowed",
                () -> sign("token-n1", "n1", csr(key, "n1", sans("n2"))));
        assertRefused(Status.Code.INVALID_ARGUMENT, "subject asks for CN=kube-apiserver",
                () -> sign("token-n1", "n1", csr(key, "kube-apiserver", List.of())));
        // A CSR signed by another key than the one it carries.
        KeyPair other = CertificateAuthority.newKeyPair();
        byte[] forged = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=n1"), key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(other.getPrivate())).getEncoded();
        assertRefused(Status.Code.INVALID_ARGUMENT, "signature does not verify", () -> sign("token-n1", "n1", forged));
    }

    @Test
    void renewalGivesANewCertificateBeforeExpiry() throws Exception {
        NodeCert first = nodeCert("token-n1", "n1", "198.18.0.1");
        now.set(now.get().plus(Duration.ofHours(17)));
        SignResponse renewed = sign("token-n1", "n1", csr(CertificateAuthority.newKeyPair(), "n1", sans("n1")));
        X509Certificate second = x509(renewed.getCertificateChainDer(0));
        assertTrue(!second.getSerialNumber().equals(first.cert().getSerialNumber()));
        assertEquals(Duration.ofHours(17), Duration.between(first.cert().getNotAfter().toInstant(),
                second.getNotAfter().toInstant()));
        // The renewed certificate works for the stream.
        now.set(Instant.now());
        NodeCert fresh = nodeCert("token-n1", "n1", "198.18.0.1");
        Iterator<SnapshotUpdate> it = PoliciesGrpc.newBlockingStub(channel(fresh.key(), fresh.cert()))
                .watch(WatchRequest.getDefaultInstance());
        assertTrue(it.next().hasFull());
    }

    @Test
    void aDeletedNodesCertificatesAreRevokedAndEveryNodeIsTold() throws Exception {
        now.set(Instant.now());
        NodeCert n1 = nodeCert("token-n1", "n1", "198.18.0.1");
        NodeCert n2 = nodeCert("token-n2", "n2", "198.18.0.2");
        Stream s1 = watch(n1, WatchRequest.getDefaultInstance());
        Stream s2 = watch(n2, WatchRequest.getDefaultInstance());
        NodeSnapshot view1 = s1.next().getFull();
        assertTrue(s2.next().hasFull());

        client.nodes().withName("n2").delete();
        SnapshotUpdate u = s1.next();
        assertTrue(u.hasDelta(), u.toString());
        assertEquals(List.of(new BigInteger(1, u.getDelta().getAddedRevocations(0).getSerial().toByteArray())),
                List.of(n2.cert().getSerialNumber()));
        view1 = SnapshotProtos.apply(view1, u.getDelta());
        assertEquals(1, view1.getRevokedCount());
        assertEquals(Status.Code.NOT_FOUND, s2.error().getCode(), "n2's stream ends: its node is gone");

        assertRefused(Status.Code.PERMISSION_DENIED, "was revoked (its node was deleted)",
                () -> PoliciesGrpc.newBlockingStub(channel(n2.key(), n2.cert())).watch(WatchRequest.getDefaultInstance())
                        .next());
        // A node created later gets the revocation in its first snapshot.
        client.nodes().resource(Fixtures.node("n3", "198.18.0.3")).create();
        awaitTrue(() -> compiler.nodeNames().contains("n3"));
        assertEquals(1, SnapshotProtos.full(compiler.snapshot("n3")).getFull().getRevokedCount());
    }

    @Test
    void aClientGetsTheSnapshotThenOnlyChangesAndResumesAfterReconnecting() throws Exception {
        now.set(Instant.now());
        NodeCert n1 = nodeCert("token-n1", "n1", "198.18.0.1");
        assertRefused(Status.Code.UNAUTHENTICATED, "Watch needs the node certificate",
                () -> PoliciesGrpc.newBlockingStub(channel(null, null)).watch(WatchRequest.getDefaultInstance()).next());

        Stream s = watch(n1, WatchRequest.getDefaultInstance());
        SnapshotUpdate first = s.next();
        assertTrue(first.hasFull());
        String epoch = first.getEpoch();
        long version = first.getVersion();
        NodeSnapshot view = first.getFull();

        client.resources(io.ipsecmesh.api.v1alpha1.IPsecPolicy.class).inNamespace("shop").resource(Fixtures.policy(
                "shop", "web", labels(Map.of("app", "backend")), peer(null, labels(Map.of("app", "frontend")))))
                .create();
        pod("f1", "n1", "198.18.1.1", "frontend");
        pod("b1", "n2", "198.18.1.2", "backend");
        pod("b2", "n2", "198.18.1.3", "backend");
        // Every update is a delta with the next version, and the deltas rebuild the server's snapshot.
        while (!(view.getRemotePodsCount() == 2 && view.equals(serverView("n1")))) {
            SnapshotUpdate u = s.next();
            assertTrue(u.hasDelta(), "after the first message only deltas: " + u);
            assertEquals(epoch, u.getEpoch());
            assertEquals(version + 1, u.getVersion(), "versions without gap or repeat");
            version = u.getVersion();
            view = SnapshotProtos.apply(view, u.getDelta());
        }
        assertEquals(2, view.getRemotePodsCount());
        assertEquals(1, view.getGroupsCount());

        // Disconnect; changes happen meanwhile; resume from the version we have.
        s.cancel();
        pod("f2", "n1", "198.18.1.4", "frontend");
        client.pods().inNamespace("shop").withName("b2").delete();
        awaitTrue(() -> serverView("n1").getLocalPodsCount() == 2 && serverView("n1").getRemotePodsCount() == 1);
        long serverVersion = compiler.version("n1");
        Stream r = watch(n1, WatchRequest.newBuilder().setResumeEpoch(epoch).setResumeVersion(version).build());
        while (version < serverVersion) {
            SnapshotUpdate u = r.next();
            assertTrue(u.hasDelta(), "a resumed stream sends deltas, not a full snapshot: " + u);
            assertEquals(version + 1, u.getVersion(), "no missed or repeated change");
            version = u.getVersion();
            view = SnapshotProtos.apply(view, u.getDelta());
        }
        assertEquals(serverView("n1"), view);
        assertEquals(2, view.getLocalPodsCount());
        assertEquals(1, view.getRemotePodsCount());

        // Resuming from another epoch (an operator restart) gives a full snapshot.
        r.cancel();
        Stream f = watch(n1, WatchRequest.newBuilder().setResumeEpoch("another").setResumeVersion(version).build());
        SnapshotUpdate full = f.next();
        assertTrue(full.hasFull());
        assertEquals(view, full.getFull());
    }

    @Test
    void nodesReportProtectedPairsAndCannotVouchForOthers() throws Exception {
        now.set(Instant.now());
        client.nodes().resource(Fixtures.node("n3", "198.18.0.3")).create();
        client.resources(io.ipsecmesh.api.v1alpha1.IPsecPolicy.class).inNamespace("shop").resource(Fixtures.policy(
                "shop", "web", labels(Map.of("app", "backend")), peer(null, labels(Map.of("app", "frontend")))))
                .create();
        pod("f1", "n1", "198.18.1.1", "frontend");
        pod("b1", "n2", "198.18.1.2", "backend");
        pod("f3", "n3", "198.18.1.3", "frontend");
        io.ipsecmesh.operator.compiler.PolicyKey web = new io.ipsecmesh.operator.compiler.PolicyKey("shop", "web");
        awaitTrue(() -> compiler.report(web) != null && compiler.report(web).pairsRequired() == 2);
        NodeCert n1 = nodeCert("token-n1", "n1", "198.18.0.1");
        BlockingQueue<Object> acks = new LinkedBlockingQueue<>();
        io.grpc.stub.StreamObserver<io.ipsecmesh.api.grpc.NodeReport> reports = io.ipsecmesh.api.grpc.ReportsGrpc
                .newStub(channel(n1.key(), n1.cert())).report(new io.grpc.stub.StreamObserver<>() {
                    @Override
                    public void onNext(io.ipsecmesh.api.grpc.ReportAck value) {
                        acks.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        acks.add(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        io.ipsecmesh.api.grpc.GroupKey peerGroup = io.ipsecmesh.api.grpc.GroupKey.newBuilder()
                .setPolicyNamespace("shop").setPolicyName("web").setRole(io.ipsecmesh.api.grpc.GroupRole.PEER).build();
        io.ipsecmesh.api.grpc.GroupKey selectedGroup = peerGroup.toBuilder()
                .setRole(io.ipsecmesh.api.grpc.GroupRole.SELECTED).build();
        // n1 established its SA with n2 (f1 <-> b1), and claims b1 <-> f3 (n2 <-> n3), which is not its to claim,
        // and a pod that does not exist.
        reports.onNext(io.ipsecmesh.api.grpc.NodeReport.newBuilder()
                .addEvents(io.ipsecmesh.api.grpc.SaEvent.newBuilder().setKind(io.ipsecmesh.api.grpc.SaEvent.Kind.ESTABLISHED)
                        .setSpiIn(0xc0010001).setPeerNode("n2").setGroup(peerGroup).setProposal("aes256gcm16")
                        .addLocalPods(uid("f1")).addRemotePods(uid("b1")).addRemotePods("no-such-pod"))
                .addEvents(io.ipsecmesh.api.grpc.SaEvent.newBuilder().setKind(io.ipsecmesh.api.grpc.SaEvent.Kind.ESTABLISHED)
                        .setSpiIn(0xc0010002).setPeerNode("n3").setGroup(selectedGroup)
                        .addLocalPods(uid("b1")).addRemotePods(uid("f3")))
                .build());
        awaitTrue(() -> ledger.protectedPairs(web) == 1);
        Thread.sleep(200);
        assertEquals(1, ledger.protectedPairs(web), "only the pair n1 hosts counts");
        // The SA is deleted: the pair is no longer protected.
        reports.onNext(io.ipsecmesh.api.grpc.NodeReport.newBuilder()
                .addEvents(io.ipsecmesh.api.grpc.SaEvent.newBuilder().setKind(io.ipsecmesh.api.grpc.SaEvent.Kind.DELETED)
                        .setSpiIn(0xc0010001).setGroup(peerGroup).setReason("rekeyed away"))
                .build());
        awaitTrue(() -> ledger.protectedPairs(web) == 0);
        reports.onCompleted();
        Object ack = acks.poll(10, TimeUnit.SECONDS);
        assertEquals(2, ((io.ipsecmesh.api.grpc.ReportAck) ack).getReports());
    }

    String uid(String pod) {
        return client.pods().inNamespace("shop").withName(pod).get().getMetadata().getUid();
    }

    NodeSnapshot serverView(String node) {
        return SnapshotProtos.full(compiler.snapshot(node)).getFull();
    }

    void pod(String name, String node, String ip, String app) {
        client.pods().inNamespace("shop").resource(Fixtures.pod("shop", name, null, node, ip, Map.of("app", app)))
                .create();
    }

    static void awaitTrue(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out");
            }
            Thread.sleep(10);
        }
    }

    /** An asynchronous Watch call whose messages are read with a timeout. */
    final class Stream {
        final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        final io.grpc.ClientCall<WatchRequest, SnapshotUpdate> call;

        Stream(ManagedChannel channel, WatchRequest request) {
            call = channel.newCall(PoliciesGrpc.getWatchMethod(), io.grpc.CallOptions.DEFAULT);
            call.start(new io.grpc.ClientCall.Listener<>() {
                @Override
                public void onMessage(SnapshotUpdate message) {
                    queue.add(message);
                    call.request(1);
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    queue.add(status);
                }
            }, new Metadata());
            call.request(1);
            call.sendMessage(request);
            call.halfClose();
        }

        SnapshotUpdate next() throws InterruptedException {
            Object o = queue.poll(10, TimeUnit.SECONDS);
            if (o instanceof SnapshotUpdate u) {
                return u;
            }
            throw new AssertionError("expected an update, got " + o);
        }

        Status error() throws InterruptedException {
            Object o = queue.poll(10, TimeUnit.SECONDS);
            if (o instanceof Status st) {
                return st;
            }
            throw new AssertionError("expected the end of the stream, got " + o);
        }

        void cancel() {
            call.cancel("test disconnects", null);
        }
    }

    Stream watch(NodeCert cert, WatchRequest request) throws Exception {
        return new Stream(channel(cert.key(), cert.cert()), request);
    }
}
