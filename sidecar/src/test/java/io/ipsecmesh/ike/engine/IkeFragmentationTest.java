package io.ipsecmesh.ike.engine;

import io.ipsecmesh.dataplane.TestPackets;
import io.ipsecmesh.ike.ChildProposal;
import io.ipsecmesh.ike.ExchangeType;
import io.ipsecmesh.ike.IkeFragments;
import io.ipsecmesh.ike.IkeHeader;
import io.ipsecmesh.ike.IkeMessage;
import io.ipsecmesh.ike.IkePayload;
import io.ipsecmesh.ike.IkeProposal;
import io.ipsecmesh.ike.NotifyPayload;
import io.ipsecmesh.ike.NotifyType;
import io.ipsecmesh.ike.PayloadType;
import io.ipsecmesh.ike.VendorIdPayload;
import io.ipsecmesh.ike.cert.TestPki;
import io.ipsecmesh.sa.Mode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static io.ipsecmesh.ike.engine.EnginePair.await;
import static io.ipsecmesh.ike.engine.EnginePair.children;
import static io.ipsecmesh.ike.engine.EnginePair.count;
import static io.ipsecmesh.ike.engine.EnginePair.established;
import static io.ipsecmesh.ike.engine.EnginePair.roundTrip;
import static io.ipsecmesh.ike.engine.IkeEngineTest.ip;
import static io.ipsecmesh.ike.engine.IkeEngineTest.isExchange;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IKE fragmentation (RFC 7383) between two engines: certificate IKE_AUTH messages that do not
 * fit 576-byte datagrams go as fragments both ways, lost and forged fragments are survived,
 * and a side without fragmentation still gets whole messages.
 */
class IkeFragmentationTest {

    /** A 576-byte IP datagram on IPv4 without NAT-T leaves 548 bytes for the IKE message. */
    static final int SIZE = 576;
    static final int MAX_MESSAGE = SIZE - 20 - 8;
    /**
     * Slower than {@link IkeEngineTest#FAST}: the first certificate IKE_AUTH of a JVM can take
     * longer than 150 ms, and a retransmission nobody asked for would blur the counts here.
     */
    static final IkeConfig.Retransmit RETRANSMIT = new IkeConfig.Retransmit(Duration.ofMillis(1000), 1.5, 3);

    @TempDir
    Path dir;

    private final TestPki.Issued ca = TestPki.root("CN=ipsm test CA", TestPki.p256());

    private IkeConfig.Conn conn(String name, String local, String remote, String localId, String remoteId,
                                boolean start, IkeConfig.Fragmentation fragmentation) throws Exception {
        TestPki.Issued node = TestPki.leaf("CN=" + localId, TestPki.p256(), ca, localId);
        TestPki.Files f = TestPki.write(dir, name, node, ca);
        Path key = f.key();
        Path cert = f.cert();
        Path caFile = f.ca();
        IkeConfig.Child child = new IkeConfig.Child("net", Mode.TUNNEL,
                IkeConfigFile.selectors(start ? "198.18.1.0/24" : "198.18.2.0/24"),
                IkeConfigFile.selectors(start ? "198.18.2.0/24" : "198.18.1.0/24"),
                List.of(ChildProposal.parse("aes128gcm16")), Duration.ZERO, Duration.ZERO, 0, 0, 128);
        return new IkeConfig.Conn(name, ip(local), ip(remote), localId, remoteId, IkeConfig.AuthMethod.CERT, null,
                cert, key, List.of(caFile), List.of(), List.of(IkeProposal.parse("aes128gcm16-prfsha256-ecp256")),
                start, Duration.ZERO, Duration.ZERO, RETRANSMIT, false, List.of(child), fragmentation);
    }

    private EnginePair pair(IkeConfig.Fragmentation a, IkeConfig.Fragmentation b) throws Exception {
        return new EnginePair(conn("to-b", "198.19.0.1", "198.19.0.2", "a.ipsm.test", "b.ipsm.test", true, a),
                conn("to-a", "198.19.0.2", "198.19.0.1", "b.ipsm.test", "a.ipsm.test", false, b));
    }

    static IkeConfig.Fragmentation frag(IkeConfig.FragmentationMode mode) {
        return new IkeConfig.Fragmentation(mode, SIZE);
    }

    static boolean isFragment(byte[] m) {
        return (m[16] & 0xff) == PayloadType.ENCRYPTED_FRAGMENT.value();
    }

    /** The datagrams of one exchange in one direction ("a>b" / "b>a"), in wire order. */
    static List<byte[]> sent(EnginePair p, String dir, ExchangeType t) {
        return p.wire.stream().filter(e -> e.getKey().equals(dir) && isExchange(e.getValue(), t))
                .map(Map.Entry::getValue).toList();
    }

    static boolean announces(byte[] ikeSaInit) throws Exception {
        return !IkeMessage.decode(ikeSaInit).notifies(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED).isEmpty();
    }

    static void trafficFlows(EnginePair p) {
        byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 300);
        assertArrayEquals(ab, roundTrip(p.dpA, p.dpB, ab));
        byte[] ba = TestPackets.tcp("198.18.2.20", "198.18.1.10", 2000, 1000, 1200);
        assertArrayEquals(ba, roundTrip(p.dpB, p.dpA, ba));
    }

    @Test
    void certificateIkeAuthGoesInFragmentsBothWaysAndTrafficFlows() throws Exception {
        try (EnginePair p = pair(frag(IkeConfig.FragmentationMode.YES), frag(IkeConfig.FragmentationMode.YES))) {
            p.start();
            p.awaitUp(1);
            trafficFlows(p);
            assertTrue(announces(sent(p, "a>b", ExchangeType.IKE_SA_INIT).getFirst()));
            assertTrue(announces(sent(p, "b>a", ExchangeType.IKE_SA_INIT).getFirst()));
            for (String dir : List.of("a>b", "b>a")) {
                List<byte[]> auth = sent(p, dir, ExchangeType.IKE_AUTH);
                assertTrue(auth.size() >= 2, dir + ": IKE_AUTH in " + auth.size() + " datagram(s)");
                for (byte[] m : auth) {
                    assertTrue(isFragment(m), dir + ": an IKE_AUTH datagram without SKF");
                    assertTrue(m.length <= MAX_MESSAGE, dir + ": a fragment of " + m.length + " bytes");
                }
                // the fragments hold more than one datagram could: fragmentation was needed
                assertTrue(auth.stream().mapToInt(m -> m.length).sum() > MAX_MESSAGE);
            }
            String counters = "a " + p.a.counters() + " b " + p.b.counters();
            for (IkeEngine e : List.of(p.a, p.b)) {
                assertTrue(count(e, "fragments_sent") >= 2, counters);
                assertTrue(count(e, "fragments_received") >= 2, counters);
                assertEquals(1, count(e, "fragments_reassembled"), counters);
                assertEquals(0, count(e, "integrity") + count(e, "malformed"), counters);
                assertEquals(0, count(e, "internal_error"), counters);
            }
            assertTrue(p.logged(p.logA, l -> l.contains("established") && l.contains("auth cert") && l.endsWith("ike-frag")),
                    p.logA.toString());
            // an IKE SA rekey keeps fragmentation (negotiated once, in IKE_SA_INIT)
            p.a.execute(() -> p.a.rekeyIke(p.a.ikeSas().getFirst()));
            await("IKE SA rekeyed", Duration.ofSeconds(5), () -> count(p.a, "ike_rekeys_initiated") == 1
                    && count(p.b, "ike_rekeys_answered") == 1 && established(p.a) == 1 && established(p.b) == 1);
            assertTrue(p.a.call(() -> p.a.ikeSas().stream().filter(s -> s.state() == IkeSa.State.ESTABLISHED)
                    .allMatch(s -> s.fragmentation)));
            assertTrue(p.b.call(() -> p.b.ikeSas().stream().filter(s -> s.state() == IkeSa.State.ESTABLISHED)
                    .allMatch(s -> s.fragmentation)));
        }
    }

    /** Either side without fragmentation: it is not negotiated and IKE_AUTH goes whole, larger than 548 bytes. */
    @ParameterizedTest(name = "a {0}, b {1}")
    @CsvSource({"NO, YES", "YES, NO", "FORCE, NO"})
    void withoutFragmentationOnOneSideMessagesStayWhole(IkeConfig.FragmentationMode a, IkeConfig.FragmentationMode b)
            throws Exception {
        try (EnginePair p = pair(frag(a), frag(b))) {
            p.start();
            p.awaitUp(1);
            trafficFlows(p);
            assertEquals(a.announces(), announces(sent(p, "a>b", ExchangeType.IKE_SA_INIT).getFirst()));
            assertFalse(announces(sent(p, "b>a", ExchangeType.IKE_SA_INIT).getFirst()),
                    "the responder answers the announcement only when both support it");
            assertTrue(p.wire.stream().noneMatch(e -> isFragment(e.getValue())));
            for (String dir : List.of("a>b", "b>a")) {
                List<byte[]> auth = sent(p, dir, ExchangeType.IKE_AUTH);
                assertEquals(1, auth.size());
                assertTrue(auth.getFirst().length > MAX_MESSAGE, dir + ": " + auth.getFirst().length + " bytes");
            }
            assertFalse(p.logged(p.logA, l -> l.contains("ike-frag")));
        }
    }

    /** {@code fragmentation accept}: announced and received, never sent. */
    @Test
    void acceptTakesFragmentsButSendsWholeMessages() throws Exception {
        try (EnginePair p = pair(frag(IkeConfig.FragmentationMode.ACCEPT), frag(IkeConfig.FragmentationMode.YES))) {
            p.start();
            p.awaitUp(1);
            trafficFlows(p);
            List<byte[]> request = sent(p, "a>b", ExchangeType.IKE_AUTH);
            assertEquals(1, request.size());
            assertFalse(isFragment(request.getFirst()));
            assertTrue(request.getFirst().length > MAX_MESSAGE);
            List<byte[]> response = sent(p, "b>a", ExchangeType.IKE_AUTH);
            assertTrue(response.size() >= 2 && response.stream().allMatch(IkeFragmentationTest::isFragment));
            assertEquals(1, count(p.a, "fragments_reassembled"));
            assertEquals(0, count(p.a, "fragments_sent"));
        }
    }

    /**
     * A lost request fragment: the initiator retransmits all of them, the responder completes
     * the set (the fragment it had is a duplicate). A lost response fragment: the initiator
     * retransmits its request; of those fragments only number 1 makes the responder resend
     * its whole response (RFC 7383 §2.6.1), the others are ignored.
     */
    @Test
    void lostFragmentsAreRecoveredByRetransmittingWholeMessages() throws Exception {
        try (EnginePair p = pair(frag(IkeConfig.FragmentationMode.YES), frag(IkeConfig.FragmentationMode.YES))) {
            AtomicInteger requestFrag2 = new AtomicInteger();
            AtomicInteger responseFrag1 = new AtomicInteger();
            p.drop = (dir, m) -> isExchange(m, ExchangeType.IKE_AUTH) && isFragment(m) && (
                    dir.equals("a>b") && m[33] == 2 && requestFrag2.incrementAndGet() == 1
                    || dir.equals("b>a") && m[33] == 1 && responseFrag1.incrementAndGet() == 1);
            p.start();
            p.awaitUp(1);
            trafficFlows(p);
            String counters = "a " + p.a.counters() + " b " + p.b.counters();
            long retransmits = count(p.a, "retransmits");
            assertTrue(retransmits >= 2, counters);
            int requestFragments = (int) (sent(p, "a>b", ExchangeType.IKE_AUTH).size() / (retransmits + 1));
            assertTrue(requestFragments >= 2);
            assertEquals((retransmits + 1) * requestFragments, sent(p, "a>b", ExchangeType.IKE_AUTH).size(),
                    "each retransmission sends all fragments");
            // The first retransmission completed B's set (fragment 1 a duplicate); each later one
            // drew one whole response, from its fragment 1, and its other fragments were ignored.
            assertEquals(1, count(p.b, "fragment_duplicate"), counters);
            assertEquals(retransmits - 1, count(p.b, "request_retransmits"), counters);
            assertEquals((retransmits - 1) * (requestFragments - 1), count(p.b, "fragment_retransmits_ignored"),
                    counters);
            assertEquals(1, count(p.a, "fragments_reassembled"), counters);
            assertEquals(1, count(p.b, "fragments_reassembled"), counters);
            assertEquals(1, established(p.a));
        }
    }

    /** A forged fragment on the wire is dropped and counted; the real one (retransmitted) completes the message. */
    @Test
    void forgedFragmentIsDroppedAndTheExchangeCompletes() throws Exception {
        try (EnginePair p = pair(frag(IkeConfig.FragmentationMode.YES), frag(IkeConfig.FragmentationMode.YES))) {
            AtomicInteger seen = new AtomicInteger();
            var from = new InetSocketAddress(ip("198.19.0.1"), 500);
            var to = new InetSocketAddress(ip("198.19.0.2"), 500);
            p.drop = (dir, m) -> {
                if (dir.equals("a>b") && isExchange(m, ExchangeType.IKE_AUTH) && isFragment(m) && m[33] == 2
                        && seen.incrementAndGet() == 1) {
                    byte[] forged = m.clone();
                    forged[forged.length - 30] ^= 0x01;
                    p.b.execute(() -> p.b.receive(forged, from, to));
                    return true;
                }
                return false;
            };
            p.start();
            p.awaitUp(1);
            trafficFlows(p);
            String counters = "b " + p.b.counters();
            assertEquals(1, count(p.b, "integrity"), counters);
            // the forged one, and fragment 1 again when A retransmits (a duplicate by then)
            assertEquals(1 + count(p.b, "fragment_duplicate"), count(p.b, "fragments_dropped"), counters);
            assertEquals(1, count(p.b, "fragments_reassembled"), counters);
            assertEquals(0, count(p.b, "fragment_sets_discarded"), counters);
        }
    }

    /**
     * Hostile fragments on an established SA change nothing: fragments when fragmentation was
     * not negotiated, and fragments of a request outside the message-ID window.
     */
    @ParameterizedTest(name = "a {0}")
    @CsvSource({"NO", "YES"})
    void unwantedFragmentsAreDroppedAndCounted(IkeConfig.FragmentationMode a) throws Exception {
        try (EnginePair p = pair(frag(a), frag(IkeConfig.FragmentationMode.YES))) {
            p.start();
            p.awaitUp(1);
            var from = new InetSocketAddress(ip("198.19.0.1"), 500);
            var to = new InetSocketAddress(ip("198.19.0.2"), 500);
            int ahead = a.announces() ? 5 : 0; // negotiated: out of window; not negotiated: the right ID
            List<IkePayload> payloads = List.of(new VendorIdPayload(new byte[900]),
                    NotifyPayload.of(NotifyType.INITIAL_CONTACT));
            List<byte[]> fragments = p.a.call(() -> {
                IkeSa sa = p.a.ikeSas().getFirst();
                IkeHeader h = IkeHeader.of(sa.spiI, sa.spiR, ExchangeType.INFORMATIONAL, true, false,
                        sa.nextRequestId + ahead);
                return IkeFragments.split(sa.skOut, h, payloads, MAX_MESSAGE);
            });
            assertTrue(fragments.size() >= 2);
            int wireBefore = p.wire.size();
            long childrenBefore = children(p.b).size();
            long receivedBefore = count(p.b, "fragments_received");
            long droppedBefore = count(p.b, "fragments_dropped");
            String reason = a.announces() ? "bad_message_id" : "malformed";
            long reasonBefore = count(p.b, reason);
            for (byte[] f : fragments) {
                p.b.execute(() -> p.b.receive(f, from, to));
            }
            await(reason + " counted", Duration.ofSeconds(2),
                    () -> count(p.b, reason) == reasonBefore + fragments.size());
            assertEquals(droppedBefore + fragments.size(), count(p.b, "fragments_dropped"));
            assertEquals(receivedBefore, count(p.b, "fragments_received"));
            assertEquals(wireBefore, p.wire.size(), "nothing answered");
            assertEquals(1, established(p.b));
            assertEquals(childrenBefore, children(p.b).size());
            assertEquals(0, count(p.b, "internal_error"));
        }
    }
}
