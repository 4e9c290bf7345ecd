package io.ipsecmesh.packet;

/** The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit words. */
public final class InetChecksum {
    private InetChecksum() {
    }

    /** Adds {@code len} bytes at {@code off} to a running 32-bit partial sum (odd length padded with zero). */
    public static long sum(byte[] b, int off, int len, long acc) {
        int i = off;
        int end = off + len;
        // Eight bytes at a time: two's complement addition with end-around carry folded at the end.
        while (end - i >= 8) {
            acc += ((b[i] & 0xffL) << 8 | (b[i + 1] & 0xffL))
                    + ((b[i + 2] & 0xffL) << 8 | (b[i + 3] & 0xffL))
                    + ((b[i + 4] & 0xffL) << 8 | (b[i + 5] & 0xffL))
                    + ((b[i + 6] & 0xffL) << 8 | (b[i + 7] & 0xffL));
            i += 8;
        }
        while (end - i >= 2) {
            acc += (b[i] & 0xffL) << 8 | (b[i + 1] & 0xffL);
            i += 2;
        }
        if (i < end) {
            acc += (b[i] & 0xffL) << 8;
        }
        return acc;
    }

    /** Folds a partial sum to 16 bits and complements it. */
    public static int finish(long acc) {
        while ((acc >>> 16) != 0) {
            acc = (acc & 0xffff) + (acc >>> 16);
        }
        return (int) (~acc & 0xffff);
    }

    public static int checksum(byte[] b, int off, int len) {
        return finish(sum(b, off, len, 0));
    }

    /**
     * Partial sum of the TCP/UDP pseudo-header (RFC 793 §3.1, RFC 8200 §8.1) for the packet
     * whose IP header starts at {@code ipOff}.
     */
    public static long pseudoHeaderSum(byte[] b, int ipOff, int protocol, int l4Length) {
        if (IpPacket.version(b, ipOff) == 4) {
            return sum(b, ipOff + 12, 8, protocol + l4Length);
        }
        return sum(b, ipOff + 8, 32, protocol + (long) l4Length);
    }
}
