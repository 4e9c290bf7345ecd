package io.ipsecmesh.packet;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static io.ipsecmesh.packet.Bytes.put16;

/** Builds IPv4/IPv6 UDP packets for the fragmentation tests, and collects fragments. */
final class FragTestPackets {
    private FragTestPackets() {
    }

    static final byte[] V4_SRC = {10, 1, 0, 1};
    static final byte[] V4_DST = {10, 2, 0, 2};
    static final byte[] V6_SRC = addr6(0x20, 0x01, 0x0d, 0xb8, 1);
    static final byte[] V6_DST = addr6(0x20, 0x01, 0x0d, 0xb8, 2);

    static byte[] addr6(int a, int b, int c, int d, int last) {
        byte[] r = new byte[16];
        r[0] = (byte) a;
        r[1] = (byte) b;
        r[2] = (byte) c;
        r[3] = (byte) d;
        r[15] = (byte) last;
        return r;
    }

    static byte[] payload(int len, long seed) {
        byte[] p = new byte[len];
        new Random(seed).nextBytes(p);
        return p;
    }

    /** A UDP header (checksum filled in later) followed by {@code body}. */
    static byte[] udp(int srcPort, int dstPort, byte[] body) {
        byte[] u = new byte[8 + body.length];
        put16(u, 0, srcPort);
        put16(u, 2, dstPort);
        put16(u, 4, u.length);
        System.arraycopy(body, 0, u, 8, body.length);
        return u;
    }

    /**
     * An IPv4 packet with the given options (a multiple of 4 bytes), protocol and id, DF clear,
     * a valid header checksum and, for UDP, a valid UDP checksum.
     */
    static byte[] v4(int protocol, int id, byte[] options, byte[] l4) {
        int ihl = 20 + options.length;
        byte[] p = new byte[ihl + l4.length];
        p[0] = (byte) (0x40 | ihl / 4);
        put16(p, 2, p.length);
        put16(p, 4, id);
        p[8] = 64;
        p[9] = (byte) protocol;
        System.arraycopy(V4_SRC, 0, p, 12, 4);
        System.arraycopy(V4_DST, 0, p, 16, 4);
        System.arraycopy(options, 0, p, 20, options.length);
        System.arraycopy(l4, 0, p, ihl, l4.length);
        if (protocol == IpProtocols.UDP) {
            udpChecksum(p, ihl);
        }
        IpPacket.updateHeaderChecksum(p, 0);
        return p;
    }

    static byte[] v4Udp(int id, byte[] options, int bodyLen, long seed) {
        return v4(IpProtocols.UDP, id, options, udp(4000, 5000, payload(bodyLen, seed)));
    }

    /**
     * An IPv6 packet: the base header, then {@code ext} (a chain of extension headers whose
     * first byte names the next; the caller sets those), then {@code l4}.
     */
    static byte[] v6(int firstNextHeader, byte[] ext, byte[] l4, int l4Protocol) {
        byte[] p = new byte[40 + ext.length + l4.length];
        p[0] = 0x60;
        put16(p, 4, p.length - 40);
        p[6] = (byte) firstNextHeader;
        p[7] = 64;
        System.arraycopy(V6_SRC, 0, p, 8, 16);
        System.arraycopy(V6_DST, 0, p, 24, 16);
        System.arraycopy(ext, 0, p, 40, ext.length);
        System.arraycopy(l4, 0, p, 40 + ext.length, l4.length);
        if (l4Protocol == IpProtocols.UDP) {
            udpChecksum(p, 40 + ext.length);
        }
        return p;
    }

    static byte[] v6Udp(int bodyLen, long seed) {
        return v6(IpProtocols.UDP, new byte[0], udp(4000, 5000, payload(bodyLen, seed)), IpProtocols.UDP);
    }

    /**
     * IPv6 with Hop-by-Hop, Destination Options, Routing (per-fragment part) and a second
     * Destination Options header (fragmentable part) before UDP.
     */
    static byte[] v6WithExtensions(int bodyLen, long seed) {
        ByteArrayOutputStream ext = new ByteArrayOutputStream();
        // Hop-by-Hop: 8 bytes, PadN of 4 after... (next=Dest Options)
        ext.writeBytes(new byte[]{(byte) IpProtocols.DEST_OPTIONS, 0, 1, 4, 0, 0, 0, 0});
        // Destination Options before Routing: 16 bytes (Hdr Ext Len 1), PadN 12
        ext.writeBytes(new byte[]{(byte) IpProtocols.ROUTING, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        // Routing header, type 253 (experimental), Segments Left 0
        ext.writeBytes(new byte[]{(byte) IpProtocols.DEST_OPTIONS, 0, (byte) 253, 0, 0, 0, 0, 0});
        // Destination Options after Routing: fragmentable
        ext.writeBytes(new byte[]{(byte) IpProtocols.UDP, 0, 1, 4, 0, 0, 0, 0});
        return v6(IpProtocols.HOP_BY_HOP, ext.toByteArray(), udp(4000, 5000, payload(bodyLen, seed)), IpProtocols.UDP);
    }

    static void udpChecksum(byte[] p, int udpOff) {
        int len = p.length - udpOff;
        put16(p, udpOff + 6, 0);
        long sum = InetChecksum.pseudoHeaderSum(p, 0, IpProtocols.UDP, len);
        int c = InetChecksum.finish(InetChecksum.sum(p, udpOff, len, sum));
        put16(p, udpOff + 6, c == 0 ? 0xffff : c);
    }

    /** Collects what a {@link Fragmenter} emits, checking that headroom really is free space. */
    static final class Collector implements Fragmenter.Sink {
        final List<byte[]> packets = new ArrayList<>();
        final List<Integer> offsets = new ArrayList<>();

        @Override
        public void accept(byte[] buf, int off, int len) {
            packets.add(java.util.Arrays.copyOfRange(buf, off, off + len));
            offsets.add(off);
        }
    }

    static List<byte[]> fragment(byte[] packet, int mtu) throws Exception {
        Collector c = new Collector();
        int r = new Fragmenter(PacketBuffer.HEADROOM, 0, 0x12345678).fragment(packet, 0, packet.length, mtu, c);
        if (r != c.packets.size()) {
            throw new AssertionError("fragment returned " + r + " but emitted " + c.packets.size());
        }
        return c.packets;
    }

    /** Builds a raw IPv4 fragment of the given packet's header with arbitrary offset/MF/data. */
    static byte[] v4Fragment(int id, int protocol, int offsetBytes, boolean more, byte[] data) {
        byte[] p = new byte[20 + data.length];
        p[0] = 0x45;
        put16(p, 2, p.length);
        put16(p, 4, id);
        put16(p, 6, (more ? 0x2000 : 0) | (offsetBytes >>> 3));
        p[8] = 64;
        p[9] = (byte) protocol;
        System.arraycopy(V4_SRC, 0, p, 12, 4);
        System.arraycopy(V4_DST, 0, p, 16, 4);
        System.arraycopy(data, 0, p, 20, data.length);
        IpPacket.updateHeaderChecksum(p, 0);
        return p;
    }

    /** Builds a raw IPv6 fragment (no other extension headers) with arbitrary offset/M/data. */
    static byte[] v6Fragment(int id, int nextHeader, int offsetBytes, boolean more, byte[] data) {
        byte[] p = new byte[48 + data.length];
        p[0] = 0x60;
        put16(p, 4, p.length - 40);
        p[6] = (byte) IpProtocols.FRAGMENT;
        p[7] = 64;
        System.arraycopy(V6_SRC, 0, p, 8, 16);
        System.arraycopy(V6_DST, 0, p, 24, 16);
        p[40] = (byte) nextHeader;
        put16(p, 42, offsetBytes | (more ? 1 : 0));
        Bytes.put32(p, 44, id);
        System.arraycopy(data, 0, p, 48, data.length);
        return p;
    }
}
