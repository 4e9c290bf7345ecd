package io.ipsecmesh.ike.engine;

import io.ipsecmesh.dataplane.UserspaceDataPlane;
import io.ipsecmesh.ike.ChildProposal;
import io.ipsecmesh.ike.CryptoSelfTest;
import io.ipsecmesh.ike.IkeProposal;
import io.ipsecmesh.sa.Mode;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's start-up self-test: the crypto known-answer tests, then complete IKE_SA_INIT +
 * IKE_AUTH exchanges (with each configured IKE proposal) between two throwaway engines joined
 * in memory, whose CHILD_SAs must come out as mirror images. Batches of handshakes straight
 * and through an in-memory NAT (NAT detection, port 4500, ESP in UDP) take turns. It proves
 * the engine works before it speaks to a peer, and it leaves the code paths loaded and
 * compiled, so that real handshakes are not slowed by class loading and the JIT: a few hundred
 * handshakes get the hot code (Bouncy Castle's EC arithmetic, the codecs, the tasks) through
 * C2, which 30 did not.
 */
public final class EngineSelfTest {

    /** How far the self-test's NAT moves the initiator's ports (500 -> 1500, 4500 -> 5500). */
    static final int NAT_PORT_SHIFT = 1000;

    /** Handshakes per case at least, however many cases share the budget. */
    static final int MIN_ROUNDS = 4;

    /** Handshakes per pair of throwaway engines (straight or through the NAT). */
    static final int BATCH = 16;

    private EngineSelfTest() {
    }

    /**
     * Handshakes with PSK for each of {@code proposals}, and for each certificate connection in
     * {@code certConns} handshakes in which both throwaway engines authenticate with that
     * connection's own key and certificate and check them against its CAs (skipped, with a note,
     * when the certificate does not chain to them). Each case has its share of {@code time}: once
     * that is spent, and it has run a batch straight and one through the NAT, it stops short of
     * its handshakes.
     *
     * @param proposals  the IKE proposals to exercise (those of the config)
     * @param handshakes handshakes in all, shared evenly by the cases (at least
     *                   {@link #MIN_ROUNDS} each)
     * @return what was run, for the log
     * @throws IllegalStateException if anything disagrees
     */
    public static String run(List<IkeProposal> proposals, List<IkeConfig.Conn> certConns, int handshakes,
                             Duration time) throws IOException, InterruptedException {
        int rounds = Math.max(MIN_ROUNDS, handshakes / Math.max(1, proposals.size() + certConns.size()));
        SecureRandom random = new SecureRandom();
        long t0 = System.nanoTime();
        CryptoSelfTest.run(random);
        byte[] psk = new byte[32];
        random.nextBytes(psk);
        int n = 0;
        List<String> notes = new ArrayList<>();
        List<Object[]> cases = new ArrayList<>();
        for (IkeProposal proposal : proposals) {
            cases.add(new Object[] {proposal, null});
        }
        for (IkeConfig.Conn c : certConns) {
            cases.add(new Object[] {c.ikeProposals().getFirst(), c});
        }
        for (Object[] k : cases) {
            IkeProposal proposal = (IkeProposal) k[0];
            IkeConfig.Conn own = (IkeConfig.Conn) k[1];
            InetAddress a = InetAddress.getByAddress(new byte[] {(byte) 198, 18, (byte) 255, 1});
            InetAddress b = InetAddress.getByAddress(new byte[] {(byte) 198, 18, (byte) 255, 2});
            IkeConfig.Child child = new IkeConfig.Child("selftest", Mode.TUNNEL, List.of(), List.of(),
                    List.of(ChildProposal.parse("aes128gcm16")), Duration.ZERO, Duration.ZERO, 0, 0, 128);
            IkeConfig.Retransmit rt = new IkeConfig.Retransmit(Duration.ofSeconds(2), 1.5, 2);
            IkeConfig.Conn ca;
            IkeConfig.Conn cb;
            if (own == null) {
                ca = new IkeConfig.Conn("selftest", a, b, "a.selftest", "b.selftest", IkeConfig.AuthMethod.PSK,
                        psk, null, null, List.of(), List.of(), List.of(proposal), false, Duration.ZERO, Duration.ZERO,
                        rt, true, List.of(child));
                cb = new IkeConfig.Conn("selftest", b, a, "b.selftest", "a.selftest", IkeConfig.AuthMethod.PSK,
                        psk, null, null, List.of(), List.of(), List.of(proposal), false, Duration.ZERO, Duration.ZERO,
                        rt, true, List.of(child));
            } else {
                ca = new IkeConfig.Conn("selftest", a, b, own.localId(), own.localId(), IkeConfig.AuthMethod.CERT,
                        null, own.cert(), own.key(), own.cas(), own.crls(), List.of(proposal), false, Duration.ZERO,
                        Duration.ZERO, rt, true, List.of(child));
                cb = new IkeConfig.Conn("selftest", b, a, own.localId(), own.localId(), IkeConfig.AuthMethod.CERT,
                        null, own.cert(), own.key(), own.cas(), own.crls(), List.of(proposal), false, Duration.ZERO,
                        Duration.ZERO, rt, true, List.of(child));
                try {
                    CertAuthenticator auth = CertAuthenticator.load(own);
                    if (!auth.certifiesItself(IkeEngine.connection(own).localId())) {
                        notes.add("conn " + own.name() + ": our certificate does not chain to our CAs (no certificate self-test)");
                        continue;
                    }
                } catch (IOException e) {
                    throw new IllegalStateException("conn " + own.name() + ": " + e.getMessage(), e);
                }
            }
            // Batches straight and through a NAT that maps the initiator's ports (the path every
            // handshake with strongSwan's userspace ESP takes: NAT detected, port 4500, ESP in
            // UDP) take turns, so that both paths are tested and warm. A case stops early, after
            // one batch of each, when its share of the time is spent: a MODP group costs ten
            // times what an elliptic curve does.
            int batch = Math.clamp(rounds / 2, 1, BATCH);
            long caseEnd = System.nanoTime() + time.toNanos() / cases.size();
            int done = 0;
            for (int i = 0; done < rounds && (i < 2 || System.nanoTime() < caseEnd); i++) {
                int size = Math.min(batch, rounds - done);
                handshakes(ca, cb, proposal, own, random, size, i % 2 == 1);
                done += size;
            }
            n += done;
        }
        return "self-test passed: crypto known answers, " + n + " IKE_SA+CHILD_SA handshake(s) in memory ("
                + (System.nanoTime() - t0) / 1_000_000 + " ms)" + (notes.isEmpty() ? "" : "; " + String.join("; ", notes));
    }

    /** {@code rounds} handshakes between two throwaway engines; their CHILD_SAs must mirror. */
    private static void handshakes(IkeConfig.Conn ca, IkeConfig.Conn cb, IkeProposal proposal, IkeConfig.Conn own,
                                   SecureRandom random, int rounds, boolean nat)
            throws IOException, InterruptedException {
        if (rounds <= 0) {
            return;
        }
        UserspaceDataPlane dpA = new UserspaceDataPlane(1, random);
        UserspaceDataPlane dpB = new UserspaceDataPlane(1, random);
        // Both engines' threads log into it.
        List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());
        IkeEngine.Connection conA = IkeEngine.connection(ca);
        IkeEngine ea = new IkeEngine(List.of(conA), dpA, random, log::add, KeyLog.NONE);
        IkeEngine eb = new IkeEngine(List.of(IkeEngine.connection(cb)), dpB, random, log::add, KeyLog.NONE);
        // The NAT in front of A maps its port P to P + NAT_PORT_SHIFT, as B sees it.
        int shift = nat ? NAT_PORT_SHIFT : 0;
        ea.setTransport((from, to, m) -> deliver(eb, port(from, shift), to, m));
        eb.setTransport((from, to, m) -> deliver(ea, from, port(to, -shift), m));
        ea.start();
        eb.start();
        String what = proposal + (own == null ? "" : " and " + own.name() + "'s certificate") + (nat ? " through a NAT" : "");
        try {
            for (int i = 0; i < rounds; i++) {
                ea.execute(() -> ea.initiate(conA));
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (ea.counters().getOrDefault("child_sa_established", 0L) < rounds
                    || eb.counters().getOrDefault("child_sa_established", 0L) < rounds) {
                if (System.nanoTime() > end || ea.counters().containsKey("ike_sa_deleted")) {
                    throw new IllegalStateException("IKE self-test with " + what + " did not establish: "
                            + joined(log));
                }
                Thread.sleep(2);
            }
            List<IkeSa> sa = ea.call(ea::ikeSas);
            if (sa.stream().anyMatch(s -> s.natDetected != nat)) {
                throw new IllegalStateException("IKE self-test with " + what + ": NAT detection " + (nat ? "missed" : "false"));
            }
            List<ChildSa> ka = ea.call(() -> ea.ikeSas().stream().flatMap(s -> s.children().stream()).toList());
            List<ChildSa> kb = eb.call(() -> eb.ikeSas().stream().flatMap(s -> s.children().stream()).toList());
            for (ChildSa c : ka) {
                if (kb.stream().noneMatch(d -> d.inSpi() == c.outSpi() && d.outSpi() == c.inSpi())) {
                    throw new IllegalStateException("IKE self-test with " + what + ": CHILD_SAs do not mirror");
                }
            }
        } finally {
            ea.close();
            eb.close();
            dpA.shutdown();
            dpB.shutdown();
        }
    }

    private static String joined(List<String> log) {
        synchronized (log) {
            return String.join("; ", log);
        }
    }

    private static InetSocketAddress port(InetSocketAddress a, int shift) {
        return shift == 0 ? a : new InetSocketAddress(a.getAddress(), a.getPort() + shift);
    }

    private static void deliver(IkeEngine target, InetSocketAddress from, InetSocketAddress to, byte[] m) {
        byte[] copy = m.clone();
        target.execute(() -> target.receive(copy, from, to));
    }
}
