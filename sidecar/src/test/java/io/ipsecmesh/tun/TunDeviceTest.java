package io.ipsecmesh.tun;

import io.ipsecmesh.tun.TestPackets.Flow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static io.ipsecmesh.tun.TestPackets.ACK;
import static io.ipsecmesh.tun.TestPackets.PSH;
import static io.ipsecmesh.tun.TestPackets.put16;
import static io.ipsecmesh.tun.TestPackets.u16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real TUN devices, each test in a network namespace of its own (root only; CI runs as root).
 * Addresses are from 198.18.0.0/15 and 2001:db8::/32.
 */
class TunDeviceTest {

    private NetNs ns;
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        Assumptions.assumeTrue(NetNs.available(), "needs root, /dev/net/tun and iproute2");
        ns = NetNs.create();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            try {
                cleanup.get(i).close();
            } catch (Exception e) {
                // keep cleaning
            }
        }
        if (ns != null) {
            ns.close();
        }
    }

    private <T extends AutoCloseable> T track(T c) {
        cleanup.add(c);
        return c;
    }

    /** Reads packets on a thread of its own into a queue, until the device is closed. */
    static final class Reader implements AutoCloseable {
        final BlockingQueue<byte[]> packets = new LinkedBlockingQueue<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        final Thread thread;
        final TunDevice dev;
        volatile int lastResult = Integer.MIN_VALUE;

        Reader(TunDevice dev) {
            this.dev = dev;
            thread = Thread.ofPlatform().name("reader-" + dev.name()).start(() -> {
                byte[] buf = new byte[TunDevice.MAX_PACKET];
                try {
                    int n;
                    while ((n = dev.read(buf, 0, buf.length)) >= 0) {
                        packets.add(Arrays.copyOf(buf, n));
                    }
                    lastResult = n;
                } catch (Throwable t) {
                    error.set(t);
                }
            });
        }

        /** The next packet matching {@code p}, skipping others (e.g. IPv6 router solicitations). */
        byte[] next(Predicate<byte[]> p, long timeoutMs) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (true) {
                long left = deadline - System.nanoTime();
                byte[] b = packets.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
                if (b == null) {
                    return null;
                }
                if (p.test(b)) {
                    return b;
                }
            }
        }

        @Override
        public void close() {
            dev.close();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether {@code pkt} (from offset {@code off}) is IPv4/IPv6 protocol {@code proto} to address {@code dst}. */
    static boolean isTo(byte[] pkt, int off, int proto, byte[] dst) {
        if (pkt.length < off + 20) {
            return false;
        }
        boolean v6 = (pkt[off] & 0xf0) == 0x60;
        if (v6 && pkt.length < off + 40) {
            return false;
        }
        if (v6 != (dst.length == 16)) {
            return false;
        }
        int p = pkt[off + (v6 ? 6 : 9)] & 0xff;
        int d = off + (v6 ? 24 : 16);
        return p == proto && Arrays.equals(pkt, d, d + dst.length, dst, 0, dst.length);
    }

    @ParameterizedTest(name = "heapAccess={0}")
    @ValueSource(booleans = {true, false})
    void pingIsAnsweredThroughTheTun(boolean heapAccess) throws Exception {
        TunDevice tun = track(ns.call(() -> {
            TunDevice t = TunDevice.open("ipsmt0", false);
            TunDevice.configure("ipsmt0", 1400, true);
            return t;
        }));
        tun.heapAccess(heapAccess);
        assertEquals("ipsmt0", tun.name());
        String link = ns.ip("link", "show", "ipsmt0");
        assertTrue(link.contains("mtu 1400"), link);
        assertTrue(link.contains(",UP"), link);
        ns.ip("addr", "add", "198.18.250.1/30", "dev", "ipsmt0");
        byte[] peer = TestPackets.addr("198.18.250.2");

        // the responder: answer ICMP echo requests to 198.18.250.2
        AtomicReference<Throwable> error = new AtomicReference<>();
        int[] answered = new int[1];
        Thread responder = Thread.ofPlatform().start(() -> {
            byte[] buf = new byte[2000];
            try {
                int n;
                while ((n = tun.read(buf, 0, buf.length)) >= 0) {
                    if (n < 28 || !isTo(Arrays.copyOf(buf, n), 0, 1, peer) || buf[20] != 8) {
                        continue; // not an echo request to the peer
                    }
                    byte[] reply = Arrays.copyOf(buf, n);
                    System.arraycopy(buf, 16, reply, 12, 4);
                    System.arraycopy(buf, 12, reply, 16, 4);
                    reply[8] = 64;
                    put16(reply, 10, 0);
                    put16(reply, 10, TestPackets.checksum(reply, 0, 20));
                    reply[20] = 0; // echo reply
                    put16(reply, 22, 0);
                    put16(reply, 22, TestPackets.checksum(reply, 20, n - 20));
                    tun.write(reply, 0, n);
                    answered[0]++;
                }
            } catch (Throwable t) {
                error.set(t);
            }
        });
        try {
            NetNs.Result ping = ns.exec(20, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "3", "-s", "1300", "198.18.250.2");
            assertEquals(0, ping.code(), ping.out());
            assertTrue(ping.out().contains("3 received"), ping.out());
        } finally {
            tun.close();
            responder.join(5000);
        }
        assertFalse(responder.isAlive(), "close() ends the blocked read");
        if (error.get() != null) {
            throw new AssertionError("responder failed", error.get());
        }
        assertEquals(3, answered[0]);
    }

    @Test
    void errorsCarryTheErrnoText() throws Exception {
        ns.call(() -> {
            try (TunDevice t = TunDevice.open("ipsmt1", false)) {
                IOException busy = assertThrows(IOException.class, () -> TunDevice.open("ipsmt1", false));
                assertEquals("TUNSETIFF ipsmt1: Device or resource busy (errno 16)", busy.getMessage());
                IOException mq = assertThrows(IOException.class, () -> TunDevice.openQueues("ipsmt1", 2, false));
                assertEquals("TUNSETIFF ipsmt1: Invalid argument (errno 22)", mq.getMessage());
                IOException noVnet = assertThrows(IOException.class, () -> TunDevice.configure("nosuch0", 1400, true));
                assertEquals("SIOCSIFMTU nosuch0 1400: No such device (errno 19)", noVnet.getMessage());
                IOException mtu = assertThrows(IOException.class, () -> TunDevice.configure("ipsmt1", 20, true));
                assertEquals("SIOCSIFMTU ipsmt1 20: Invalid argument (errno 22)", mtu.getMessage());
                assertThrows(IllegalStateException.class, () -> t.setOffload(TunDevice.TUN_F_CSUM));
                assertThrows(IllegalArgumentException.class, () -> TunDevice.open("name-longer-than-15", false));
                // up, then down again
                TunDevice.configure("ipsmt1", 0, true);
                assertTrue(ns.ip("link", "show", "ipsmt1").contains(",UP"));
                TunDevice.configure("ipsmt1", 0, false);
                assertFalse(ns.ip("link", "show", "ipsmt1").contains(",UP"));
            }
            return null;
        });
    }

    @Test
    void closeWakesABlockedReadAndRemovesTheInterface() throws Exception {
        TunDevice tun = track(ns.call(() -> TunDevice.open("ipsmt2", true)));
        assertTrue(tun.vnetHdr());
        Reader r = track(new Reader(tun));
        Thread.sleep(300);
        assertTrue(r.thread.isAlive(), "read blocks while nothing arrives (interface down)");
        // a read blocked in poll(2) is "in native": it must not hold up a GC
        long g0 = System.nanoTime();
        System.gc();
        long gcMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - g0);
        assertTrue(gcMs < 2000, "System.gc() took " + gcMs + " ms while a read was blocked");
        assertTrue(r.thread.isAlive());
        long t0 = System.nanoTime();
        tun.close();
        r.thread.join(2000);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertFalse(r.thread.isAlive());
        assertEquals(-1, r.lastResult);
        assertTrue(ms < 1000, "woke after " + ms + " ms");
        assertEquals(null, r.error.get());
        assertTrue(tun.isClosed());
        assertEquals(-1, tun.read(new byte[100], 0, 100));
        assertThrows(ClosedChannelException.class, () -> tun.write(new byte[40], 0, 40));
        tun.close(); // idempotent
        NetNs.Result gone = NetNs.run(10, "ip", "-n", ns.name, "link", "show", "ipsmt2");
        assertTrue(gone.code() != 0, "the interface disappears with its last fd: " + gone.out());
    }

    @Test
    void tryReadReturnsZeroWhenNothingIsQueued() throws Exception {
        TunDevice tun = track(ns.call(() -> TunDevice.open("ipsmt4", false)));
        byte[] buf = new byte[2000];
        assertEquals(0, tun.tryRead(buf, 0, buf.length), "interface down: nothing queued");
        ns.call(() -> {
            TunDevice.configure("ipsmt4", 1500, true);
            return null;
        });
        ns.ip("addr", "add", "198.18.250.1/30", "dev", "ipsmt4");
        ns.call(() -> {
            try (DatagramChannel ch = DatagramChannel.open()) {
                ch.send(ByteBuffer.wrap("hello".getBytes()), new InetSocketAddress("198.18.250.2", 9999));
            }
            return null;
        });
        byte[] peer = TestPackets.addr("198.18.250.2");
        long deadline = System.currentTimeMillis() + 3000;
        int found = -1;
        while (found < 0 && System.currentTimeMillis() < deadline) {
            int n = tun.tryRead(buf, 0, buf.length);
            if (n == 0) {
                Thread.sleep(5);
            } else if (isTo(Arrays.copyOf(buf, n), 0, 17, peer)) {
                found = n;
            }
        }
        assertEquals(20 + 8 + 5, found, "the datagram, read without blocking");
        tun.close();
        assertEquals(-1, tun.tryRead(buf, 0, buf.length));
    }

    @Test
    void multiQueueSpreadsFlowsOverBothQueues() throws Exception {
        List<TunDevice> queues = ns.call(() -> {
            List<TunDevice> q = TunDevice.openQueues("ipsmq0", 2, false);
            TunDevice.configure("ipsmq0", 1500, true);
            return q;
        });
        queues.forEach(this::track);
        assertEquals(2, queues.size());
        assertEquals("ipsmq0", queues.get(1).name());
        ns.ip("addr", "add", "198.18.250.1/30", "dev", "ipsmq0");
        Reader r0 = track(new Reader(queues.get(0)));
        Reader r1 = track(new Reader(queues.get(1)));
        byte[] peer = TestPackets.addr("198.18.250.2");
        int flows = 64;
        ns.call(() -> {
            for (int i = 0; i < flows; i++) {
                try (DatagramChannel ch = DatagramChannel.open()) {
                    ch.bind(new InetSocketAddress("198.18.250.1", 0));
                    ch.send(ByteBuffer.wrap(("flow " + i).getBytes()), new InetSocketAddress("198.18.250.2", 9999));
                }
            }
            return null;
        });
        int[] got = new int[2];
        long deadline = System.currentTimeMillis() + 5000;
        while (got[0] + got[1] < flows && System.currentTimeMillis() < deadline) {
            Reader[] rs = {r0, r1};
            for (int q = 0; q < 2; q++) {
                while (rs[q].next(b -> isTo(b, 0, 17, peer), 10) != null) {
                    got[q]++;
                }
            }
        }
        assertEquals(flows, got[0] + got[1], "every datagram arrives on some queue; "
                + ns.ip("-s", "link", "show", "ipsmq0") + ns.ip("route") + r0.error.get() + r1.error.get());
        assertTrue(got[0] > 0 && got[1] > 0, "both queues read packets: " + got[0] + " + " + got[1]);
    }

    /** Two TUNs with forwarding between them: what we write into A the kernel routes out of B. */
    private TunDevice[] forwardingPair(boolean offloadB) throws Exception {
        TunDevice[] ab = ns.call(() -> {
            TunDevice a = TunDevice.open("ipsma0", true);
            TunDevice b;
            try {
                b = TunDevice.open("ipsmb0", true);
            } catch (IOException e) {
                a.close();
                throw e;
            }
            TunDevice.configure("ipsma0", 1500, true);
            TunDevice.configure("ipsmb0", 1500, true);
            return new TunDevice[] {a, b};
        });
        track(ab[0]);
        track(ab[1]);
        if (offloadB) {
            ab[1].setOffload(TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6
                    | TunDevice.TUN_F_TSO_ECN | TunDevice.TUN_F_USO4 | TunDevice.TUN_F_USO6);
        }
        ns.ip("addr", "add", "198.18.250.1/24", "dev", "ipsma0");
        ns.ip("addr", "add", "198.18.251.1/24", "dev", "ipsmb0");
        ns.ip("-6", "addr", "add", "2001:db8:250::1/64", "dev", "ipsma0", "nodad");
        ns.ip("-6", "addr", "add", "2001:db8:251::1/64", "dev", "ipsmb0", "nodad");
        ns.exec(10, "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1").check();
        return ab;
    }

    static Flow forwardedFlow(boolean v6, int ttl) {
        Flow f = v6 ? Flow.v6("2001:db8:250::2", "2001:db8:251::2") : Flow.v4("198.18.250.2", "198.18.251.2");
        f.ttl = ttl;
        return f.timestamps(123456, 654321);
    }

    /** Reads from B until {@code count} IP packets of {@code proto} to {@code dst} arrived, split by Gso. */
    private static List<byte[]> receiveSegments(Reader r, int proto, byte[] dst, int count, List<VirtioNetHdr> headers)
            throws Exception {
        TestPackets.Collector c = new TestPackets.Collector();
        while (c.packets.size() < count) {
            byte[] p = r.next(b -> isTo(b, VirtioNetHdr.LENGTH, proto, dst), 5000);
            assertNotNull(p, "timed out after " + c.packets.size() + " of " + count + " packets; reader error: " + r.error.get());
            VirtioNetHdr h = new VirtioNetHdr().decode(p, 0);
            headers.add(h);
            Gso.segment(p, VirtioNetHdr.LENGTH, p.length - VirtioNetHdr.LENGTH, h, new byte[65535], 0, c);
        }
        return c.packets;
    }

    @ParameterizedTest(name = "v6={0}")
    @ValueSource(booleans = {false, true})
    void kernelSegmentsOurCoalescedTcpPacketIntoTheOriginals(boolean v6) throws Exception {
        TunDevice[] ab = forwardingPair(false);
        Reader rb = track(new Reader(ab[1]));
        byte[] payload = TestPackets.payload(9 * 1400 + 600, 20);
        List<byte[]> segs = TestPackets.tcpSegments(forwardedFlow(v6, 64), 0xfffffc00L, ACK | PSH, 0xfffa, payload, 1400);
        TestPackets.Collector written = new TestPackets.Collector();
        Coalescer co = new Coalescer((b, off, len) -> {
            written.accept(b, off, len);
            ab[0].write(b, off, len);
        });
        for (byte[] s : segs) {
            co.add(s, 0, s.length, false);
        }
        co.flush();
        assertEquals(1, written.packets.size(), "one GSO packet written");
        assertTrue(new VirtioNetHdr().decode(written.packets.get(0), 0).isGso());

        Flow out = forwardedFlow(v6, 63); // one hop later
        List<VirtioNetHdr> headers = new ArrayList<>();
        List<byte[]> got = receiveSegments(rb, 6, out.dst, segs.size(), headers);
        for (VirtioNetHdr h : headers) {
            assertFalse(h.isGso(), "B has no TSO: the kernel segmented in software: " + h);
            assertFalse(h.needsCsum(), "B has no checksum offload: the kernel completed it: " + h);
        }
        List<byte[]> expected = TestPackets.tcpSegments(out, 0xfffffc00L, ACK | PSH, 0xfffa, payload, 1400);
        assertEquals(expected.stream().map(Arrays::toString).toList(), got.stream().map(Arrays::toString).toList());
        got.forEach(p -> assertTrue(TestPackets.transportChecksumOk(p)));
    }

    @ParameterizedTest(name = "v6={0}")
    @ValueSource(booleans = {false, true})
    void kernelTsoPacketIsSplitByGsoIntoTheOriginals(boolean v6) throws Exception {
        TunDevice[] ab = forwardingPair(true);
        Reader rb = track(new Reader(ab[1]));
        byte[] payload = TestPackets.payload(20 * 1400, 21);
        List<byte[]> segs = TestPackets.tcpSegments(forwardedFlow(v6, 64), 77, ACK | PSH, 300, payload, 1400);
        Coalescer co = new Coalescer(ab[0]::write);
        for (byte[] s : segs) {
            co.add(s, 0, s.length, false);
        }
        co.flush();
        Flow out = forwardedFlow(v6, 63);
        List<VirtioNetHdr> headers = new ArrayList<>();
        List<byte[]> got = receiveSegments(rb, 6, out.dst, segs.size(), headers);
        assertTrue(headers.get(0).isGso(), "B has TSO: the kernel passed the GSO packet on: " + headers.get(0));
        assertEquals(1400, headers.get(0).gsoSize());
        assertEquals(List.of(TestPackets.tcpSegments(out, 77, ACK | PSH, 300, payload, 1400).stream().map(Arrays::toString).toList()),
                List.of(got.stream().map(Arrays::toString).toList()));
    }

    @ParameterizedTest(name = "v6={0}")
    @ValueSource(booleans = {false, true})
    void udpSegmentationMatchesTheKernels(boolean v6) throws Exception {
        TunDevice[] ab = forwardingPair(false);
        Reader rb = track(new Reader(ab[1]));
        Flow in = forwardedFlow(v6, 64);
        in.sport = 4500;
        in.dport = 4500;
        byte[] payload = TestPackets.payload(3 * 1200 + 77, 22);
        byte[] sup = TestPackets.udp(in, 40, payload, 0, payload.length);
        int ipHdr = v6 ? 40 : 20;
        put16(sup, ipHdr + 6, TestPackets.pseudoSeed(v6, in.src, in.dst, 17, sup.length - ipHdr));
        byte[] w = new byte[10 + sup.length];
        new VirtioNetHdr().set(VirtioNetHdr.F_NEEDS_CSUM, VirtioNetHdr.GSO_UDP_L4, ipHdr + 8, 1200, ipHdr, 6).encode(w, 0);
        System.arraycopy(sup, 0, w, 10, sup.length);

        // what Gso makes of it, one hop later
        byte[] hop = sup.clone();
        if (v6) {
            hop[7]--;
        } else {
            hop[8]--;
            put16(hop, 10, 0);
            put16(hop, 10, TestPackets.checksum(hop, 0, 20));
        }
        TestPackets.Collector ours = new TestPackets.Collector();
        Gso.segment(hop, 0, hop.length, new VirtioNetHdr().decode(w, 0), new byte[2000], 0, ours);

        ab[0].write(w, 0, w.length);
        Flow out = forwardedFlow(v6, 63);
        out.sport = 4500;
        out.dport = 4500;
        List<VirtioNetHdr> headers = new ArrayList<>();
        List<byte[]> kernels = receiveSegments(rb, 17, out.dst, 4, headers);
        assertFalse(headers.get(0).isGso());
        assertEquals(ours.packets.stream().map(Arrays::toString).toList(), kernels.stream().map(Arrays::toString).toList());
        kernels.forEach(p -> assertTrue(TestPackets.transportChecksumOk(p)));
        assertEquals(u16(kernels.get(0), ipHdr + 4), 1208);
    }

    @ParameterizedTest(name = "v6={0}")
    @ValueSource(booleans = {false, true})
    void tsoFromAKernelTcpSocketIsSplitIntoValidSegments(boolean v6) throws Exception {
        TunDevice tun = track(ns.call(() -> {
            TunDevice t = TunDevice.open("ipsmt3", true);
            TunDevice.configure("ipsmt3", 1500, true);
            return t;
        }));
        tun.setOffload(TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6 | TunDevice.TUN_F_TSO_ECN);
        ns.ip("addr", "add", "198.18.250.1/24", "dev", "ipsmt3");
        ns.ip("-6", "addr", "add", "2001:db8:250::1/64", "dev", "ipsmt3", "nodad");
        String local = v6 ? "2001:db8:250::1" : "198.18.250.1";
        String peer = v6 ? "2001:db8:250::2" : "198.18.250.2";
        Reader r = track(new Reader(tun));
        java.nio.channels.SocketChannel sc = track(ns.call(() -> {
            java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open();
            c.configureBlocking(false);
            c.bind(new InetSocketAddress(local, 0));
            c.connect(new InetSocketAddress(peer, 5001));
            return c;
        }));
        int ipHdr = v6 ? 40 : 20;
        int o = VirtioNetHdr.LENGTH + ipHdr;
        byte[] peerAddr = TestPackets.addr(peer);
        Predicate<byte[]> isSyn = b -> isTo(b, VirtioNetHdr.LENGTH, 6, peerAddr) && (b[o + 13] & TestPackets.SYN) != 0;
        byte[] syn = r.next(isSyn, 5000);
        assertNotNull(syn, "the kernel sends its SYN into the TUN");
        long clientIsn = TestPackets.u32(syn, o + 4);
        // answer as the peer: SYN-ACK with MSS 1400, no window scaling, no timestamps
        Flow back = v6 ? Flow.v6(peer, local) : Flow.v4(peer, local);
        back.sport = 5001;
        back.dport = u16(syn, o);
        back.ack = clientIsn + 1;
        back.window = 65535;
        back.options = new byte[] {2, 4, 0x05, 0x78};
        byte[] synAck = TestPackets.concat(new byte[VirtioNetHdr.LENGTH],
                TestPackets.tcp(back, 1000, TestPackets.SYN | ACK, 1, new byte[0], 0, 0));
        long deadline = System.currentTimeMillis() + 10_000;
        while (syn != null || !sc.finishConnect()) {
            if (syn != null) {
                tun.write(synAck, 0, synAck.length);
            }
            assertTrue(System.currentTimeMillis() < deadline, "connect did not complete");
            syn = r.next(isSyn, 50); // a retransmitted SYN, should a packet have been lost
        }
        // ten segments: exactly the initial congestion window, sent without waiting for ACKs
        byte[] data = TestPackets.payload(10 * 1400, 30);
        ByteBuffer bb = ByteBuffer.wrap(data);
        while (bb.hasRemaining()) {
            sc.write(bb);
        }
        ByteBuffer received = ByteBuffer.allocate(data.length);
        long expectedSeq = (clientIsn + 1) & 0xffffffffL;
        int gsoPackets = 0;
        TestPackets.Collector segs = new TestPackets.Collector();
        while (received.hasRemaining()) {
            byte[] p = r.next(b -> isTo(b, VirtioNetHdr.LENGTH, 6, peerAddr) && b.length > VirtioNetHdr.LENGTH + ipHdr + 32, 5000);
            assertNotNull(p, "data after " + received.position() + " bytes");
            VirtioNetHdr h = new VirtioNetHdr().decode(p, 0);
            if (h.isGso()) {
                gsoPackets++;
                assertEquals(1400, h.gsoSize(), h.toString());
                assertEquals(v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4, h.gsoType() & ~VirtioNetHdr.GSO_ECN);
            }
            segs.packets.clear();
            Gso.segment(p, VirtioNetHdr.LENGTH, p.length - VirtioNetHdr.LENGTH, h, new byte[65535], 0, segs);
            for (byte[] s : segs.packets) {
                assertTrue(TestPackets.transportChecksumOk(s), "full TCP checksum");
                if (!v6) {
                    assertTrue(TestPackets.ipv4HeaderChecksumOk(s));
                    assertEquals(s.length, u16(s, 2));
                } else {
                    assertEquals(s.length - 40, u16(s, 4));
                }
                int th = ((s[ipHdr + 12] & 0xff) >>> 4) * 4;
                int len = s.length - ipHdr - th;
                assertTrue(len > 0 && len <= 1400, "segment payload " + len);
                assertEquals(expectedSeq, TestPackets.u32(s, ipHdr + 4), "contiguous sequence numbers");
                expectedSeq = (expectedSeq + len) & 0xffffffffL;
                received.put(s, ipHdr + th, len);
            }
        }
        assertArrayEquals(data, received.array());
        assertTrue(gsoPackets > 0, "the kernel used TSO");
    }
}
