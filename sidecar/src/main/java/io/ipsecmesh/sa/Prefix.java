package io.ipsecmesh.sa;

import io.ipsecmesh.packet.PacketInfo;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 address prefix, held as 128 bits (IPv4 mapped into {@code ::ffff:0:0/96}, as
 * {@link PacketInfo} holds addresses) so that matching is two masked compares.
 *
 */
public final class Prefix {
    private final boolean v4;
    private final long hi;
    private final long lo;
    private final int bits;
    private final long maskHi;
    private final long maskLo;

    public Prefix(boolean v4, long hi, long lo, int bits) {
        int max = v4 ? 32 : 128;
        if (bits < 0 || bits > max) {
            throw new IllegalArgumentException("prefix length " + bits + " out of range 0.." + max);
        }
        long[] m = masks(v4, bits);
        this.v4 = v4;
        this.bits = bits;
        this.maskHi = m[0];
        this.maskLo = m[1];
        this.hi = hi & maskHi;
        this.lo = lo & maskLo;
    }

    public boolean v4() {
        return v4;
    }

    public long hi() {
        return hi;
    }

    public long lo() {
        return lo;
    }

    /** Prefix length within the family. */
    public int bits() {
        return bits;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Prefix p && p.v4 == v4 && p.hi == hi && p.lo == lo && p.bits == bits;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(v4, hi, lo, bits);
    }

    /** Parses {@code 198.18.1.0/24}, {@code 2001:db8::/32}, or a bare address (a host prefix). */
    public static Prefix parse(String s) {
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        InetAddress a = parseAddress(addr);
        boolean v4 = a instanceof Inet4Address;
        int bits = slash < 0 ? (v4 ? 32 : 128) : parseBits(s.substring(slash + 1));
        return of(a, bits);
    }

    private static int parseBits(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad prefix length '" + s + "'");
        }
    }

    public static Prefix host(InetAddress a) {
        return of(a, a instanceof Inet4Address ? 32 : 128);
    }

    public static Prefix of(InetAddress a, int bits) {
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int v = (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
            return new Prefix(true, 0, PacketInfo.v4Lo(v), bits);
        }
        return new Prefix(false, io.ipsecmesh.packet.Bytes.i64(b, 0), io.ipsecmesh.packet.Bytes.i64(b, 8), bits);
    }

    /**
     * Parses a literal IPv4 or IPv6 address without any name lookup.
     */
    public static InetAddress parseAddress(String s) {
        boolean literal = !s.isEmpty() && (s.indexOf(':') >= 0 || s.chars().allMatch(c -> c == '.' || Character.isDigit(c)));
        if (!literal) {
            throw new IllegalArgumentException("not an IP address: '" + s + "'");
        }
        try {
            InetAddress a = InetAddress.getByName(s);
            if (a instanceof Inet6Address && s.indexOf(':') < 0) {
                throw new IllegalArgumentException("not an IP address: '" + s + "'");
            }
            return a;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: '" + s + "'");
        }
    }

    /** The mask over the 128-bit form; IPv4 prefixes always cover the 96-bit mapping. */
    static long[] masks(boolean v4, int bits) {
        int total = v4 ? 96 + bits : bits;
        long mhi = total >= 64 ? -1L : (total == 0 ? 0 : -1L << (64 - total));
        long mlo = total <= 64 ? 0 : (total == 128 ? -1L : -1L << (128 - total));
        return new long[] {mhi, mlo};
    }

    /** Length over the 128-bit form. */
    public int totalBits() {
        return v4 ? 96 + bits : bits;
    }

    public long maskHi() {
        return maskHi;
    }

    public long maskLo() {
        return maskLo;
    }

    public boolean contains(long addrHi, long addrLo) {
        return (addrHi & maskHi) == hi && (addrLo & maskLo) == lo;
    }

    @Override
    public String toString() {
        byte[] b;
        if (v4) {
            int v = (int) lo;
            b = new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
        } else {
            b = new byte[16];
            io.ipsecmesh.packet.Bytes.put64(b, 0, hi);
            io.ipsecmesh.packet.Bytes.put64(b, 8, lo);
        }
        try {
            return InetAddress.getByAddress(b).getHostAddress() + "/" + bits;
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
