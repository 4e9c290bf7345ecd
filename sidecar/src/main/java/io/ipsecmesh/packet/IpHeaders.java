package io.ipsecmesh.packet;

import static io.ipsecmesh.packet.Bytes.put16;

/** Builds outer IPv4/IPv6 and UDP headers for tunnel mode and UDP encapsulation. */
public final class IpHeaders {
    private IpHeaders() {
    }

    public static final int DEFAULT_TTL = 64;
    public static final int UDP_HEADER = 8;

    /**
     * Writes a 20-byte IPv4 header with its checksum.
     *
     * @param tos DSCP and ECN
     */
    public static void writeIpv4(byte[] b, int off, byte[] src, byte[] dst, int protocol, int totalLength,
                                 int tos, int id, boolean dontFragment) {
        b[off] = 0x45;
        b[off + 1] = (byte) tos;
        put16(b, off + 2, totalLength);
        put16(b, off + 4, id);
        put16(b, off + 6, dontFragment ? 0x4000 : 0);
        b[off + 8] = (byte) DEFAULT_TTL;
        b[off + 9] = (byte) protocol;
        put16(b, off + 10, 0);
        System.arraycopy(src, 0, b, off + 12, 4);
        System.arraycopy(dst, 0, b, off + 16, 4);
        put16(b, off + 10, InetChecksum.checksum(b, off, 20));
    }

    /** Writes a 40-byte IPv6 header. */
    public static void writeIpv6(byte[] b, int off, byte[] src, byte[] dst, int nextHeader, int payloadLength,
                                 int trafficClass, int flowLabel) {
        int first = 6 << 28 | (trafficClass & 0xff) << 20 | (flowLabel & 0xfffff);
        Bytes.put32(b, off, first);
        put16(b, off + 4, payloadLength);
        b[off + 6] = (byte) nextHeader;
        b[off + 7] = (byte) DEFAULT_TTL;
        System.arraycopy(src, 0, b, off + 8, 16);
        System.arraycopy(dst, 0, b, off + 24, 16);
    }

    /** DSCP+ECN of an IPv4 packet, or the Traffic Class of an IPv6 one. */
    public static int trafficClass(byte[] b, int off) {
        if (IpPacket.version(b, off) == 4) {
            return b[off + 1] & 0xff;
        }
        return (Bytes.u16(b, off) >>> 4) & 0xff;
    }

    /** Sets DSCP+ECN (IPv4, checksum updated) or Traffic Class (IPv6). */
    public static void setTrafficClass(byte[] b, int off, int tc) {
        if (IpPacket.version(b, off) == 4) {
            b[off + 1] = (byte) tc;
            IpPacket.updateHeaderChecksum(b, off);
        } else {
            int w = Bytes.i32(b, off);
            w = (w & 0xf00fffff) | (tc & 0xff) << 20;
            Bytes.put32(b, off, w);
        }
    }

    /**
     * Writes a UDP header; the checksum is 0 over IPv4 (RFC 3948 §2.1) and computed over IPv6,
     * where a zero checksum is not allowed for this use.
     */
    public static void writeUdp(byte[] b, int ipOff, int udpOff, int srcPort, int dstPort, int udpLength) {
        put16(b, udpOff, srcPort);
        put16(b, udpOff + 2, dstPort);
        put16(b, udpOff + 4, udpLength);
        put16(b, udpOff + 6, 0);
        if (IpPacket.version(b, ipOff) == 6) {
            long sum = InetChecksum.pseudoHeaderSum(b, ipOff, IpProtocols.UDP, udpLength);
            int c = InetChecksum.finish(InetChecksum.sum(b, udpOff, udpLength, sum));
            put16(b, udpOff + 6, c == 0 ? 0xffff : c);
        }
    }

    /**
     * Tunnel egress ECN (RFC 6040 §4.2, normal mode): a CE mark on the outer header is copied to
     * an inner header that is ECN-capable.
     */
    public static void decapsulateEcn(byte[] b, int outerOff, int innerOff) {
        int outerEcn = trafficClass(b, outerOff) & 3;
        int inner = trafficClass(b, innerOff);
        if (outerEcn == 3 && (inner & 3) != 0 && (inner & 3) != 3) {
            setTrafficClass(b, innerOff, inner | 3);
        }
    }
}
