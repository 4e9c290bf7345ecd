package io.ipsecmesh.tun;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Byte-level access to the IPv4 (RFC 791), IPv6 (RFC 8200), TCP (RFC 9293) and UDP (RFC 768)
 * header fields this package needs, and the Internet checksum (RFC 1071). Package-private and
 * deliberately small: a general packet library lives elsewhere; the TUN offload code must
 * not depend on it.
 */
final class Headers {
    private Headers() {}

    static final int PROTO_HOPOPTS = 0;
    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;
    static final int PROTO_ROUTING = 43;
    static final int PROTO_FRAGMENT = 44;
    static final int PROTO_DSTOPTS = 60;

    static final int TCP_FIN = 0x01;
    static final int TCP_SYN = 0x02;
    static final int TCP_RST = 0x04;
    static final int TCP_PSH = 0x08;
    static final int TCP_ACK = 0x10;
    static final int TCP_URG = 0x20;
    static final int TCP_ECE = 0x40;
    static final int TCP_CWR = 0x80;
    /** Offset of the checksum in the TCP header. */
    static final int TCP_CSUM = 16;
    /** Offset of the checksum in the UDP header. */
    static final int UDP_CSUM = 6;

    private static final VarHandle U16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle U32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle U64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    static int u16(byte[] b, int off) {
        return (short) U16.get(b, off) & 0xffff;
    }

    static void u16(byte[] b, int off, int v) {
        U16.set(b, off, (short) v);
    }

    static long u32(byte[] b, int off) {
        return (int) U32.get(b, off) & 0xffff_ffffL;
    }

    static void u32(byte[] b, int off, long v) {
        U32.set(b, off, (int) v);
    }

    /**
     * Adds {@code b[off, off+len)} as big-endian 16-bit words to an unfolded ones'-complement
     * accumulator (RFC 1071). Words are summed 32 bits at a time into a long, which is
     * congruent modulo 0xffff. Every region but the last one summed must have even length (an
     * odd final byte is padded with zero).
     */
    static long sum(long acc, byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        for (; end - i >= 8; i += 8) {
            long v = (long) U64.get(b, i);
            acc += (v >>> 32) + (v & 0xffff_ffffL);
        }
        if (end - i >= 4) {
            acc += (int) U32.get(b, i) & 0xffff_ffffL;
            i += 4;
        }
        if (end - i >= 2) {
            acc += (short) U16.get(b, i) & 0xffff;
            i += 2;
        }
        if (i < end) {
            acc += (b[i] & 0xff) << 8;
        }
        return acc;
    }

    /** Folds an accumulator to 16 bits (end-around carry), not complemented. */
    static int fold(long acc) {
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xffff) + (acc >>> 16);
        }
        return (int) acc;
    }

    /**
     * The pseudo-header sum without the length: source and destination address, and the
     * protocol (RFC 9293 section 3.1 for IPv4, RFC 8200 section 8.1 for IPv6).
     */
    static long pseudoSum(byte[] b, int ipOff, boolean v6, int proto) {
        return v6 ? sum(proto, b, ipOff + 8, 32) : sum(proto, b, ipOff + 12, 8);
    }

    /** Recomputes the IPv4 header checksum of the header at {@code ipOff} with length {@code ihl} bytes. */
    static void ipv4HeaderChecksum(byte[] b, int ipOff, int ihl) {
        u16(b, ipOff + 10, 0);
        u16(b, ipOff + 10, ~fold(sum(0, b, ipOff, ihl)) & 0xffff);
    }

    /**
     * Finds the transport header of the IP packet at {@code b[off, off+len)}: returns
     * {@code (protocol << 32) | offsetFromPacketStart}, or -1 if the packet is malformed, is an
     * IPv4 fragment, or IPv6 with a fragment header or an unknown extension header.
     * IPv6 hop-by-hop, routing and destination options headers are skipped.
     */
    static long transport(byte[] b, int off, int len) {
        if (len < 20) {
            return -1;
        }
        int version = (b[off] & 0xff) >>> 4;
        if (version == 4) {
            int ihl = (b[off] & 0x0f) * 4;
            if (ihl < 20 || ihl > len) {
                return -1;
            }
            if ((u16(b, off + 6) & 0x3fff) != 0) { // MF or fragment offset
                return -1;
            }
            return ((long) (b[off + 9] & 0xff) << 32) | ihl;
        }
        if (version == 6) {
            if (len < 40) {
                return -1;
            }
            int next = b[off + 6] & 0xff;
            int pos = 40;
            while (next == PROTO_HOPOPTS || next == PROTO_ROUTING || next == PROTO_DSTOPTS) {
                if (pos + 8 > len) {
                    return -1;
                }
                int extLen = ((b[off + pos + 1] & 0xff) + 1) * 8;
                next = b[off + pos] & 0xff;
                pos += extLen;
            }
            if (next == PROTO_FRAGMENT || pos > len) {
                return -1;
            }
            return ((long) next << 32) | pos;
        }
        return -1;
    }
}
