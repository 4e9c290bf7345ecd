package io.ipsecmesh.bench;

import io.ipsecmesh.dataplane.UserspaceDataPlane;
import io.ipsecmesh.ike.ChildProposal;
import io.ipsecmesh.ike.IkeProposal;
import io.ipsecmesh.ike.engine.IkeConfig;
import io.ipsecmesh.ike.engine.IkeConfigFile;
import io.ipsecmesh.ike.engine.IkeEngine;
import io.ipsecmesh.ike.engine.KeyLog;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.Prefix;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * IKE_SA + CHILD_SA establishments per second between two of our IKE engines (issue 3,
 * acceptance 6), each on its own thread as in two daemons, joined by an in-memory wire: the
 * whole IKE_SA_INIT + IKE_AUTH of RFC 7296 with ECP-256, ECDSA P-256 certificates (RFC 7427
 * signatures, chain validation to the CA) and the CHILD_SA installed into each side's data
 * plane. The only thing left out is the UDP socket. All SAs stay up, so the run also shows one
 * engine holding thousands of IKE SAs.
 *
 * <pre>e2e/bench/ike-establish.sh [COUNT [WINDOW [IKE_PROPOSAL]]]</pre>
 *
 * Needs the credentials of {@code e2e/bench/ike-establish.sh} (strongSwan's pki) in the
 * directory given as the fourth argument.
 */
public final class IkeEstablishBench {

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 3000;
        int window = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        String ike = args.length > 2 ? args[2] : "aes128gcm16-prfsha256-ecp256";
        Path pki = Path.of(args.length > 3 ? args[3] : "e2e/out/ike-bench-pki");
        IkeConfig.Conn a = conn("to-b", "198.19.0.1", "198.19.0.2", "a.ipsm.test", "b.ipsm.test", ike, pki, "a");
        IkeConfig.Conn b = conn("to-a", "198.19.0.2", "198.19.0.1", "b.ipsm.test", "a.ipsm.test", ike, pki, "b");
        UserspaceDataPlane dpA = new UserspaceDataPlane(1, new SecureRandom());
        UserspaceDataPlane dpB = new UserspaceDataPlane(1, new SecureRandom());
        IkeEngine.Connection ca = IkeEngine.connection(a);
        IkeEngine engineA = new IkeEngine(List.of(ca), dpA, new SecureRandom(), l -> { }, KeyLog.NONE);
        IkeEngine engineB = new IkeEngine(List.of(IkeEngine.connection(b)), dpB, new SecureRandom(), l -> { }, KeyLog.NONE);
        engineA.setTransport((from, to, msg) -> deliver(engineB, from, to, msg));
        engineB.setTransport((from, to, msg) -> deliver(engineA, from, to, msg));
        // Every SA stays half-open for a moment: keep cookies out of a benchmark of the exchange.
        engineB.setCookieThreshold(Integer.MAX_VALUE);
        engineA.start();
        engineB.start();

        System.out.printf("IKE establishment bench: proposal %s, ECDSA P-256 certificates, window %d%n", ike, window);
        run(engineA, engineB, ca, Math.max(200, count / 5), window, "warm-up");
        double rate = run(engineA, engineB, ca, count, window, "measured");
        System.out.printf("RESULT %.0f IKE_SA+CHILD_SA establishments/s (%s); IKE SAs held: initiator %d, responder %d;"
                        + " heap used %d MiB%n", rate, ike, engineA.call(() -> engineA.ikeSas().size()),
                engineB.call(() -> engineB.ikeSas().size()),
                (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
        engineA.close();
        engineB.close();
    }

    private static void deliver(IkeEngine target, InetSocketAddress from, InetSocketAddress to, byte[] msg) {
        byte[] copy = msg.clone();
        target.execute(() -> target.receive(copy, from, to));
    }

    /** Initiates {@code n} IKE SAs, at most {@code window} at a time; returns establishments/s. */
    private static double run(IkeEngine a, IkeEngine b, IkeEngine.Connection c, int n, int window, String label)
            throws InterruptedException {
        long base = a.counters().getOrDefault("child_sa_established", 0L);
        long failedBase = a.counters().getOrDefault("ike_sa_deleted", 0L);
        long t0 = System.nanoTime();
        int started = 0;
        while (true) {
            long done = a.counters().getOrDefault("child_sa_established", 0L) - base;
            long failed = a.counters().getOrDefault("ike_sa_deleted", 0L) - failedBase;
            if (done + failed >= n) {
                break;
            }
            while (started < n && started - done - failed < window) {
                a.execute(() -> a.initiate(c));
                started++;
            }
            if (System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(300)) {
                throw new IllegalStateException("bench did not finish: " + done + " of " + n);
            }
            Thread.sleep(1);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        long done = a.counters().getOrDefault("child_sa_established", 0L) - base;
        long failed = a.counters().getOrDefault("ike_sa_deleted", 0L) - failedBase;
        double rate = done / secs;
        System.out.printf("%-9s %6d established, %d failed in %.2f s: %.0f/s%n", label, done, failed, secs, rate);
        if (failed > 0) {
            throw new IllegalStateException(failed + " establishments failed: " + a.counters());
        }
        return rate;
    }

    private static IkeConfig.Conn conn(String name, String local, String remote, String localId, String remoteId,
                                       String ike, Path pki, String node) throws IOException {
        if (!Files.exists(pki.resolve(node + ".crt"))) {
            throw new IOException("no " + pki.resolve(node + ".crt") + ": run e2e/bench/ike-establish.sh");
        }
        IkeConfig.Child child = new IkeConfig.Child("net", Mode.TUNNEL,
                IkeConfigFile.selectors(node.equals("a") ? "198.18.1.0/24" : "198.18.2.0/24"),
                IkeConfigFile.selectors(node.equals("a") ? "198.18.2.0/24" : "198.18.1.0/24"),
                List.of(ChildProposal.parse("aes128gcm16")), Duration.ZERO, Duration.ZERO, 0, 0, 128);
        InetAddress l = Prefix.parseAddress(local);
        InetAddress r = Prefix.parseAddress(remote);
        return new IkeConfig.Conn(name, l, r, localId, remoteId, IkeConfig.AuthMethod.CERT, null,
                pki.resolve(node + ".crt"), pki.resolve(node + ".key"), List.of(pki.resolve("ca.crt")), List.of(),
                List.of(IkeProposal.parse(ike)), false, Duration.ZERO, Duration.ZERO,
                new IkeConfig.Retransmit(Duration.ofSeconds(5), 1.8, 3), false, List.of(child));
    }
}
