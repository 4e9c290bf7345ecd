package io.ipsecmesh.tun;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds IPv4/IPv6 TCP and UDP packets for tests, with checksums computed by a deliberately
 * naive RFC 1071 routine that shares no code with the production {@code Headers}.
 */
final class TestPackets {
    private TestPackets() {}

    static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20, ECE = 0x40, CWR = 0x80;

    /** A flow: addresses, ports and the fields the tests vary. Mutable on purpose (builder). */
    static final class Flow {
        boolean v6;
        byte[] src;
        byte[] dst;
        int sport = 40000;
        int dport = 5201;
        long ack = 0x11223344L;
        int window = 501;
        byte[] options = new byte[0];
        int ttl = 64;
        int tos = 0;
        boolean df = true;
        int flowLabel = 0x12345;

        static Flow v4(String src, String dst) {
            Flow f = new Flow();
            f.src = addr(src);
            f.dst = addr(dst);
            return f;
        }

        static Flow v6(String src, String dst) {
            Flow f = new Flow();
            f.v6 = true;
            f.src = addr(src);
            f.dst = addr(dst);
            return f;
        }

        /** Adds a TCP timestamps option (NOP, NOP, kind 8 len 10), 12 bytes. */
        Flow timestamps(long tsval, long tsecr) {
            options = new byte[] {1, 1, 8, 10,
                (byte) (tsval >>> 24), (byte) (tsval >>> 16), (byte) (tsval >>> 8), (byte) tsval,
                (byte) (tsecr >>> 24), (byte) (tsecr >>> 16), (byte) (tsecr >>> 8), (byte) tsecr};
            return this;
        }
    }

    static byte[] addr(String s) {
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    /** Plain RFC 1071: sum big-endian 16-bit words one at a time, fold, complement. */
    static int checksum(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (b[off + len - 1] & 0xff) << 8;
        }
        while (sum > 0xffff) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    /** The pseudo header (RFC 9293 3.1 / RFC 8200 8.1) followed by the transport segment. */
    static byte[] withPseudoHeader(boolean v6, byte[] src, byte[] dst, int proto, byte[] seg, int off, int len) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(src);
        o.writeBytes(dst);
        if (v6) {
            o.writeBytes(new byte[] {(byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len, 0, 0, 0, (byte) proto});
        } else {
            o.writeBytes(new byte[] {0, (byte) proto, (byte) (len >>> 8), (byte) len});
        }
        o.write(seg, off, len);
        return o.toByteArray();
    }

    /** The folded, not complemented, pseudo-header sum: what the kernel puts in a partial checksum field. */
    static int pseudoSeed(boolean v6, byte[] src, byte[] dst, int proto, int l4Len) {
        byte[] p = withPseudoHeader(v6, src, dst, proto, new byte[0], 0, 0);
        // patch the length in (withPseudoHeader used len 0)
        if (v6) {
            p[32] = (byte) (l4Len >>> 24); p[33] = (byte) (l4Len >>> 16); p[34] = (byte) (l4Len >>> 8); p[35] = (byte) l4Len;
        } else {
            p[10] = (byte) (l4Len >>> 8); p[11] = (byte) l4Len;
        }
        return ~checksum(p, 0, p.length) & 0xffff;
    }

    /** Whether the transport checksum of an IP packet (no IPv6 extension headers) verifies. */
    static boolean transportChecksumOk(byte[] pkt) {
        boolean v6 = (pkt[0] & 0xf0) == 0x60;
        int ipHdr = v6 ? 40 : (pkt[0] & 0x0f) * 4;
        int proto = pkt[v6 ? 6 : 9] & 0xff;
        byte[] src = Arrays.copyOfRange(pkt, v6 ? 8 : 12, v6 ? 24 : 16);
        byte[] dst = Arrays.copyOfRange(pkt, v6 ? 24 : 16, v6 ? 40 : 20);
        byte[] all = withPseudoHeader(v6, src, dst, proto, pkt, ipHdr, pkt.length - ipHdr);
        return checksum(all, 0, all.length) == 0;
    }

    static boolean ipv4HeaderChecksumOk(byte[] pkt) {
        return checksum(pkt, 0, (pkt[0] & 0x0f) * 4) == 0;
    }

    static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    static long u32(byte[] b, int off) {
        return ((long) u16(b, off) << 16) | u16(b, off + 2);
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void put32(byte[] b, int off, long v) {
        put16(b, off, (int) (v >>> 16));
        put16(b, off + 2, (int) v);
    }

    private static byte[] ipPacket(Flow f, int proto, int id, byte[] l4) {
        byte[] p;
        if (f.v6) {
            p = new byte[40 + l4.length];
            p[0] = (byte) (0x60 | (f.tos >>> 4));
            p[1] = (byte) ((f.tos << 4) | ((f.flowLabel >>> 16) & 0x0f));
            put16(p, 2, f.flowLabel & 0xffff);
            put16(p, 4, l4.length);
            p[6] = (byte) proto;
            p[7] = (byte) f.ttl;
            System.arraycopy(f.src, 0, p, 8, 16);
            System.arraycopy(f.dst, 0, p, 24, 16);
            System.arraycopy(l4, 0, p, 40, l4.length);
        } else {
            p = new byte[20 + l4.length];
            p[0] = 0x45;
            p[1] = (byte) f.tos;
            put16(p, 2, p.length);
            put16(p, 4, id & 0xffff);
            put16(p, 6, f.df ? 0x4000 : 0);
            p[8] = (byte) f.ttl;
            p[9] = (byte) proto;
            System.arraycopy(f.src, 0, p, 12, 4);
            System.arraycopy(f.dst, 0, p, 16, 4);
            put16(p, 10, checksum(p, 0, 20));
            System.arraycopy(l4, 0, p, 20, l4.length);
        }
        return p;
    }

    /** A TCP packet with a correct full checksum. */
    static byte[] tcp(Flow f, long seq, int flags, int id, byte[] payload, int off, int len) {
        int th = 20 + f.options.length;
        byte[] l4 = new byte[th + len];
        put16(l4, 0, f.sport);
        put16(l4, 2, f.dport);
        put32(l4, 4, seq & 0xffffffffL);
        put32(l4, 8, f.ack);
        l4[12] = (byte) ((th / 4) << 4);
        l4[13] = (byte) flags;
        put16(l4, 14, f.window);
        System.arraycopy(f.options, 0, l4, 20, f.options.length);
        System.arraycopy(payload, off, l4, th, len);
        byte[] all = withPseudoHeader(f.v6, f.src, f.dst, 6, l4, 0, l4.length);
        put16(l4, 16, checksum(all, 0, all.length));
        return ipPacket(f, 6, id, l4);
    }

    /** A UDP packet with a correct full checksum (0 is sent as 0xffff). */
    static byte[] udp(Flow f, int id, byte[] payload, int off, int len) {
        byte[] l4 = new byte[8 + len];
        put16(l4, 0, f.sport);
        put16(l4, 2, f.dport);
        put16(l4, 4, l4.length);
        System.arraycopy(payload, off, l4, 8, len);
        byte[] all = withPseudoHeader(f.v6, f.src, f.dst, 17, l4, 0, l4.length);
        int c = checksum(all, 0, all.length);
        put16(l4, 6, c == 0 ? 0xffff : c);
        return ipPacket(f, 17, id, l4);
    }

    /**
     * The TCP segments a sender with the given MSS would send for {@code payload}: sequence
     * numbers from {@code seq}, IDs from {@code id}, {@code flags} with PSH/FIN only on the last
     * and CWR only on the first.
     */
    static List<byte[]> tcpSegments(Flow f, long seq, int flags, int id, byte[] payload, int mss) {
        List<byte[]> out = new ArrayList<>();
        for (int pos = 0, i = 0; pos < payload.length; pos += mss, i++) {
            int len = Math.min(mss, payload.length - pos);
            int fl = flags;
            if (pos + len < payload.length) {
                fl &= ~(FIN | PSH);
            }
            if (pos > 0) {
                fl &= ~CWR;
            }
            out.add(tcp(f, seq + pos, fl, id + i, payload, pos, len));
        }
        return out;
    }

    static List<byte[]> udpSegments(Flow f, int id, byte[] payload, int size) {
        List<byte[]> out = new ArrayList<>();
        for (int pos = 0, i = 0; pos < payload.length; pos += size, i++) {
            out.add(udp(f, id + i, payload, pos, Math.min(size, payload.length - pos)));
        }
        return out;
    }

    static byte[] payload(int len, long seed) {
        byte[] p = new byte[len];
        new java.util.Random(seed).nextBytes(p);
        return p;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** Collects copies of what a {@link PacketSink} receives. */
    static final class Collector implements PacketSink {
        final List<byte[]> packets = new ArrayList<>();

        @Override
        public void accept(byte[] buf, int off, int len) {
            packets.add(Arrays.copyOfRange(buf, off, off + len));
        }
    }
}
