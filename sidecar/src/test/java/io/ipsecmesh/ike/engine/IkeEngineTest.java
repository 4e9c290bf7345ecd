package io.ipsecmesh.ike.engine;

import io.ipsecmesh.dataplane.TestPackets;
import io.ipsecmesh.ike.ChildProposal;
import io.ipsecmesh.ike.IkeProposal;
import io.ipsecmesh.ike.IkeMessage;
import io.ipsecmesh.ike.ExchangeType;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.Prefix;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.ipsecmesh.ike.engine.EnginePair.await;
import static io.ipsecmesh.ike.engine.EnginePair.children;
import static io.ipsecmesh.ike.engine.EnginePair.count;
import static io.ipsecmesh.ike.engine.EnginePair.established;
import static io.ipsecmesh.ike.engine.EnginePair.roundTrip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two engines in one JVM: the exchanges of RFC 7296 end to end, with the data plane in the loop. */
class IkeEngineTest {

    static final byte[] PSK = "a pre-shared key of ipsec-mesh tests".getBytes(StandardCharsets.UTF_8);
    static final IkeConfig.Retransmit FAST = new IkeConfig.Retransmit(Duration.ofMillis(150), 1.5, 3);

    static InetAddress ip(String s) {
        return Prefix.parseAddress(s);
    }

    /** A PSK connection from {@code local} to {@code remote}, one child between the given prefixes. */
    static IkeConfig.Conn conn(String name, String local, String remote, String localId, String remoteId, boolean start,
                               String ike, String esp, Mode mode, String localTs, String remoteTs, Duration childRekey,
                               Duration ikeRekey, Duration dpd, byte[] psk) {
        IkeConfig.Child child = new IkeConfig.Child("net", mode,
                localTs == null ? List.of() : IkeConfigFile.selectors(localTs),
                remoteTs == null ? List.of() : IkeConfigFile.selectors(remoteTs),
                List.of(ChildProposal.parse(esp, true)), childRekey, childRekey.multipliedBy(3), 0, 0, 1024);
        return new IkeConfig.Conn(name, ip(local), remote == null ? null : ip(remote), localId, remoteId,
                IkeConfig.AuthMethod.PSK, psk, null, null, List.of(), List.of(), List.of(IkeProposal.parse(ike)), start,
                dpd, ikeRekey, FAST, false, List.of(child));
    }

    static EnginePair tunnelPair(String ikeA, String ikeB) throws Exception {
        return new EnginePair(
                conn("to-b", "198.19.0.1", "198.19.0.2", "a.ipsm.test", "b.ipsm.test", true, ikeA, "aes128gcm16",
                        Mode.TUNNEL, "198.18.1.0/24", "198.18.2.0/24", Duration.ZERO, Duration.ZERO, Duration.ZERO, PSK),
                conn("to-a", "198.19.0.2", "198.19.0.1", "b.ipsm.test", "a.ipsm.test", false, ikeB, "aes128gcm16",
                        Mode.TUNNEL, "198.18.2.0/24", "198.18.1.0/24", Duration.ZERO, Duration.ZERO, Duration.ZERO, PSK));
    }

    @Test
    void pskTunnelModeCarriesTrafficBothWays() throws Exception {
        try (EnginePair p = tunnelPair("aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-ecp256")) {
            p.start();
            p.awaitUp(1);
            byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 300);
            assertArrayEquals(ab, roundTrip(p.dpA, p.dpB, ab));
            byte[] ba = TestPackets.tcp("198.18.2.20", "198.18.1.10", 2000, 1000, 1200);
            assertArrayEquals(ba, roundTrip(p.dpB, p.dpA, ba));
            ChildSa ca = children(p.a).getFirst();
            ChildSa cb = children(p.b).getFirst();
            assertEquals(ca.inSpi(), cb.outSpi());
            assertEquals(ca.outSpi(), cb.inSpi());
            assertEquals(Mode.TUNNEL, ca.mode());
            assertTrue(p.logged(p.logA, l -> l.startsWith("IKE_SA to-b[") && l.contains("established")), p.logA.toString());
        }
    }

    @Test
    void transportModeOverIpv6WithCbcAndModp() throws Exception {
        IkeConfig.Conn a = conn("to-b", "2001:db8:ff::1", "2001:db8:ff::2", "a.ipsm.test", "b.ipsm.test", true,
                "aes256-sha384-modp2048", "aes256-sha256", Mode.TRANSPORT, null, null, Duration.ZERO, Duration.ZERO,
                Duration.ZERO, PSK);
        IkeConfig.Conn b = conn("to-a", "2001:db8:ff::2", "2001:db8:ff::1", "b.ipsm.test", "a.ipsm.test", false,
                "aes256-sha384-modp2048", "aes256-sha256", Mode.TRANSPORT, null, null, Duration.ZERO, Duration.ZERO,
                Duration.ZERO, PSK);
        try (EnginePair p = new EnginePair(a, b)) {
            p.start();
            p.awaitUp(1);
            assertEquals(Mode.TRANSPORT, children(p.a).getFirst().mode());
            byte[] ab = TestPackets.udp("2001:db8:ff::1", "2001:db8:ff::2", 1000, 2000, 500);
            assertArrayEquals(ab, roundTrip(p.dpA, p.dpB, ab));
            byte[] ba = TestPackets.udp("2001:db8:ff::2", "2001:db8:ff::1", 2000, 1000, 64);
            assertArrayEquals(ba, roundTrip(p.dpB, p.dpA, ba));
        }
    }

    @Test
    void chachaWithCurve25519() throws Exception {
        try (EnginePair p = tunnelPair("chacha20poly1305-prfsha256-x25519", "chacha20poly1305-prfsha256-x25519")) {
            p.start();
            p.awaitUp(1);
            byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 100);
            assertArrayEquals(ab, roundTrip(p.dpA, p.dpB, ab));
        }
    }

    @Test
    void wrongPskIsRefusedAndLeavesNoSa() throws Exception {
        IkeConfig.Conn a = conn("to-b", "198.19.0.1", "198.19.0.2", "a.ipsm.test", "b.ipsm.test", true,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.1.0/24", "198.18.2.0/24",
                Duration.ZERO, Duration.ZERO, Duration.ZERO, "another pre-shared key, not ours".getBytes(StandardCharsets.UTF_8));
        IkeConfig.Conn b = conn("to-a", "198.19.0.2", "198.19.0.1", "b.ipsm.test", "a.ipsm.test", false,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.2.0/24", "198.18.1.0/24",
                Duration.ZERO, Duration.ZERO, Duration.ZERO, PSK);
        try (EnginePair p = new EnginePair(a, b)) {
            p.start();
            await("B refuses the AUTH", Duration.ofSeconds(5), () -> count(p.b, "auth_failed") == 1);
            await("A hears AUTHENTICATION_FAILED", Duration.ofSeconds(5), () -> count(p.a, "peer_refused") >= 1);
            await("B drops the SA", Duration.ofSeconds(5), () -> p.b.ikeSaCounts().isEmpty());
            assertEquals(0, established(p.a));
            assertTrue(p.dpB.securityAssociations().isEmpty());
            assertTrue(p.dpA.securityAssociations().isEmpty());
        }
    }

    @Test
    void noCommonProposalGetsNoProposalChosen() throws Exception {
        try (EnginePair p = tunnelPair("aes128gcm16-prfsha256-ecp256", "aes256-sha512-modp2048")) {
            p.start();
            await("NO_PROPOSAL_CHOSEN", Duration.ofSeconds(5), () -> count(p.b, "no_proposal_chosen") >= 1
                    && count(p.a, "peer_refused") >= 1);
            assertEquals(0, established(p.a));
            assertTrue(p.b.ikeSaCounts().isEmpty(), "a refused IKE_SA_INIT keeps no state");
        }
    }

    @Test
    void invalidKePayloadMakesTheInitiatorSwitchGroups() throws Exception {
        try (EnginePair p = tunnelPair("aes128gcm16-prfsha256-ecp256-modp2048", "aes128gcm16-prfsha256-modp2048")) {
            p.start();
            p.awaitUp(1);
            assertEquals(1, count(p.b, "invalid_ke_sent"));
            assertEquals(1, count(p.a, "init_retries"));
        }
    }

    @Test
    void cookieIsDemandedAndReturned() throws Exception {
        try (EnginePair p = tunnelPair("aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-ecp256")) {
            p.b.setCookieThreshold(0);
            p.start();
            p.awaitUp(1);
            assertEquals(1, count(p.b, "cookie_sent"));
        }
    }

    @Test
    void lostMessagesAreRetransmitted() throws Exception {
        try (EnginePair p = tunnelPair("aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-ecp256")) {
            AtomicInteger init = new AtomicInteger();
            AtomicInteger auth = new AtomicInteger();
            // Lose the first answer to IKE_SA_INIT and the first to IKE_AUTH.
            p.drop = (dir, m) -> dir.equals("b>a") && (isExchange(m, ExchangeType.IKE_SA_INIT) && init.incrementAndGet() == 1
                    || isExchange(m, ExchangeType.IKE_AUTH) && auth.incrementAndGet() == 1);
            p.start();
            p.awaitUp(1);
            assertTrue(count(p.a, "retransmits") >= 2, p.a.counters().toString());
            assertTrue(count(p.b, "request_retransmits") >= 2, p.b.counters().toString());
        }
    }

    static boolean isExchange(byte[] m, ExchangeType t) {
        return m.length > 18 && (m[18] & 0xff) == t.value();
    }

    @Test
    void deadPeerIsDetectedAndItsSasRemoved() throws Exception {
        IkeConfig.Conn a = conn("to-b", "198.19.0.1", "198.19.0.2", "a.ipsm.test", "b.ipsm.test", true,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.1.0/24", "198.18.2.0/24",
                Duration.ZERO, Duration.ZERO, Duration.ofMillis(300), PSK);
        IkeConfig.Conn b = conn("to-a", "198.19.0.2", "198.19.0.1", "b.ipsm.test", "a.ipsm.test", false,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.2.0/24", "198.18.1.0/24",
                Duration.ZERO, Duration.ZERO, Duration.ZERO, PSK);
        try (EnginePair p = new EnginePair(a, b)) {
            p.start();
            p.awaitUp(1);
            await("a liveness check answered", Duration.ofSeconds(5), () -> count(p.a, "liveness_ok") >= 1);
            AtomicBoolean cut = new AtomicBoolean(true);
            p.drop = (dir, m) -> cut.get();
            long t0 = System.nanoTime();
            await("A gives the peer up", Duration.ofSeconds(10), () -> count(p.a, "peer_lost") >= 1);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // dpd 300 ms + 150 * (1 + 1.5 + 2.25 + 3.375) ms of retransmissions, with slack.
            assertTrue(ms < 4000, "took " + ms + " ms");
            await("A removed the SAs", Duration.ofSeconds(2), () -> children(p.a).isEmpty());
            // A re-initiates; when the wire heals, the SAs come back (B sees INITIAL_CONTACT).
            cut.set(false);
            await("SAs back", Duration.ofSeconds(10), () -> established(p.a) == 1 && children(p.a).size() == 1
                    && established(p.b) == 1 && children(p.b).size() == 1);
            p.a.call(() -> null);
            p.b.call(() -> null);
            byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 100);
            assertArrayEquals(ab, roundTrip(p.dpA, p.dpB, ab));
        }
    }

    /**
     * One side rekeys the CHILD_SA, the other the IKE SA, then the other way round (acceptance:
     * rekeys started by each side), while packets flow both ways: none is lost.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "initiator rekeys the {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"child", "ike"})
    void childAndIkeRekeysUnderTrafficLoseNothing(String initiatorRekeys) throws Exception {
        boolean aChild = initiatorRekeys.equals("child");
        Duration childRekey = Duration.ofMillis(600);
        Duration ikeRekey = Duration.ofMillis(1000);
        IkeConfig.Conn a = conn("to-b", "198.19.0.1", "198.19.0.2", "a.ipsm.test", "b.ipsm.test", true,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.1.0/24", "198.18.2.0/24",
                aChild ? childRekey : Duration.ZERO, aChild ? Duration.ZERO : ikeRekey, Duration.ZERO, PSK);
        IkeConfig.Conn b = conn("to-a", "198.19.0.2", "198.19.0.1", "b.ipsm.test", "a.ipsm.test", false,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.2.0/24", "198.18.1.0/24",
                aChild ? Duration.ZERO : childRekey, aChild ? ikeRekey : Duration.ZERO, Duration.ZERO, PSK);
        try (EnginePair p = new EnginePair(a, b)) {
            p.start();
            p.awaitUp(1);
            long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            int sent = 0;
            byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 200);
            byte[] ba = TestPackets.udp("198.18.2.20", "198.18.1.10", 2000, 1000, 200);
            while (System.nanoTime() < end) {
                assertArrayEquals(ab, roundTrip(p.dpA, p.dpB, ab));
                assertArrayEquals(ba, roundTrip(p.dpB, p.dpA, ba));
                sent += 2;
                Thread.sleep(1);
            }
            IkeEngine childSide = aChild ? p.a : p.b;
            IkeEngine ikeSide = aChild ? p.b : p.a;
            String counters = "a " + p.a.counters() + " b " + p.b.counters();
            assertTrue(count(childSide, "child_rekeys_initiated") >= 3, counters);
            assertTrue(count(ikeSide, "child_rekeys_answered") >= 3, counters);
            assertTrue(count(ikeSide, "ike_rekeys_initiated") >= 2, counters);
            assertTrue(count(childSide, "ike_rekeys_answered") >= 2, counters);
            assertTrue(sent > 100);
            await("old SAs gone", Duration.ofSeconds(5), () -> p.dpA.securityAssociations().size() == 2
                    && p.dpB.securityAssociations().size() == 2 && p.a.ikeSaCounts().size() == 1
                    && established(p.a) == 1 && established(p.b) == 1);
        }
    }

    /**
     * Both sides rekey the same CHILD_SA on the same sub-second schedule (life time three
     * rekey intervals), and the IKE SA too, under traffic both ways: collisions of every kind
     * (§2.8.1 nonce resolution, CHILD_SA rekeys during an IKE SA rekey, IKE SA rekeys crossing
     * each other and resolved by §2.8.2, life times running out) and not one packet may be
     * lost. Before §2.8.1 was implemented this found a pair expiring unreplaced. Harsher:
     * {@code -Dipsm.stress.rekey-ms=120 -Dipsm.stress.seconds=15}.
     */
    @Test
    void simultaneousRekeysAreResolved() throws Exception {
        // -Dipsm.stress.rekey-ms and -Dipsm.stress.seconds make it harsher or longer.
        Duration rekey = Duration.ofMillis(Long.getLong("ipsm.stress.rekey-ms", 400));
        IkeConfig.Conn a = conn("to-b", "198.19.0.1", "198.19.0.2", "a.ipsm.test", "b.ipsm.test", true,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.1.0/24", "198.18.2.0/24",
                rekey, rekey.multipliedBy(7).dividedBy(4), Duration.ZERO, PSK);
        IkeConfig.Conn b = conn("to-a", "198.19.0.2", "198.19.0.1", "b.ipsm.test", "a.ipsm.test", false,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.2.0/24", "198.18.1.0/24",
                rekey, rekey.multipliedBy(7).dividedBy(4), Duration.ZERO, PSK);
        try (EnginePair p = new EnginePair(a, b)) {
            p.start();
            p.awaitUp(1);
            long end = System.nanoTime() + Duration.ofSeconds(Long.getLong("ipsm.stress.seconds", 4)).toNanos();
            byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 200);
            byte[] ba = TestPackets.udp("198.18.2.20", "198.18.1.10", 2000, 1000, 200);
            int sent = 0;
            List<String> lost = new java.util.ArrayList<>();
            while (System.nanoTime() < end) {
                for (byte[][] dir : new byte[][][] {{ab, null}, {ba, null}}) {
                    sent++;
                    try {
                        boolean aToB = dir[0] == ab;
                        assertArrayEquals(dir[0], aToB ? roundTrip(p.dpA, p.dpB, ab) : roundTrip(p.dpB, p.dpA, ba));
                    } catch (AssertionError e) {
                        lost.add(e.getMessage());
                    }
                }
                Thread.sleep(1);
            }
            if (!lost.isEmpty()) {
                System.out.println("--- engine a\n" + String.join("\n", p.logA) + "\n--- engine b\n"
                        + String.join("\n", p.logB));
            }
            assertTrue(lost.isEmpty(), lost.size() + " of " + sent + " packets lost, first: "
                    + lost.subList(0, Math.min(3, lost.size())));
            // Back to one consistent pair: the engines' views mirror each other.
            p.a.call(() -> null);
            p.b.call(() -> null);
            String counters = "a " + p.a.counters() + " b " + p.b.counters();
            System.out.println("stress counters: " + counters);
            assertTrue(count(p.a, "child_rekeys_initiated") + count(p.b, "child_rekeys_initiated") >= 6, counters);
            assertEquals(0, count(p.a, "internal_error") + count(p.b, "internal_error"), counters);
        }
    }

    /**
     * RFC 7296 §2.8.1, made to happen: both sides start a rekey of the same CHILD_SA before
     * either request arrives. Each answers the other's as usual; the nonces pick one new pair,
     * whose initiator deletes the old one, and the other pair's initiator deletes it. Whichever
     * request arrives first, both sides end with the same single pair, and nothing is refused.
     */
    @Test
    void simultaneousChildRekeysKeepThePairTheNoncesChoose() throws Exception {
        for (String first : List.of("a>b", "b>a")) {
            try (EnginePair p = tunnelPair("aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-ecp256")) {
                p.start();
                p.awaitUp(1);
                int oldIn = children(p.a).getFirst().inSpi();
                p.hold();
                for (IkeEngine e : List.of(p.a, p.b)) {
                    e.call(() -> {
                        IkeSa s = e.ikeSas().getFirst();
                        e.rekeyChild(s, s.children().getFirst());
                        return null;
                    });
                }
                await("both rekey requests on the wire", Duration.ofSeconds(2), () -> p.heldCount() == 2);
                p.release(first);
                await("one pair left on each side, mirrored", Duration.ofSeconds(5), () -> {
                    List<ChildSa> ca = children(p.a);
                    List<ChildSa> cb = children(p.b);
                    return ca.size() == 1 && cb.size() == 1 && ca.getFirst().inSpi() != oldIn
                            && ca.getFirst().inSpi() == cb.getFirst().outSpi()
                            && ca.getFirst().outSpi() == cb.getFirst().inSpi()
                            && ca.getFirst().state() == ChildSa.State.INSTALLED
                            && cb.getFirst().state() == ChildSa.State.INSTALLED;
                });
                p.a.call(() -> null);
                p.b.call(() -> null);
                String counters = first + ": a " + p.a.counters() + " b " + p.b.counters();
                assertEquals(1, count(p.a, "rekey_collisions_won") + count(p.b, "rekey_collisions_won"), counters);
                assertEquals(1, count(p.a, "rekey_collisions_lost") + count(p.b, "rekey_collisions_lost"), counters);
                assertEquals(0, count(p.a, "rekey_temporary_failure") + count(p.b, "rekey_temporary_failure"), counters);
                assertEquals(0, count(p.a, "internal_error") + count(p.b, "internal_error"), counters);
                byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 200);
                byte[] ba = TestPackets.udp("198.18.2.20", "198.18.1.10", 2000, 1000, 200);
                assertArrayEquals(ab, roundTrip(p.dpA, p.dpB, ab), counters);
                assertArrayEquals(ba, roundTrip(p.dpB, p.dpA, ba), counters);
            }
        }
    }

    /**
     * RFC 7296 §2.8.2, made to happen: both sides start a rekey of the IKE SA before either
     * request arrives. Each answers the other's as usual, so two new IKE SAs exist; the one made
     * with the lowest of the four nonces is deleted by its initiator, the other takes over the
     * CHILD_SA, and its initiator deletes the old SA. Whichever request arrives first, both sides
     * end with the same single IKE SA, nothing is refused and no packet is lost.
     */
    @Test
    void simultaneousIkeRekeysKeepTheSaTheNoncesChoose() throws Exception {
        for (String first : List.of("a>b", "b>a")) {
            try (EnginePair p = tunnelPair("aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-ecp256")) {
                p.start();
                p.awaitUp(1);
                ChildSa childA = children(p.a).getFirst();
                List<IkeSa> seen = holdCrossingIkeRekeys(p);
                p.release(first);
                // Traffic flows both ways all along, on the CHILD_SA that moves between IKE SAs.
                int sent = flowUntil(p, "one IKE SA left on each side", () -> {
                    seen.addAll(p.a.call(p.a::ikeSas));
                    seen.addAll(p.b.call(p.b::ikeSas));
                    return p.mirrored();
                });
                String counters = first + ": a " + p.a.counters() + " b " + p.b.counters();
                assertTrue(sent > 0, counters);
                assertEquals(1, count(p.a, "ike_rekey_collisions"), counters);
                assertEquals(1, count(p.b, "ike_rekey_collisions"), counters);
                boolean aWon = count(p.a, "ike_rekey_collisions_won") == 1;
                IkeEngine winner = aWon ? p.a : p.b;
                IkeEngine loser = aWon ? p.b : p.a;
                assertEquals(1, count(winner, "ike_rekey_collisions_won"), counters);
                assertEquals(0, count(winner, "ike_rekey_collisions_lost"), counters);
                assertEquals(1, count(loser, "ike_rekey_collisions_lost"), counters);
                assertEquals(0, count(loser, "ike_rekey_collisions_won"), counters);
                // The survivor is the SA the winner initiated; the redundant one was deleted by the loser.
                assertTrue(winner.call(() -> winner.ikeSas().getFirst().initiator), counters);
                assertNoTemporaryFailure(p, counters);
                assertTrue(p.logged(aWon ? p.logA : p.logB, l -> l.contains("rekey collision won")), counters);
                assertTrue(p.logged(aWon ? p.logB : p.logA, l -> l.contains("rekey collision lost")), counters);
                assertSurvivorCarriesTheChild(p, childA, seen, counters);
            }
        }
    }

    /**
     * §2.8.2 when the messages that decide a collision arrive out of order: the requests cross,
     * then the response to one side is held back while the other side decides and acts on it.
     * "winner deletes old": the loser hears the winner's DELETE of the old SA before its own
     * response, takes the winner's new SA at once (its own response then finds the old SA gone),
     * and the winner drops the loser's redundant SA, which is never deleted, after a while.
     * "loser deletes redundant": the winner hears the loser delete its redundant SA before the
     * winner's own response comes, which then completes the rekey as if there had been no
     * collision. Either way both sides end with the winner's SA.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"winner deletes old", "loser deletes redundant"})
    void ikeRekeyCollisionWithALateResponse(String scenario) throws Exception {
        try (EnginePair p = tunnelPair("aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-ecp256")) {
            p.start();
            p.awaitUp(1);
            ChildSa childA = children(p.a).getFirst();
            List<IkeSa> seen = holdCrossingIkeRekeys(p);
            // The requests cross; both answers wait on the wire.
            p.hold((dir, m) -> isMessage(m, ExchangeType.CREATE_CHILD_SA, true));
            p.releaseOnly((dir, m) -> true);
            await("both answers on the wire", Duration.ofSeconds(2), () -> p.heldCount() == 2);
            // Who wins is known now: each side holds the other's new SA, with its nonces.
            byte[] lowerOfB = undecidedLowerNonce(p.a);
            byte[] lowerOfA = undecidedLowerNonce(p.b);
            boolean aWins = java.util.Arrays.compareUnsigned(lowerOfA, lowerOfB) > 0;
            String toLoser = aWins ? "a>b" : "b>a";
            String toWinner = aWins ? "b>a" : "a>b";
            IkeEngine winner = aWins ? p.a : p.b;
            IkeEngine loser = aWins ? p.b : p.a;
            boolean winnerFirst = scenario.equals("winner deletes old");
            // The side that decides first gets its answer; the other's waits.
            p.releaseOnly((dir, m) -> dir.equals(winnerFirst ? toWinner : toLoser));
            if (winnerFirst) {
                await("the loser takes the winner's SA on its DELETE of the old SA", Duration.ofSeconds(3),
                        () -> count(loser, "ike_rekey_collisions_lost") == 1 && count(winner, "ike_sa_deleted") >= 1);
            } else {
                await("the winner hears the loser delete its redundant SA", Duration.ofSeconds(3),
                        () -> count(winner, "ike_rekey_collisions_won") == 1 && count(winner, "ike_sa_deleted") >= 1);
            }
            p.release(winnerFirst ? toLoser : toWinner);
            int sent = flowUntil(p, "one IKE SA left on each side", () -> {
                seen.addAll(p.a.call(p.a::ikeSas));
                seen.addAll(p.b.call(p.b::ikeSas));
                return p.mirrored();
            });
            String counters = scenario + ": a " + p.a.counters() + " b " + p.b.counters();
            assertTrue(sent > 0, counters);
            assertEquals(1, count(winner, "ike_rekey_collisions_won"), counters);
            assertEquals(1, count(loser, "ike_rekey_collisions_lost"), counters);
            assertEquals(0, count(winner, "ike_rekey_collisions_lost") + count(loser, "ike_rekey_collisions_won"),
                    counters);
            assertTrue(winner.call(() -> winner.ikeSas().getFirst().initiator), counters);
            if (winnerFirst) {
                assertTrue(p.logged(aWins ? p.logA : p.logB, l -> l.contains("never deleted by the peer")), counters);
            }
            assertNoTemporaryFailure(p, counters);
            assertSurvivorCarriesTheChild(p, childA, seen, counters);
        }
    }

    /**
     * A's CHILD_SA rekey is on the wire when B's IKE SA rekey reaches A: A answers
     * TEMPORARY_FAILURE (as strongSwan does: the rekeyed IKE SA is deleted next, and A's exchange
     * on it must end first), B retries later, and both end on one IKE SA with the new pair.
     */
    @Test
    void aPeersIkeRekeyWaitsForOurChildExchange() throws Exception {
        try (EnginePair p = tunnelPair("aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-ecp256")) {
            p.start();
            p.awaitUp(1);
            long oldIn = children(p.a).getFirst().inSpi();
            p.hold();
            p.a.call(() -> {
                IkeSa s = p.a.ikeSas().getFirst();
                p.a.rekeyChild(s, s.children().getFirst());
                return null;
            });
            await("A's CHILD_SA rekey on the wire", Duration.ofSeconds(2), () -> p.heldCount() == 1);
            p.hold((dir, m) -> false); // A's request stays held; everything else flows
            rekeyIke(p.b);
            await("A refuses B's IKE SA rekey for now", Duration.ofSeconds(3),
                    () -> count(p.b, "ike_rekey_temporary_failure") == 1);
            assertEquals(1, count(p.a, "temporary_failure"), p.a.counters().toString());
            p.release("a>b");
            int sent = flowUntil(p, "B's retried IKE SA rekey and A's CHILD_SA rekey done", () ->
                    count(p.b, "ike_rekeys_initiated") == 1 && count(p.a, "child_rekeys_initiated") == 1
                            && p.mirrored() && children(p.a).getFirst().inSpi() != oldIn);
            String counters = "a " + p.a.counters() + " b " + p.b.counters();
            assertTrue(sent > 0, counters);
            assertEquals(0, count(p.a, "internal_error") + count(p.b, "internal_error"), counters);
        }
    }

    /**
     * After an IKE SA rekey, the peer never answers our DELETE of the old SA (here it never gets
     * it). The old SA goes when the retransmissions give up, counted as an unconfirmed delete:
     * the peer is not lost, and the new SA and its CHILD_SA stay.
     */
    @Test
    void anUnansweredDeleteOfTheOldIkeSaDoesNotLoseThePeer() throws Exception {
        try (EnginePair p = tunnelPair("aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-ecp256")) {
            p.start();
            p.awaitUp(1);
            long oldSpi = p.a.call(() -> p.a.ikeSas().getFirst().spiI);
            // Every INFORMATIONAL request from A on the old SA is lost (IKE SPIs lead the header).
            p.drop = (dir, m) -> dir.equals("a>b") && isMessage(m, ExchangeType.INFORMATIONAL, false)
                    && java.nio.ByteBuffer.wrap(m).getLong(0) == oldSpi;
            rekeyIke(p.a);
            await("A gives up its DELETE of the old SA", Duration.ofSeconds(5),
                    () -> count(p.a, "delete_unconfirmed") == 1);
            String counters = "a " + p.a.counters() + " b " + p.b.counters();
            assertEquals(0, count(p.a, "peer_lost"), counters);
            assertEquals(1, established(p.a), counters);
            assertEquals(1, children(p.a).size(), counters);
            assertTrue(p.a.call(() -> p.a.ikeSas().stream().noneMatch(s -> s.spiI == oldSpi)), counters);
            byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 300);
            assertArrayEquals(ab, roundTrip(p.dpA, p.dpB, ab));
        }
    }

    /**
     * The special case of §2.8.2: B's rekey completes before A's request reaches it, so only A
     * sees a collision. B answers A's request with TEMPORARY_FAILURE (the SA is being closed,
     * §2.25) and deletes the old SA; A takes B's new SA on whichever of the two comes first, and
     * does not retry its own rekey.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0} first")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"delete", "temporary failure"})
    void ikeRekeyCollisionSeenByOneSideOnly(String firstOnA) throws Exception {
        try (EnginePair p = tunnelPair("aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-ecp256")) {
            p.start();
            p.awaitUp(1);
            ChildSa childA = children(p.a).getFirst();
            boolean failureFirst = firstOnA.equals("temporary failure");
            // A's request waits; with "temporary failure", B's DELETE of the old SA too.
            p.hold((dir, m) -> dir.equals("a>b") && isMessage(m, ExchangeType.CREATE_CHILD_SA, false)
                    || failureFirst && dir.equals("b>a") && isMessage(m, ExchangeType.INFORMATIONAL, false));
            List<IkeSa> seen = new java.util.ArrayList<>(p.a.call(p.a::ikeSas));
            seen.addAll(p.b.call(p.b::ikeSas));
            rekeyIke(p.a);
            await("A's request on the wire", Duration.ofSeconds(2), () -> p.heldCount() == 1);
            rekeyIke(p.b);
            await("B's rekey done", Duration.ofSeconds(3), () -> count(p.b, "ike_rekeys_initiated") == 1);
            seen.addAll(p.a.call(p.a::ikeSas));
            seen.addAll(p.b.call(p.b::ikeSas));
            if (failureFirst) {
                await("B's DELETE of the old SA on the wire", Duration.ofSeconds(2), () -> p.heldCount() == 2);
                p.releaseOnly((dir, m) -> dir.equals("a>b"));
                await("A hears TEMPORARY_FAILURE", Duration.ofSeconds(3),
                        () -> count(p.a, "ike_rekey_collisions_lost") == 1);
                assertEquals(1, count(p.b, "temporary_failure"), p.b.counters().toString());
            } else {
                await("A takes B's SA on its DELETE", Duration.ofSeconds(3),
                        () -> count(p.a, "ike_rekey_collisions_lost") == 1);
            }
            p.release("b>a");
            int sent = flowUntil(p, "one IKE SA left on each side", () -> {
                seen.addAll(p.a.call(p.a::ikeSas));
                seen.addAll(p.b.call(p.b::ikeSas));
                return p.mirrored();
            });
            String counters = firstOnA + ": a " + p.a.counters() + " b " + p.b.counters();
            assertTrue(sent > 0, counters);
            assertEquals(1, count(p.a, "ike_rekey_collisions"), counters);
            assertEquals(0, count(p.b, "ike_rekey_collisions"), counters);
            assertEquals(0, count(p.a, "ike_rekey_temporary_failure"), "no retry: " + counters);
            assertEquals(0, count(p.a, "ike_rekeys_initiated"), counters);
            assertTrue(p.b.call(() -> p.b.ikeSas().getFirst().initiator), counters);
            Thread.sleep(1700); // longer than a retry would wait: A does not rekey again
            assertEquals(0, count(p.a, "ike_rekeys_initiated"), counters);
            assertSurvivorCarriesTheChild(p, childA, seen, counters);
        }
    }

    /**
     * Both sides start an IKE SA rekey while the wire holds everything: returns once both
     * requests are held, with the IKE SAs seen so far on either side.
     */
    private static List<IkeSa> holdCrossingIkeRekeys(EnginePair p) throws Exception {
        p.hold();
        rekeyIke(p.a);
        rekeyIke(p.b);
        await("both IKE rekey requests on the wire", Duration.ofSeconds(2), () -> p.heldCount() == 2);
        List<IkeSa> seen = new java.util.ArrayList<>(p.a.call(p.a::ikeSas));
        seen.addAll(p.b.call(p.b::ikeSas));
        return seen;
    }

    private static void rekeyIke(IkeEngine e) throws InterruptedException {
        e.call(() -> {
            e.rekeyIke(e.ikeSas().getFirst());
            return null;
        });
    }

    /** Whether {@code m} is a request (or, with {@code response}, a response) of exchange {@code t}. */
    static boolean isMessage(byte[] m, ExchangeType t, boolean response) {
        return isExchange(m, t) && ((m[19] & 0x20) != 0) == response;
    }

    /** The lower nonce of the exchange that made the engine's UNDECIDED SA (the peer's rekey). */
    private static byte[] undecidedLowerNonce(IkeEngine e) throws InterruptedException {
        return e.call(() -> {
            IkeSa undecided = e.ikeSas().stream().filter(s -> s.state() == IkeSa.State.UNDECIDED).findFirst()
                    .orElseThrow(() -> new AssertionError("no undecided SA: " + e.ikeSas()));
            return ChildSa.lowerOf(undecided.nonceI, undecided.nonceR);
        });
    }

    /**
     * Packets both ways, at least once and then until {@code done} (at most 10 s): every one must
     * arrive. Returns how many were sent.
     */
    private static int flowUntil(EnginePair p, String what, java.util.concurrent.Callable<Boolean> done)
            throws Exception {
        byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 200);
        byte[] ba = TestPackets.udp("198.18.2.20", "198.18.1.10", 2000, 1000, 200);
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int sent = 0;
        do {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what + ": a " + p.a.call(p.a::ikeSas) + " "
                        + p.a.counters() + " b " + p.b.call(p.b::ikeSas) + " " + p.b.counters());
            }
            assertArrayEquals(ab, roundTrip(p.dpA, p.dpB, ab), "a packet a>b was lost");
            assertArrayEquals(ba, roundTrip(p.dpB, p.dpA, ba), "a packet b>a was lost");
            sent += 2;
            Thread.sleep(2);
        } while (!done.call());
        return sent;
    }

    /** Nobody refused or deferred anything: TEMPORARY_FAILURE is not how §2.8.2 collisions end. */
    private static void assertNoTemporaryFailure(EnginePair p, String counters) {
        for (IkeEngine e : List.of(p.a, p.b)) {
            for (String c : List.of("temporary_failure", "rekey_deferred", "ike_rekey_temporary_failure",
                    "rekey_temporary_failure", "ike_rekey_collision_deferred", "internal_error")) {
                assertEquals(0, count(e, c), c + " in " + counters);
            }
        }
    }

    /**
     * The surviving IKE SA holds the original CHILD_SA (moved, not rekeyed), which carries traffic;
     * the IKE SA works both ways (a CHILD_SA rekey from each side); every other IKE SA seen is
     * dead with its keys zeroed.
     */
    private static void assertSurvivorCarriesTheChild(EnginePair p, ChildSa original, List<IkeSa> seen,
                                                      String counters) throws Exception {
        IkeSa survivorA = p.a.call(() -> p.a.ikeSas().getFirst());
        IkeSa survivorB = p.b.call(() -> p.b.ikeSas().getFirst());
        assertEquals(original.inSpi(), children(p.a).getFirst().inSpi(), counters);
        assertTrue(p.a.call(() -> original.owner == survivorA), counters);
        for (IkeSa s : seen) {
            if (s != survivorA && s != survivorB) {
                assertEquals(IkeSa.State.DEAD, p.a.call(s::state), s + " " + counters);
                assertTrue(s.keys.isDestroyed(), "keys of " + s + " zeroed");
            }
        }
        assertEquals(0, count(p.a, "internal_error") + count(p.b, "internal_error"), counters);
        for (IkeEngine e : List.of(p.a, p.b)) {
            long before = count(e, "child_rekeys_initiated");
            e.call(() -> {
                IkeSa s = e.ikeSas().getFirst();
                e.rekeyChild(s, s.children().getFirst());
                return null;
            });
            await("a CHILD_SA rekey on the surviving IKE SA", Duration.ofSeconds(5),
                    () -> count(e, "child_rekeys_initiated") == before + 1 && children(p.a).size() == 1
                            && children(p.b).size() == 1);
        }
        p.a.call(() -> null);
        p.b.call(() -> null);
        byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 200);
        byte[] ba = TestPackets.udp("198.18.2.20", "198.18.1.10", 2000, 1000, 200);
        assertArrayEquals(ab, roundTrip(p.dpA, p.dpB, ab), counters);
        assertArrayEquals(ba, roundTrip(p.dpB, p.dpA, ba), counters);
        assertEquals(survivorA, p.a.call(() -> p.a.ikeSas().getFirst()), "still the same IKE SA");
    }

    /** A pair that reaches its life time unreplaced is deleted and, for a start-yes connection, made anew. */
    @Test
    void expiredChildIsReplacedForAStartConnection() throws Exception {
        IkeConfig.Conn a = conn("to-b", "198.19.0.1", "198.19.0.2", "a.ipsm.test", "b.ipsm.test", true,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.1.0/24", "198.18.2.0/24",
                Duration.ZERO, Duration.ZERO, Duration.ZERO, PSK);
        IkeConfig.Child lives = new IkeConfig.Child("net", Mode.TUNNEL, a.children().getFirst().localTs(),
                a.children().getFirst().remoteTs(), a.children().getFirst().proposals(), Duration.ZERO,
                Duration.ofMillis(600), 0, 0, 1024);
        a = new IkeConfig.Conn(a.name(), a.local(), a.remote(), a.localId(), a.remoteId(), a.auth(), a.psk(), null, null,
                List.of(), List.of(), a.ikeProposals(), true, a.dpd(), a.rekeyTime(), a.retransmit(), false,
                List.of(lives));
        IkeConfig.Conn b = conn("to-a", "198.19.0.2", "198.19.0.1", "b.ipsm.test", "a.ipsm.test", false,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.2.0/24", "198.18.1.0/24",
                Duration.ZERO, Duration.ZERO, Duration.ZERO, PSK);
        try (EnginePair p = new EnginePair(a, b)) {
            p.start();
            p.awaitUp(1);
            int first = children(p.a).getFirst().inSpi();
            await("a new pair after the first expired", Duration.ofSeconds(5), () -> {
                // One snapshot per look: between two, the old pair may go before the new one comes.
                List<ChildSa> now = children(p.a);
                return count(p.a, "child_expired") >= 1 && now.size() == 1 && now.getFirst().inSpi() != first
                        && children(p.b).size() == 1;
            });
            p.a.call(() -> null);
            p.b.call(() -> null);
            byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 200);
            assertArrayEquals(ab, roundTrip(p.dpA, p.dpB, ab));
        }
    }

    /**
     * {@code start trap}: nothing is negotiated until traffic needs it. The first packet that
     * a child's selectors cover is dropped and starts IKE; plaintext from the peer is dropped
     * meanwhile; once the pair is up, traffic flows through it.
     */
    @Test
    void trapPoliciesDropAndNegotiateOnDemand() throws Exception {
        IkeConfig.Conn t = conn("to-b", "198.19.0.1", "198.19.0.2", "a.ipsm.test", "b.ipsm.test", false,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.1.0/24", "198.18.2.0/24",
                Duration.ZERO, Duration.ZERO, Duration.ZERO, PSK);
        IkeConfig.Conn a = new IkeConfig.Conn(t.name(), t.local(), t.remote(), t.localId(), t.remoteId(), t.auth(),
                t.psk(), null, null, List.of(), List.of(), t.ikeProposals(), false, t.dpd(), t.rekeyTime(),
                t.retransmit(), false, t.children(), IkeConfig.Fragmentation.DEFAULT, true);
        IkeConfig.Conn b = conn("to-a", "198.19.0.2", "198.19.0.1", "b.ipsm.test", "a.ipsm.test", false,
                "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, "198.18.2.0/24", "198.18.1.0/24",
                Duration.ZERO, Duration.ZERO, Duration.ZERO, PSK);
        try (EnginePair p = new EnginePair(a, b)) {
            p.start();
            p.a.call(() -> null);
            Thread.sleep(300);
            assertEquals(0, established(p.a), "a trap does not initiate by itself");
            byte[] ab = TestPackets.udp("198.18.1.10", "198.18.2.20", 1000, 2000, 200);
            byte[] ba = TestPackets.udp("198.18.2.20", "198.18.1.10", 2000, 1000, 200);
            io.ipsecmesh.packet.PacketBuffer plain = new io.ipsecmesh.packet.PacketBuffer().set(ba, 0, ba.length);
            assertEquals(io.ipsecmesh.sa.DropReason.POLICY, p.dpA.process(new io.ipsecmesh.sa.WorkerContext(0), plain),
                    "plaintext from the peer's selectors is dropped");
            // The first packet is dropped and starts the negotiation; the others are dropped
            // until the CHILD_SA is in (the handshake may end before the 50th packet), then protected.
            boolean up = false;
            for (int i = 0; i < 50; i++) {
                io.ipsecmesh.packet.PacketBuffer pb = new io.ipsecmesh.packet.PacketBuffer().set(ab, 0, ab.length);
                io.ipsecmesh.sa.DropReason r = p.dpA.process(new io.ipsecmesh.sa.WorkerContext(0), pb);
                up |= i > 0 && r == io.ipsecmesh.sa.DropReason.NONE;
                assertEquals(up ? io.ipsecmesh.sa.DropReason.NONE : io.ipsecmesh.sa.DropReason.NO_SA, r, "packet " + i);
            }
            p.awaitUp(1);
            assertEquals(1, count(p.a, "acquires"), "50 packets, one acquire");
            assertArrayEquals(ab, roundTrip(p.dpA, p.dpB, ab));
            assertArrayEquals(ba, roundTrip(p.dpB, p.dpA, ba));
        }
    }

    @Test
    void hostileMessagesAreCountedAndChangeNothing() throws Exception {
        try (EnginePair p = tunnelPair("aes128gcm16-prfsha256-ecp256", "aes128gcm16-prfsha256-ecp256")) {
            p.start();
            p.awaitUp(1);
            byte[] auth = p.wire.stream().filter(e -> e.getKey().equals("a>b") && isExchange(e.getValue(), ExchangeType.IKE_AUTH))
                    .findFirst().orElseThrow().getValue();
            var from = new java.net.InetSocketAddress(ip("198.19.0.1"), 500);
            var to = new java.net.InetSocketAddress(ip("198.19.0.2"), 500);
            List<IkeSa> before = p.b.call(p.b::ikeSas);
            long children = children(p.b).size();
            // truncated, garbage, a bit flip in the SK payload, an unknown SPI, an old message ID
            byte[] truncated = java.util.Arrays.copyOf(auth, 20);
            byte[] flipped = auth.clone();
            flipped[flipped.length - 5] ^= 1;
            byte[] unknownSpi = auth.clone();
            unknownSpi[8] ^= 0x55;
            for (byte[] m : List.of(truncated, new byte[] {1, 2, 3}, flipped, unknownSpi)) {
                p.b.execute(() -> p.b.receive(m, from, to));
            }
            await("counted", Duration.ofSeconds(2), () -> count(p.b, "malformed") >= 2 && count(p.b, "unknown_spi") >= 1
                    && (count(p.b, "integrity") >= 1 || count(p.b, "bad_message_id") >= 1));
            assertEquals(before, p.b.call(p.b::ikeSas));
            assertEquals(children, children(p.b).size());
            assertEquals(1, established(p.b));
            assertEquals(0, count(p.b, "internal_error"));
        }
    }
}
