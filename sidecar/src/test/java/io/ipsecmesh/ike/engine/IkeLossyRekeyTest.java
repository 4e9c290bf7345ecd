package io.ipsecmesh.ike.engine;

import io.ipsecmesh.dataplane.TestPackets;
import io.ipsecmesh.dataplane.UserspaceDataPlane;
import io.ipsecmesh.sa.Mode;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.ipsecmesh.ike.engine.EnginePair.count;
import static io.ipsecmesh.ike.engine.EnginePair.roundTrip;
import static io.ipsecmesh.ike.engine.IkeEngineTest.PSK;
import static io.ipsecmesh.ike.engine.IkeEngineTest.conn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CHILD_SA and IKE SA rekeys while IKE messages are lost. The first test is a seeded fuzz:
 * both peers rekey the IKE SA and the CHILD_SA every few hundred milliseconds while the wire
 * drops IKE datagrams at random (a seeded sequence), so rekeys collide (RFC 7296 §2.8.1,
 * §2.8.2), responses are lost and retransmitted, and exchanges cross IKE SA rekeys. The
 * retransmit budget is large enough that no exchange gives up on the current SA, and the
 * CHILD_SA life time long enough that no pair expires: then no ESP packet may be lost, and once
 * the wire is clean again both sides must hold one IKE SA with one CHILD_SA, the same on both.
 */
class IkeLossyRekeyTest {

    private static final IkeConfig.Retransmit PATIENT = new IkeConfig.Retransmit(Duration.ofMillis(100), 1.2, 10);

    private static IkeConfig.Conn lossy(IkeConfig.Conn c) {
        IkeConfig.Child k = c.children().getFirst();
        IkeConfig.Child child = new IkeConfig.Child(k.name(), k.mode(), k.localTs(), k.remoteTs(), k.proposals(),
                Duration.ofMillis(600), Duration.ofSeconds(60), 0, 0, 1024);
        return new IkeConfig.Conn(c.name(), c.local(), c.remote(), c.localId(), c.remoteId(), c.auth(), c.psk(), null,
                null, List.of(), List.of(), c.ikeProposals(), c.start(), c.dpd(), c.rekeyTime(), PATIENT, false,
                List.of(child));
    }

    @Test
    void rekeysUnderIkeLossLoseNoEspAndConverge() throws Exception {
        Duration ike = Duration.ofMillis(200);
        IkeConfig.Conn a = lossy(conn("to-b", "198.19.0.1", "198.19.0.2", "a.ipsm.test", "b.ipsm.test", true,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.1.0/24", "198.18.2.0/24",
                Duration.ZERO, ike, Duration.ZERO, PSK));
        IkeConfig.Conn b = lossy(conn("to-a", "198.19.0.2", "198.19.0.1", "b.ipsm.test", "a.ipsm.test", false,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.2.0/24", "198.18.1.0/24",
                Duration.ZERO, ike, Duration.ZERO, PSK));
        Random random = new Random(20261127L);
        try (EnginePair p = new EnginePair(a, b)) {
            p.start();
            p.awaitUp(1);
            p.drop = (dir, m) -> {
                synchronized (random) {
                    return random.nextDouble() < 0.15;
                }
            };
            byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 200);
            byte[] ba = TestPackets.udp("198.18.2.20", "198.18.1.10", 2000, 1000, 200);
            int lost = 0;
            long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            while (System.nanoTime() < end) {
                lost += delivered(p.dpA, p.dpB, ab) ? 0 : 1;
                lost += delivered(p.dpB, p.dpA, ba) ? 0 : 1;
                Thread.sleep(2);
            }
            p.drop = (dir, m) -> false;
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            boolean converged = false;
            while (System.nanoTime() < until && !converged) {
                converged = p.mirrored();
                if (!converged) {
                    Thread.sleep(10);
                }
            }
            String counters = "a " + p.a.counters() + "\nb " + p.b.counters();
            assertEquals(0, count(p.a, "internal_error") + count(p.b, "internal_error"), counters);
            assertEquals(0, count(p.a, "child_expired") + count(p.b, "child_expired"), counters);
            assertTrue(converged, "no single mirrored IKE SA and CHILD_SA pair\n" + counters);
            assertEquals(0, lost, "ESP packets lost\n" + counters);
            assertTrue(count(p.a, "retransmits") + count(p.b, "retransmits") > 0, counters);
            assertTrue(count(p.a, "child_rekeys_initiated") + count(p.b, "child_rekeys_initiated") > 0, counters);
            assertTrue(count(p.a, "ike_rekeys_initiated") + count(p.b, "ike_rekeys_initiated") > 0, counters);
            byte[] after = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 64);
            assertTrue(delivered(p.dpA, p.dpB, after));
        }
    }

    /**
     * We answered the peer's rekey of a CHILD_SA, our responses are lost for a while, and the
     * pair our answer made comes up for its own rekey: the peer does not know that pair yet, so
     * the rekey waits (it would draw CHILD_SA_NOT_FOUND, and each side would make a pair of its
     * own). Once the peer has our response and deletes the old pair, one pair is left on both
     * sides and traffic goes through both ways.
     */
    @Test
    void aPairWeAnsweredIsNotRekeyedBeforeThePeerKnowsIt() throws Exception {
        IkeConfig.Conn a = conn("to-b", "198.19.0.1", "198.19.0.2", "a.ipsm.test", "b.ipsm.test", true,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.1.0/24", "198.18.2.0/24",
                Duration.ZERO, Duration.ZERO, Duration.ZERO, PSK);
        IkeConfig.Conn b = conn("to-a", "198.19.0.2", "198.19.0.1", "b.ipsm.test", "a.ipsm.test", false,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.2.0/24", "198.18.1.0/24",
                Duration.ofMillis(400), Duration.ZERO, Duration.ZERO, PSK);
        try (EnginePair p = new EnginePair(a, b)) {
            p.start();
            p.awaitUp(1);
            long until = System.nanoTime() + Duration.ofMillis(650).toNanos();
            // B's responses (R flag, RFC 7296 §3.1) are lost for 650 ms: A retransmits its rekey
            // request at 150, 375 and 712 ms, while B's new pair is due for its rekey at 360-400 ms.
            p.drop = (dir, m) -> dir.equals("b>a") && (m[19] & 0x20) != 0 && System.nanoTime() < until;
            p.a.call(() -> {
                IkeSa sa = p.a.ikeSas().getFirst();
                p.a.rekeyChild(sa, sa.children().getFirst());
                return null;
            });
            EnginePair.await("one mirrored CHILD_SA pair after the rekey", Duration.ofSeconds(10), () -> {
                try {
                    return p.mirrored() && count(p.a, "child_rekeys_initiated") == 1;
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            String counters = "a " + p.a.counters() + "\nb " + p.b.counters();
            assertTrue(count(p.a, "retransmits") >= 1, counters);
            assertTrue(count(p.b, "rekey_postponed") >= 1, counters);
            assertEquals(0, count(p.a, "child_not_found") + count(p.b, "child_not_found_received"), counters);
            byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 64);
            byte[] ba = TestPackets.udp("198.18.2.20", "198.18.1.10", 2000, 1000, 64);
            p.a.call(() -> null);
            p.b.call(() -> null);
            assertTrue(delivered(p.dpA, p.dpB, ab), counters);
            assertTrue(delivered(p.dpB, p.dpA, ba), counters);
        }
    }

    /**
     * The peer rekeys the IKE SA and never gets our answer (it gives up): the old SA, rekeyed on
     * our side and holding nothing, is not left behind waiting for a DELETE that never comes.
     */
    @Test
    void aRekeyedSaThePeerNeverDeletesGoes() throws Exception {
        IkeConfig.Conn a = conn("to-b", "198.19.0.1", "198.19.0.2", "a.ipsm.test", "b.ipsm.test", true,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.1.0/24", "198.18.2.0/24",
                Duration.ZERO, Duration.ZERO, Duration.ZERO, PSK);
        IkeConfig.Conn b = conn("to-a", "198.19.0.2", "198.19.0.1", "b.ipsm.test", "a.ipsm.test", false,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.2.0/24", "198.18.1.0/24",
                Duration.ZERO, Duration.ZERO, Duration.ZERO, PSK);
        try (EnginePair p = new EnginePair(a, b)) {
            p.start();
            p.awaitUp(1);
            // Every response of A is lost: B's rekey request goes unanswered until B gives up.
            p.drop = (dir, m) -> dir.equals("a>b") && (m[19] & 0x20) != 0;
            p.b.call(() -> {
                p.b.rekeyIke(p.b.ikeSas().getFirst());
                return null;
            });
            EnginePair.await("A's rekeyed SA", Duration.ofSeconds(5), () -> states(p.a).contains(IkeSa.State.REKEYED));
            EnginePair.await("B giving up", Duration.ofSeconds(5), () -> count(p.b, "retransmit_giveup") == 1);
            // Twice B's retransmission budget after the rekey, A's old SA goes.
            EnginePair.await("A's rekeyed SA gone", Duration.ofSeconds(5),
                    () -> !states(p.a).contains(IkeSa.State.REKEYED));
            assertEquals(1, count(p.a, "rekeyed_sa_expired"), p.a.counters().toString());
            assertEquals(List.of(IkeSa.State.ESTABLISHED), states(p.a));
        }
    }

    private static List<IkeSa.State> states(IkeEngine e) {
        try {
            return e.call(() -> e.ikeSas().stream().map(IkeSa::state).toList());
        } catch (InterruptedException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** Whether {@code packet} went through ESP from one data plane to the other unchanged. */
    private static boolean delivered(UserspaceDataPlane from, UserspaceDataPlane to, byte[] packet) {
        try {
            return Arrays.equals(packet, roundTrip(from, to, packet));
        } catch (AssertionError e) {
            return false;
        }
    }
}
