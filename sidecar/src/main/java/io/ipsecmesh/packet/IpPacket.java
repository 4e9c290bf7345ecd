package io.ipsecmesh.packet;

import static io.ipsecmesh.packet.Bytes.i32;
import static io.ipsecmesh.packet.Bytes.i64;
import static io.ipsecmesh.packet.Bytes.put16;
import static io.ipsecmesh.packet.Bytes.u16;
import static io.ipsecmesh.packet.Bytes.u8;

/**
 * IPv4 (RFC 791) and IPv6 (RFC 8200) header parsing and editing on byte arrays. Parsing never
 * throws: it returns a {@link ParseStatus} code, so malformed input costs a counter, not an
 * exception.
 */
public final class IpPacket {
    private IpPacket() {
    }

    public static final int IPV4_HEADER = 20;
    public static final int IPV6_HEADER = 40;
    /** More extension headers than this is treated as hostile. */
    static final int MAX_EXTENSION_HEADERS = 16;

    public static int version(byte[] b, int off) {
        return (b[off] & 0xff) >>> 4;
    }

    /**
     * Parses the IP header and IPv6 extension header chain of the packet at {@code off}, of
     * which {@code avail} bytes are in the buffer.
     *
     * @return {@link ParseStatus#OK} or the reason the packet is malformed
     */
    public static int parse(byte[] b, int off, int avail, PacketInfo p) {
        if (avail < 1) {
            return ParseStatus.TRUNCATED;
        }
        p.ipOff = off;
        p.srcPort = -1;
        p.dstPort = -1;
        p.fragment = false;
        int v = version(b, off);
        p.version = v;
        if (v == 4) {
            return parseV4(b, off, avail, p);
        } else if (v == 6) {
            return parseV6(b, off, avail, p);
        }
        return ParseStatus.BAD_VERSION;
    }

    private static int parseV4(byte[] b, int off, int avail, PacketInfo p) {
        if (avail < IPV4_HEADER) {
            return ParseStatus.TRUNCATED;
        }
        int ihl = (b[off] & 0x0f) * 4;
        if (ihl < IPV4_HEADER || ihl > avail) {
            return ParseStatus.BAD_HEADER_LENGTH;
        }
        int total = u16(b, off + 2);
        if (total < ihl || total > avail) {
            return ParseStatus.BAD_TOTAL_LENGTH;
        }
        p.length = total;
        int fragField = u16(b, off + 6);
        p.fragment = (fragField & 0x3fff) != 0; // MF set or offset non-zero
        p.srcHi = 0;
        p.srcLo = PacketInfo.v4Lo(i32(b, off + 12));
        p.dstHi = 0;
        p.dstLo = PacketInfo.v4Lo(i32(b, off + 16));
        p.insertOff = off + ihl;
        p.insertField = off + 9;
        p.upperOff = off + ihl;
        p.upperField = off + 9;
        p.upperProtocol = u8(b, off + 9);
        if ((fragField & 0x1fff) == 0) {
            readPorts(b, p, off + total);
        }
        return ParseStatus.OK;
    }

    private static int parseV6(byte[] b, int off, int avail, PacketInfo p) {
        if (avail < IPV6_HEADER) {
            return ParseStatus.TRUNCATED;
        }
        int total = IPV6_HEADER + u16(b, off + 4);
        if (total > avail) {
            return ParseStatus.BAD_TOTAL_LENGTH;
        }
        // A payload length of 0 with a Jumbo option (RFC 2675) is not supported on a TUN with an MTU.
        p.length = total;
        p.srcHi = i64(b, off + 8);
        p.srcLo = i64(b, off + 16);
        p.dstHi = i64(b, off + 24);
        p.dstLo = i64(b, off + 32);
        int end = off + total;
        int field = off + 6;
        int hdr = off + IPV6_HEADER;
        int nh = u8(b, field);
        p.insertOff = hdr;
        p.insertField = field;
        // Destination Options seen since the last insertion point: they belong before ESP/AH
        // only when a Routing header follows them (RFC 4303 §3.1.1).
        int pendingDestField = -1;
        int pendingDestEnd = -1;
        boolean nonFirstFragment = false;
        for (int count = 0; ; count++) {
            if (nh == IpProtocols.HOP_BY_HOP && count != 0) {
                return ParseStatus.BAD_EXTENSION_CHAIN; // RFC 8200 §4.3: only right after the IPv6 header
            }
            if (!isExtensionHeader(nh)) {
                break;
            }
            if (count >= MAX_EXTENSION_HEADERS) {
                return ParseStatus.BAD_EXTENSION_CHAIN;
            }
            if (end - hdr < 8) {
                return ParseStatus.BAD_EXTENSION_CHAIN;
            }
            int len = nh == IpProtocols.FRAGMENT ? 8 : (u8(b, hdr + 1) + 1) * 8;
            if (len > end - hdr) {
                return ParseStatus.BAD_EXTENSION_CHAIN;
            }
            switch (nh) {
                case IpProtocols.HOP_BY_HOP, IpProtocols.ROUTING, IpProtocols.FRAGMENT -> {
                    p.insertField = hdr;
                    p.insertOff = hdr + len;
                    pendingDestField = -1;
                    if (nh == IpProtocols.FRAGMENT) {
                        p.fragment = true;
                        nonFirstFragment |= (u16(b, hdr + 2) & 0xfff8) != 0;
                    }
                    if (nonFirstFragment) {
                        // What follows is fragment data, not headers (RFC 8200 §4.5).
                        p.upperProtocol = u8(b, hdr);
                        p.upperOff = hdr + len;
                        p.upperField = hdr;
                        return ParseStatus.OK;
                    }
                }
                case IpProtocols.DEST_OPTIONS -> {
                    if (pendingDestField < 0) {
                        pendingDestField = hdr;
                    }
                    pendingDestEnd = hdr + len;
                }
                default -> throw new AssertionError(nh);
            }
            field = hdr;
            nh = u8(b, hdr);
            hdr += len;
            if (nh == IpProtocols.ROUTING && pendingDestField >= 0) {
                // The Destination Options just walked precede a Routing header: they stay outside.
                p.insertField = field;
                p.insertOff = pendingDestEnd;
                pendingDestField = -1;
            }
        }
        p.upperProtocol = nh;
        p.upperOff = hdr;
        p.upperField = field;
        if (!nonFirstFragment) {
            readPorts(b, p, end);
        }
        return ParseStatus.OK;
    }

    static boolean isExtensionHeader(int nh) {
        return nh == IpProtocols.HOP_BY_HOP || nh == IpProtocols.ROUTING || nh == IpProtocols.FRAGMENT
                || nh == IpProtocols.DEST_OPTIONS;
    }

    private static void readPorts(byte[] b, PacketInfo p, int end) {
        int proto = p.upperProtocol;
        if ((proto == IpProtocols.TCP || proto == IpProtocols.UDP || proto == IpProtocols.SCTP)
                && end - p.upperOff >= 4) {
            p.srcPort = u16(b, p.upperOff);
            p.dstPort = u16(b, p.upperOff + 2);
        }
    }

    /** Sets the IPv4 total length or IPv6 payload length for a packet of {@code length} bytes. */
    public static void setLength(byte[] b, int off, int length) {
        if (version(b, off) == 4) {
            put16(b, off + 2, length);
        } else {
            put16(b, off + 4, length - IPV6_HEADER);
        }
    }

    /** Recomputes the IPv4 header checksum (no-op for IPv6, which has none). */
    public static void updateHeaderChecksum(byte[] b, int off) {
        if (version(b, off) != 4) {
            return;
        }
        int ihl = (b[off] & 0x0f) * 4;
        put16(b, off + 10, 0);
        put16(b, off + 10, InetChecksum.checksum(b, off, ihl));
    }
}
