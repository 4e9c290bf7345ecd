package io.ipsecmesh.tun;

import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;

import static io.ipsecmesh.tun.Headers.fold;
import static io.ipsecmesh.tun.Headers.u16;

/**
 * Merges consecutive UDP datagrams of one flow and one size into a UDP GSO super-packet
 * ({@code VIRTIO_NET_HDR_GSO_UDP_L4}, Linux 5.18+ on a TUN), so that the kernel routes, filters
 * and forwards one packet instead of up to 64; it cuts them apart again only where it must
 * (a real NIC, or a device without UDP segmentation), or hands the super-packet whole to a
 * receiving TUN that accepts {@code TUN_F_USO4/6}, where {@link Gso} splits it.
 *
 * <p>This is how ESP-in-UDP (RFC 3948) leaves the data plane in bulk: each segment is one
 * ordinary ESP-in-UDP datagram. The segments get real UDP checksums (the kernel completes them
 * from the pseudo-header sum this class writes, as for any CHECKSUM_PARTIAL packet); RFC 3948
 * §2.1 lets a sender use zero or a real checksum over IPv4.
 *
 * <p>Datagrams merge when they have the same addresses, ports, TOS/traffic class, TTL/hop
 * limit and DF, carry no IPv4 options or IPv6 extension headers, and have the same UDP payload
 * size, except a last, shorter one that ends the batch. Everything else is written as it is.
 * Not thread-safe: one per writing thread.
 */
public final class UdpCoalescer {
    /** The kernel refuses UDP GSO packets with more segments ({@code UDP_MAX_SEGMENTS}). */
    public static final int MAX_SEGMENTS = 64;
    private static final int IP = VirtioNetHdr.LENGTH;
    private static final int MAX_IP_PACKET = 65535;

    private final PacketSink sink;
    private final VirtioNetHdr vh = new VirtioNetHdr();
    private final byte[] buf = new byte[IP + MAX_IP_PACKET];
    private int count;
    private int pktLen;
    private int hdrLen;
    private int segSize;
    private boolean v6;
    private boolean ended;

    /** @param sink receives each packet to write, starting with its 10-byte vnet header */
    public UdpCoalescer(PacketSink sink) {
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /**
     * Offers one IP packet. A packet that is not plain UDP (or does not fit the pending batch)
     * flushes the batch; a non-UDP packet is then written on its own, after a vnet header that
     * it must have room for at {@code pkt[off-10, off)}.
     */
    public void add(byte[] pkt, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, pkt.length);
        int h = udpHeaderEnd(pkt, off, len);
        if (h < 0) {
            flush();
            writePlain(pkt, off, len);
            return;
        }
        int payload = len - h;
        if (count > 0 && !ended && count < MAX_SEGMENTS && payload <= segSize && payload > 0
                && pktLen + payload <= MAX_IP_PACKET && h == hdrLen && sameFlow(pkt, off)) {
            System.arraycopy(pkt, off + h, buf, IP + pktLen, payload);
            pktLen += payload;
            count++;
            ended = payload < segSize;
            return;
        }
        flush();
        System.arraycopy(pkt, off, buf, IP, len);
        count = 1;
        pktLen = len;
        hdrLen = h;
        segSize = payload;
        v6 = (pkt[off] & 0xf0) == 0x60;
        ended = payload == 0;
    }

    public boolean pending() {
        return count > 0;
    }

    /** Writes what is pending: a single datagram as it is, several as one GSO packet. */
    public void flush() throws IOException {
        if (count == 0) {
            return;
        }
        int n = count;
        count = 0;
        if (n == 1) {
            VirtioNetHdr.encodePlain(buf, 0, 0);
            sink.accept(buf, 0, IP + pktLen);
            return;
        }
        int ipHdr = hdrLen - 8;
        int udpLen = pktLen - ipHdr;
        if (v6) {
            u16(buf, IP + 4, pktLen - 40);
        } else {
            u16(buf, IP + 2, pktLen);
            Headers.ipv4HeaderChecksum(buf, IP, ipHdr);
        }
        u16(buf, IP + ipHdr + 4, udpLen);
        // CHECKSUM_PARTIAL: the pseudo-header sum, folded but not complemented.
        u16(buf, IP + ipHdr + 6, fold(Headers.pseudoSum(buf, IP, v6, 17) + udpLen));
        vh.set(VirtioNetHdr.F_NEEDS_CSUM, VirtioNetHdr.GSO_UDP_L4, hdrLen, segSize, ipHdr, 6).encode(buf, 0);
        sink.accept(buf, 0, IP + pktLen);
    }

    private void writePlain(byte[] pkt, int off, int len) throws IOException {
        if (off < IP) {
            throw new IllegalArgumentException("no room for the vnet header in front of the packet");
        }
        VirtioNetHdr.encodePlain(pkt, off - IP, 0);
        sink.accept(pkt, off - IP, len + IP);
    }

    /** The offset of the UDP payload if the packet is plain IPv4/IPv6 UDP that can merge, else -1. */
    private static int udpHeaderEnd(byte[] b, int off, int len) {
        if (len < 28) {
            return -1;
        }
        int version = (b[off] & 0xf0) >>> 4;
        if (version == 4) {
            boolean fragment = (u16(b, off + 6) & 0x3fff) != 0;
            if (b[off] != 0x45 || b[off + 9] != 17 || fragment || u16(b, off + 2) != len) {
                return -1;
            }
            return 28;
        }
        if (version == 6 && len >= 48 && b[off + 6] == 17 && u16(b, off + 4) + 40 == len) {
            return 48;
        }
        return -1;
    }

    /** Same addresses, ports, TOS/TC, TTL/hop limit, DF and flow label as the pending batch. */
    private boolean sameFlow(byte[] b, int off) {
        int ip = IP;
        if (v6) {
            return (b[off] & 0xf0) == 0x60
                    && Arrays.equals(b, off, off + 4, buf, ip, ip + 4)          // version, TC, flow label
                    && b[off + 7] == buf[ip + 7]                                 // hop limit
                    && Arrays.equals(b, off + 8, off + 44, buf, ip + 8, ip + 44); // addresses and ports
        }
        return (b[off] & 0xf0) == 0x40
                && b[off + 1] == buf[ip + 1]                                     // TOS
                && (b[off + 6] & 0x40) == (buf[ip + 6] & 0x40)                    // DF
                && b[off + 8] == buf[ip + 8]                                     // TTL
                && Arrays.equals(b, off + 12, off + 24, buf, ip + 12, ip + 24);   // addresses and ports
    }
}
