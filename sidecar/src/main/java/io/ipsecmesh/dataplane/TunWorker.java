package io.ipsecmesh.dataplane;

import io.ipsecmesh.packet.Fragmenter;
import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.sa.DropReason;
import io.ipsecmesh.sa.WorkerContext;
import io.ipsecmesh.tun.Coalescer;
import io.ipsecmesh.tun.Gso;
import io.ipsecmesh.tun.TunDevice;
import io.ipsecmesh.tun.UdpCoalescer;
import io.ipsecmesh.tun.VirtioNetHdr;

import java.io.IOException;

/**
 * One data-plane thread: reads packets from its own TUN queue, runs the pipeline and writes
 * the result back into the same queue. With a multi-queue TUN the kernel spreads flows over the
 * queues, so each core works on its own flows.
 *
 * <p>With a vnet header ({@link TunDevice#vnetHdr()}, offloads on) the kernel hands over TCP
 * super-packets of up to 64 KB: they are cut into MSS-sized segments here ({@link Gso}), each
 * protected on its own. In the other direction, decrypted TCP segments of one flow read in one
 * batch are merged back into a super-packet ({@link Coalescer}) before they are written, so the
 * kernel's TCP stack sees few large packets instead of many small ones, as with GRO. ESP in
 * UDP (RFC 3948) that we build leaves as UDP GSO super-packets ({@link UdpCoalescer}): the
 * kernel then forwards one packet per batch instead of one per ESP packet. Raw ESP and AH
 * cannot be merged and are written one by one.
 */
public final class TunWorker implements Runnable {
    /** Packets read without blocking after the first one, before pending merges are flushed. */
    static final int BATCH = 64;
    private static final int VNET = VirtioNetHdr.LENGTH;

    private final TunDevice queue;
    private final UserspaceDataPlane dataPlane;
    private final WorkerContext context;
    private final boolean vnet;
    /** What is read from the TUN (with the vnet header just before the IP packet). */
    private final PacketBuffer packet = new PacketBuffer();
    /** Segments cut from a super-packet. */
    private final PacketBuffer segment = new PacketBuffer();
    private final VirtioNetHdr header = new VirtioNetHdr();
    private final Coalescer coalescer;
    private final UdpCoalescer udpCoalescer;
    private final Fragmenter fragmenter = new Fragmenter();
    private final int mtu;
    private final int innerMtu;
    private long writeErrors;

    /**
     * @param mtu      largest packet we build (ESP/AH) may have: the TUN/underlay MTU
     * @param innerMtu largest plaintext packet we hand back (the pods' MTU): a reassembled
     *                 datagram larger than this is fragmented again (RFC 4303 §3.3.5: fragment
     *                 after ESP processing)
     */
    public TunWorker(TunDevice queue, UserspaceDataPlane dataPlane, int index, int mtu, int innerMtu) {
        this.mtu = mtu;
        this.innerMtu = innerMtu;
        this.queue = queue;
        this.dataPlane = dataPlane;
        this.context = new WorkerContext(index);
        this.vnet = queue.vnetHdr();
        this.coalescer = vnet ? new Coalescer(this::write) : null;
        this.udpCoalescer = vnet ? new UdpCoalescer(this::write) : null;
    }

    @Override
    public void run() {
        try {
            while (true) {
                int n = read(true);
                if (n < 0) {
                    return; // closed
                }
                handle(n);
                if (vnet) {
                    for (int i = 1; i < BATCH; i++) {
                        n = read(false);
                        if (n <= 0) {
                            break;
                        }
                        handle(n);
                    }
                    flush();
                }
            }
        } catch (IOException e) {
            if (!queue.isClosed()) {
                System.err.println("ipsec-mesh: worker " + context.index + " stops: " + e.getMessage());
            }
        }
    }

    private int read(boolean block) throws IOException {
        int at = vnet ? PacketBuffer.HEADROOM - VNET : PacketBuffer.HEADROOM;
        int max = PacketBuffer.MAX_PACKET + (vnet ? VNET : 0);
        return block ? queue.read(packet.buf, at, max) : queue.tryRead(packet.buf, at, max);
    }

    private void handle(int n) throws IOException {
        dataPlane.counters().tunReads.increment();
        if (!vnet) {
            packet.off = PacketBuffer.HEADROOM;
            packet.len = n;
            if (dataPlane.process(context, packet) == DropReason.NONE && !fragmentIfTooBig(packet)) {
                write(packet.buf, packet.off, packet.len);
            }
            return;
        }
        if (n < VNET) {
            dataPlane.counters().drop(DropReason.MALFORMED);
            return;
        }
        header.decode(packet.buf, PacketBuffer.HEADROOM - VNET);
        try {
            Gso.segment(packet.buf, PacketBuffer.HEADROOM, n - VNET, header, segment.buf, PacketBuffer.HEADROOM, this::onPacket);
        } catch (IllegalArgumentException e) {
            dataPlane.counters().drop(DropReason.MALFORMED);
        }
    }

    /** One whole IP packet (as read, or a segment of a super-packet). */
    private void onPacket(byte[] b, int off, int len) throws IOException {
        PacketBuffer p = b == packet.buf ? packet : segment;
        p.off = off;
        p.len = len;
        if (dataPlane.process(context, p) != DropReason.NONE || fragmentIfTooBig(p)) {
            return;
        }
        if (context.builtIpsec) {
            if (context.builtUdp) {
                udpCoalescer.add(p.buf, p.off, p.len);
                return;
            }
            // Raw ESP/AH cannot be merged: write it now, with an empty vnet header in the headroom.
            VirtioNetHdr.encodePlain(p.buf, p.off - VNET, 0);
            write(p.buf, p.off - VNET, p.len + VNET);
        } else {
            coalescer.add(p.buf, p.off, p.len, false);
        }
    }

    /**
     * Writes the packet as fragments if it exceeds its MTU (ESP/AH we built: {@link #mtu};
     * plaintext: {@link #innerMtu}); returns whether it did (or dropped it).
     */
    private boolean fragmentIfTooBig(PacketBuffer p) throws IOException {
        int limit = context.builtIpsec ? mtu : innerMtu;
        if (p.len <= limit) {
            return false;
        }
        int n = fragmenter.fragment(p.buf, p.off, p.len, limit, this::writeFragment);
        if (n < 0) {
            // DF set (or unfragmentable): the sender must lower its MTU; counted, not written.
            dataPlane.counters().drop(DropReason.FRAGMENT);
        }
        return true;
    }

    private void writeFragment(byte[] b, int off, int len) throws IOException {
        dataPlane.counters().fragmentsOut.increment();
        if (vnet) {
            VirtioNetHdr.encodePlain(b, off - VNET, 0);
            write(b, off - VNET, len + VNET);
        } else {
            write(b, off, len);
        }
    }

    private void flush() throws IOException {
        udpCoalescer.flush();
        coalescer.flush();
    }

    private void write(byte[] b, int off, int len) throws IOException {
        dataPlane.counters().tunWrites.increment();
        try {
            queue.write(b, off, len);
        } catch (IOException e) {
            writeFailed(e);
        }
    }

    private void writeFailed(IOException e) throws IOException {
        if (queue.isClosed()) {
            throw e;
        }
        if (writeErrors++ == 0) {
            System.err.println("ipsec-mesh: worker " + context.index + ": TUN write failed: " + e.getMessage());
        }
    }
}
