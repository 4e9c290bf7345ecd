package io.ipsecmesh.ike.engine;

import io.ipsecmesh.dataplane.TestPackets;
import io.ipsecmesh.ike.ChildProposal;
import io.ipsecmesh.ike.ExchangeType;
import io.ipsecmesh.ike.IkeHeader;
import io.ipsecmesh.ike.IkePayload;
import io.ipsecmesh.ike.IkeProposal;
import io.ipsecmesh.ike.NotifyType;
import io.ipsecmesh.ike.UnknownPayload;
import io.ipsecmesh.ike.cert.TestPki;
import io.ipsecmesh.sa.Mode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.ipsecmesh.ike.engine.EnginePair.await;
import static io.ipsecmesh.ike.engine.EnginePair.children;
import static io.ipsecmesh.ike.engine.EnginePair.count;
import static io.ipsecmesh.ike.engine.EnginePair.established;
import static io.ipsecmesh.ike.engine.EnginePair.roundTrip;
import static io.ipsecmesh.ike.engine.IkeEngineTest.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Certificate authentication end to end (RFC 7296 §2.15, RFC 7427) and the hostile cases of
 * issue 3's acceptance list that need an established SA or a PKI: a certificate from another
 * CA, an ID the certificate does not name, an unknown critical payload, an out-of-window
 * message ID.
 */
class IkeEngineCertTest {

    @TempDir
    Path dir;

    private final TestPki.Issued ca = TestPki.root("CN=ipsm test CA", TestPki.p256());
    private final TestPki.Issued otherCa = TestPki.root("CN=some other CA", TestPki.p256());

    /** Writes key, certificate and CA files for a node; returns {key, cert, ca}. */
    private Path[] files(String name, TestPki.Issued node, TestPki.Issued trusted) throws Exception {
        TestPki.Files f = TestPki.write(dir, name, node, trusted);
        return new Path[] {f.key(), f.cert(), f.ca()};
    }

    private IkeConfig.Conn conn(String name, String local, String remote, String localId, String remoteId, boolean start,
                                Path[] f) {
        IkeConfig.Child child = new IkeConfig.Child("net", Mode.TUNNEL,
                IkeConfigFile.selectors(start ? "198.18.1.0/24" : "198.18.2.0/24"),
                IkeConfigFile.selectors(start ? "198.18.2.0/24" : "198.18.1.0/24"),
                List.of(ChildProposal.parse("aes256gcm16")), Duration.ZERO, Duration.ZERO, 0, 0, 128);
        return new IkeConfig.Conn(name, ip(local), ip(remote), localId, remoteId, IkeConfig.AuthMethod.CERT, null,
                f[1], f[0], List.of(f[2]), List.of(), List.of(IkeProposal.parse("aes256gcm16-prfsha384-ecp384")), start,
                Duration.ZERO, Duration.ZERO, IkeEngineTest.FAST, false, List.of(child));
    }

    private EnginePair pair(TestPki.Issued nodeA, String idA, TestPki.Issued trustedByB) throws Exception {
        TestPki.Issued nodeB = TestPki.leaf("CN=b", TestPki.p256(), ca, "b.ipsm.test");
        return new EnginePair(
                conn("to-b", "198.19.0.1", "198.19.0.2", idA, "b.ipsm.test", true, files("a", nodeA, ca)),
                conn("to-a", "198.19.0.2", "198.19.0.1", "b.ipsm.test", idA, false, files("b", nodeB, trustedByB)));
    }

    @Test
    void certificatesAuthenticateBothSides() throws Exception {
        TestPki.Issued nodeA = TestPki.leaf("CN=a", TestPki.p256(), ca, "a.ipsm.test");
        try (EnginePair p = pair(nodeA, "a.ipsm.test", ca)) {
            p.start();
            p.awaitUp(1);
            byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 300);
            assertArrayEquals(ab, roundTrip(p.dpA, p.dpB, ab));
            assertTrue(p.logged(p.logB, l -> l.contains("[a.ipsm.test]") && l.contains("auth cert")), p.logB.toString());
        }
    }

    @Test
    void certificateFromAnotherCaIsRefused() throws Exception {
        TestPki.Issued nodeA = TestPki.leaf("CN=a", TestPki.p256(), otherCa, "a.ipsm.test");
        try (EnginePair p = pair(nodeA, "a.ipsm.test", ca)) {
            p.start();
            await("B refuses", Duration.ofSeconds(5), () -> count(p.b, "auth_failed") == 1 && count(p.a, "peer_refused") == 1);
            await("no SA left", Duration.ofSeconds(5), () -> p.b.ikeSaCounts().isEmpty());
            assertEquals(0, established(p.a));
            assertTrue(p.dpB.securityAssociations().isEmpty());
            assertTrue(p.logged(p.logB, l -> l.contains("untrusted")), p.logB.toString());
        }
    }

    @Test
    void idThatTheCertificateDoesNotNameIsRefused() throws Exception {
        // A claims mallory.ipsm.test (and B expects that name), but A's certificate names a.ipsm.test.
        TestPki.Issued nodeA = TestPki.leaf("CN=a", TestPki.p256(), ca, "a.ipsm.test");
        try (EnginePair p = pair(nodeA, "mallory.ipsm.test", ca)) {
            p.start();
            await("B refuses", Duration.ofSeconds(5), () -> count(p.b, "auth_failed") == 1);
            await("no SA left", Duration.ofSeconds(5), () -> p.b.ikeSaCounts().isEmpty());
            assertEquals(0, established(p.a));
            assertTrue(p.logged(p.logB, l -> l.contains("id_mismatch")), p.logB.toString());
        }
    }

    @Test
    void unknownCriticalPayloadAndOutOfWindowMessageIds() throws Exception {
        TestPki.Issued nodeA = TestPki.leaf("CN=a", TestPki.p256(), ca, "a.ipsm.test");
        try (EnginePair p = pair(nodeA, "a.ipsm.test", ca)) {
            p.start();
            p.awaitUp(1);
            var from = new InetSocketAddress(ip("198.19.0.1"), 500);
            var to = new InetSocketAddress(ip("198.19.0.2"), 500);
            // Requests A's keys would protect: one too far ahead, then one at the right ID
            // carrying an unknown payload type marked critical.
            byte[][] forged = p.a.call(() -> {
                IkeSa sa = p.a.ikeSas().getFirst();
                IkeHeader ahead = IkeHeader.of(sa.spiI, sa.spiR, ExchangeType.INFORMATIONAL, true, false,
                        sa.nextRequestId + 5);
                IkeHeader next = IkeHeader.of(sa.spiI, sa.spiR, ExchangeType.INFORMATIONAL, true, false,
                        sa.nextRequestId);
                List<IkePayload> critical = List.of(new UnknownPayload(200, true, new byte[] {1, 2, 3, 4}));
                return new byte[][] {sa.encode(ahead, List.of()), sa.encode(next, critical)};
            });
            int wireBefore = p.wire.size();
            p.b.execute(() -> p.b.receive(forged[0], from, to));
            await("out-of-window ID counted", Duration.ofSeconds(2), () -> count(p.b, "bad_message_id") == 1);
            p.b.execute(() -> p.b.receive(forged[1], from, to));
            await("critical payload answered", Duration.ofSeconds(2),
                    () -> count(p.b, "unsupported_critical_payload") == 1);
            // B's answer: UNSUPPORTED_CRITICAL_PAYLOAD with the payload type, protected by the SA.
            await("B answers", Duration.ofSeconds(2), () -> p.wire.subList(wireBefore, p.wire.size()).stream()
                    .anyMatch(e -> e.getKey().equals("b>a")));
            byte[] answer = p.wire.subList(wireBefore, p.wire.size()).stream()
                    .filter(e -> e.getKey().equals("b>a")).map(java.util.Map.Entry::getValue).findFirst().orElseThrow();
            var decoded = p.a.call(() -> {
                try {
                    return p.a.ikeSas().getFirst().skIn.decrypt(answer);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertEquals(1, decoded.notifies(NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD).size());
            assertArrayEquals(new byte[] {(byte) 200},
                    decoded.notifies(NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD).getFirst().data());
            assertEquals(1, established(p.b));
            assertEquals(1, children(p.b).size());
            assertEquals(0, count(p.b, "internal_error"));
        }
    }
}
