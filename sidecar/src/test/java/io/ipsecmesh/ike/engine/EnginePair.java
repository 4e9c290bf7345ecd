package io.ipsecmesh.ike.engine;

import io.ipsecmesh.dataplane.UserspaceDataPlane;
import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.sa.DropReason;
import io.ipsecmesh.sa.WorkerContext;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Two IKE engines ("a" and "b"), each with its own in-memory data plane, joined by a wire that
 * delivers IKE datagrams between them and can drop or rewrite them. No sockets, no TUN: the
 * real engine, tasks and data plane, driven in one JVM.
 */
final class EnginePair implements AutoCloseable {

    final UserspaceDataPlane dpA = new UserspaceDataPlane(1, new SecureRandom());
    final UserspaceDataPlane dpB = new UserspaceDataPlane(1, new SecureRandom());
    final IkeEngine a;
    final IkeEngine b;
    final List<String> logA = new CopyOnWriteArrayList<>();
    final List<String> logB = new CopyOnWriteArrayList<>();
    /** Datagrams on the wire, in order: "a>b" or "b>a" and the bytes. */
    final List<Map.Entry<String, byte[]>> wire = new CopyOnWriteArrayList<>();
    /** Return true to drop a datagram ("a>b"/"b>a", bytes). */
    volatile java.util.function.BiPredicate<String, byte[]> drop = (dir, m) -> false;
    private final Map<InetAddress, IkeEngine> byAddress = new ConcurrentHashMap<>();

    EnginePair(IkeConfig.Conn connA, IkeConfig.Conn connB) throws IOException {
        a = new IkeEngine(List.of(IkeEngine.connection(connA)), dpA, new SecureRandom(), logA::add, KeyLog.NONE);
        b = new IkeEngine(List.of(IkeEngine.connection(connB)), dpB, new SecureRandom(), logB::add, KeyLog.NONE);
        // Short, so that tests see rekeyed SAs leave the data plane quickly.
        a.setRekeyedInboundGrace(100);
        b.setRekeyedInboundGrace(100);
        byAddress.put(connA.local(), a);
        byAddress.put(connB.local(), b);
        a.setTransport((from, to, msg) -> deliver("a>b", b, from, to, msg));
        b.setTransport((from, to, msg) -> deliver("b>a", a, from, to, msg));
    }

    private void deliver(String dir, IkeEngine target, InetSocketAddress from, InetSocketAddress to, byte[] msg) {
        byte[] copy = msg.clone();
        wire.add(Map.entry(dir, copy));
        if (drop.test(dir, copy)) {
            return;
        }
        IkeEngine t = byAddress.get(to.getAddress());
        if (t == null) {
            return;
        }
        synchronized (held) {
            if (holding != null && holding.test(dir, copy)) {
                held.add(new Held(dir, copy, () -> t.execute(() -> t.receive(copy, from, to))));
                return;
            }
        }
        t.execute(() -> t.receive(copy, from, to));
    }

    private record Held(String dir, byte[] message, Runnable delivery) {
    }

    private final List<Held> held = new java.util.ArrayList<>();
    /** Which datagrams wait on the wire ("a>b"/"b>a", bytes); null: none. */
    private java.util.function.BiPredicate<String, byte[]> holding;

    /** From now on datagrams wait on the wire (in order) until {@link #release}. */
    void hold() {
        hold((dir, m) -> true);
    }

    /** From now on the datagrams {@code which} selects wait on the wire (in order); the others pass. */
    void hold(java.util.function.BiPredicate<String, byte[]> which) {
        synchronized (held) {
            holding = which;
        }
    }

    /**
     * Delivers the held datagrams {@code which} selects, in order, and keeps holding the rest
     * (and holding what {@link #hold} selects).
     */
    void releaseOnly(java.util.function.BiPredicate<String, byte[]> which) {
        synchronized (held) {
            for (java.util.Iterator<Held> it = held.iterator(); it.hasNext(); ) {
                Held h = it.next();
                if (which.test(h.dir(), h.message())) {
                    it.remove();
                    h.delivery().run();
                }
            }
        }
    }

    int heldCount() {
        synchronized (held) {
            return held.size();
        }
    }

    /**
     * Delivers what was held, the datagrams going {@code firstDir} ("a>b"/"b>a") first. All of
     * them are in the engines' inboxes before any datagram sent meanwhile (an answer to one of
     * them) can be: {@link #deliver} waits for the lock.
     */
    void release(String firstDir) {
        synchronized (held) {
            held.stream().filter(e -> e.dir().equals(firstDir)).forEach(e -> e.delivery().run());
            held.stream().filter(e -> !e.dir().equals(firstDir)).forEach(e -> e.delivery().run());
            held.clear();
            holding = null;
        }
    }

    void start() {
        b.start();
        a.start();
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    static long established(IkeEngine e) {
        try {
            return e.call(() -> e.ikeSas().stream().filter(s -> s.state() == IkeSa.State.ESTABLISHED).count());
        } catch (InterruptedException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * Exactly one IKE SA on each side, established, the same one (SPIs, opposite roles), holding
     * one CHILD_SA pair, installed and mirrored (each side's inbound SPI is the other's outbound).
     */
    boolean mirrored() throws InterruptedException {
        List<IkeSa> sa = a.call(a::ikeSas);
        List<IkeSa> sb = b.call(b::ikeSas);
        if (sa.size() != 1 || sb.size() != 1) {
            return false;
        }
        IkeSa x = sa.getFirst();
        IkeSa y = sb.getFirst();
        List<ChildSa> ca = children(a);
        List<ChildSa> cb = children(b);
        return x.state() == IkeSa.State.ESTABLISHED && y.state() == IkeSa.State.ESTABLISHED && x.spiI == y.spiI
                && x.spiR == y.spiR && x.initiator != y.initiator && ca.size() == 1 && cb.size() == 1
                && ca.getFirst().inSpi() == cb.getFirst().outSpi() && ca.getFirst().outSpi() == cb.getFirst().inSpi()
                && ca.getFirst().state() == ChildSa.State.INSTALLED && cb.getFirst().state() == ChildSa.State.INSTALLED;
    }

    static List<ChildSa> children(IkeEngine e) {
        try {
            return e.call(() -> e.ikeSas().stream().filter(s -> s.state() == IkeSa.State.ESTABLISHED)
                    .flatMap(s -> s.children().stream()).toList());
        } catch (InterruptedException ex) {
            throw new IllegalStateException(ex);
        }
    }

    void awaitUp(int children) throws InterruptedException {
        await("both IKE SAs established with " + children + " CHILD_SA(s)", Duration.ofSeconds(10),
                () -> established(a) == 1 && established(b) == 1 && children(a).size() == children
                        && children(b).size() == children);
        // The engines publish data-plane changes at the end of each batch of events: one more
        // round trip through each engine's loop, and what they installed is visible.
        a.call(() -> null);
        b.call(() -> null);
    }

    /**
     * Protects {@code packet} on {@code from} and unprotects it on {@code to}: returns what
     * {@code to} delivers, after checking that the wire form was ESP (raw or in UDP).
     */
    static byte[] roundTrip(UserspaceDataPlane from, UserspaceDataPlane to, byte[] packet) {
        PacketBuffer pb = new PacketBuffer().set(packet, 0, packet.length);
        DropReason out = from.process(new WorkerContext(0), pb);
        if (out != DropReason.NONE) {
            throw new AssertionError("outbound dropped: " + out);
        }
        byte[] wire = pb.toArray();
        boolean v4 = (wire[0] >> 4) == 4;
        int proto = v4 ? wire[9] & 0xff : wire[6] & 0xff;
        int l4 = v4 ? (wire[0] & 0x0f) * 4 : 40;
        boolean espInUdp = proto == 17 && (((wire[l4 + 2] & 0xff) << 8) | (wire[l4 + 3] & 0xff)) == 4500;
        if (proto != 50 && !espInUdp) {
            throw new AssertionError("not protected: IP protocol " + proto);
        }
        PacketBuffer back = new PacketBuffer().set(wire, 0, wire.length);
        DropReason in = to.process(new WorkerContext(0), back);
        if (in != DropReason.NONE) {
            throw new AssertionError("inbound dropped: " + in);
        }
        return back.toArray();
    }

    static long count(IkeEngine e, String counter) {
        return e.counters().getOrDefault(counter, 0L);
    }

    boolean logged(List<String> log, Predicate<String> p) {
        return log.stream().anyMatch(p);
    }

    @Override
    public void close() {
        a.close();
        b.close();
        dpA.shutdown();
        dpB.shutdown();
    }
}
