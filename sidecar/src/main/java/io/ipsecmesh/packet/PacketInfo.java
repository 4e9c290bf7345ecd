package io.ipsecmesh.packet;

/**
 * What {@link IpPacket#parse} learns about one IPv4 or IPv6 packet. Mutable and reused: each
 * worker thread owns one, so the hot path allocates nothing.
 *
 * <p>Addresses are held as 128-bit numbers; an IPv4 address is stored IPv4-mapped
 * ({@code ::ffff:a.b.c.d}), so one selector type serves both families.
 */
public final class PacketInfo {
    /** 4 or 6. */
    public int version;
    /** Offset of the IP header in the buffer. */
    public int ipOff;
    /** Packet length according to the IP header (may be shorter than what was read). */
    public int length;
    /**
     * Where ESP or AH goes in transport mode (RFC 4303 §3.1.1, RFC 4302 §3.1.1): after the IPv4
     * header, or after the IPv6 Hop-by-Hop, Routing and Fragment headers and any Destination
     * Options header that precedes a Routing header.
     */
    public int insertOff;
    /** Offset of the byte that names the header at {@link #insertOff}. */
    public int insertField;
    /**
     * The first header that is not an IPv6 extension header (IPv4: the payload); ESP and AH count
     * as such, since nothing beyond them can be read in the clear.
     */
    public int upperProtocol;
    public int upperOff;
    /** Offset of the byte that names {@link #upperProtocol}. */
    public int upperField;
    /** Whether this is a fragment (IPv4 MF or offset, or an IPv6 Fragment header). */
    public boolean fragment;
    /** TCP/UDP/SCTP ports, or -1 when the packet has none or they are not in this fragment. */
    public int srcPort;
    public int dstPort;
    public long srcHi;
    public long srcLo;
    public long dstHi;
    public long dstLo;

    public static final long V4_MAPPED_LO_PREFIX = 0x0000ffff00000000L;

    public static long v4Lo(int addr) {
        return V4_MAPPED_LO_PREFIX | (addr & 0xffffffffL);
    }
}
