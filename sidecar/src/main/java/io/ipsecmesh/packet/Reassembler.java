package io.ipsecmesh.packet;

import java.util.Arrays;

import static io.ipsecmesh.packet.Bytes.i32;
import static io.ipsecmesh.packet.Bytes.i64;
import static io.ipsecmesh.packet.Bytes.put16;
import static io.ipsecmesh.packet.Bytes.u16;
import static io.ipsecmesh.packet.Bytes.u32;
import static io.ipsecmesh.packet.Bytes.u8;

/**
 * Reassembles IPv4 (RFC 791 §3.2, with the hole bookkeeping of RFC 815 done as a sorted list of
 * received ranges) and IPv6 (RFC 8200 §4.5) fragments into whole datagrams, so that
 * transport-mode ESP/AH, which applies to whole datagrams only (RFC 4303 §3.1.1, §3.4.1;
 * RFC 4302 §3.4.1), can process them.
 *
 * <p>A datagram is identified by (source, destination, protocol, Identification) for IPv4 and by
 * (source, destination, Identification) for IPv6. Limits bound what an attacker can make us hold:
 * at most {@code maxDatagrams} datagrams in flight (the oldest is evicted for a new one), at most
 * {@code maxBytes} buffered bytes (oldest evicted), at most {@code maxFragments} fragments per
 * datagram, and a timeout counted from the first fragment (RFC 8200 §4.5: 60 s at most; Linux
 * uses 30 s).
 *
 * <p>Overlapping fragments discard the whole datagram, including fragments still to come
 * (RFC 5722 §3 for IPv6). We do the same for IPv4 as a hardening choice, as Linux has since
 * 2018: an overlap has no legitimate use and only serves to make a filter and the receiver see
 * different data. An exact duplicate (same offset, length and bytes), which the network can
 * produce, is ignored instead (RFC 8200 §4.5); a "duplicate" with different bytes is an overlap.
 *
 * <p>Faults that concern one fragment only (bad header, length not a multiple of 8 with more
 * fragments to follow, zero length, a reassembled length beyond 65,535) drop that fragment and
 * keep the datagram. Faults that make the datagram inconsistent (overlap, two different ends, data
 * past the end, too many fragments, an ECN mix that RFC 3168 §5.3 forbids) drop the datagram.
 *
 * <p>Tiny fragments (RFC 1858) are no threat here because policy is checked on the reassembled
 * datagram, never on a fragment; the only first-fragment check is RFC 8200 §4.5's: the first
 * IPv6 fragment must hold every extension header after the Fragment header (RFC 7112).
 *
 * <p>One instance per worker thread: not thread-safe. It allocates only when a datagram needs more
 * buffer than any before it in the same slot; the buffers are then reused. Malformed input
 * never throws.
 */
public final class Reassembler {
    /** {@link #offer} result: the fragment was stored; the datagram needs more fragments. */
    public static final int NEED_MORE = 0;
    /** The fragment overlaps one already received: the whole datagram was discarded (RFC 5722). */
    public static final int OVERLAP = -1;
    /** The fragment would make the datagram longer than 65,535 bytes (or than the output room); fragment dropped. */
    public static final int TOO_BIG = -2;
    /** The datagram has more fragments than allowed: the whole datagram was discarded. */
    public static final int TOO_MANY_FRAGMENTS = -3;
    /**
     * The fragment is malformed (bad header, zero length, a length that is not a multiple of 8
     * with more fragments to follow, an incomplete first IPv6 fragment): fragment dropped. Also
     * returned, with the whole datagram discarded, when the fragment contradicts the datagram's
     * end or its ECN codepoints (RFC 3168 §5.3).
     */
    public static final int MALFORMED = -4;
    /** An exact copy of a fragment already held: ignored, the datagram is still pending. */
    public static final int DUPLICATE = -5;
    /**
     * Counter of datagrams evicted to make room (datagram or byte cap). Returned by {@link #offer}
     * only when the fragment's own datagram cannot be held within the byte cap.
     */
    public static final int EVICTED = -6;
    /** Counter of datagrams discarded by timeout; never returned by {@link #offer}. */
    public static final int TIMED_OUT = -7;
    private static final int CODES = 8;

    public static final int DEFAULT_MAX_DATAGRAMS = 64;
    public static final int DEFAULT_MAX_FRAGMENTS = 64;
    public static final long DEFAULT_MAX_BYTES = 4L << 20;
    public static final long DEFAULT_TIMEOUT_NANOS = 30_000_000_000L;

    static final int MAX_IP_LENGTH = 65535;
    private static final int IPV4_DF = 0x4000;
    private static final int IPV4_MF = 0x2000;
    private static final int CE = 3;

    private final int maxFragments;
    private final long maxBytes;
    private final long timeoutNanos;
    /** Datagrams in flight, in no particular order; {@code active[i].index == i}. */
    private final Datagram[] active;
    private int activeCount;
    private final Datagram[] free;
    private int freeCount;
    private long bufferedBytes;
    private final long[] counters = new long[CODES];
    private long reassembled;

    /** Defaults: 64 datagrams, 64 fragments each, 4 MiB, 30 s. */
    public Reassembler() {
        this(DEFAULT_MAX_DATAGRAMS, DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_NANOS);
    }

    /**
     * @param maxDatagrams datagrams in flight at once; a new one evicts the oldest
     * @param maxFragments fragments per datagram
     * @param maxBytes     fragment bytes held in total (payload plus the first fragment's headers)
     * @param timeoutNanos time from a datagram's first fragment after which it is discarded
     */
    public Reassembler(int maxDatagrams, int maxFragments, long maxBytes, long timeoutNanos) {
        if (maxDatagrams < 1 || maxFragments < 1 || maxBytes < 1 || timeoutNanos < 1) {
            throw new IllegalArgumentException("reassembly limits must be positive");
        }
        this.maxFragments = maxFragments;
        this.maxBytes = maxBytes;
        this.timeoutNanos = timeoutNanos;
        this.active = new Datagram[maxDatagrams];
        this.free = new Datagram[maxDatagrams];
        for (int i = 0; i < maxDatagrams; i++) {
            free[freeCount++] = new Datagram(maxFragments);
        }
    }

    /** One datagram being reassembled. Reused: its buffers outlive it. */
    private static final class Datagram {
        int index;
        int version;
        long srcHi;
        long srcLo;
        long dstHi;
        long dstLo;
        /** IPv4: protocol << 16 | Identification; IPv6: the 32-bit Identification. */
        long id;
        long created;
        /** The fragmentable part, each fragment at its offset. */
        byte[] data = new byte[0];
        /** The first fragment's headers (IPv4 header; IPv6 per-fragment headers); length 0 until it arrives. */
        byte[] header = new byte[64];
        int headerLen;
        /** IPv6: position in {@link #header} of the Next Header byte that named the Fragment header. */
        int nextHeaderPos;
        /** IPv6: the Next Header of the first fragment's Fragment header. */
        int nextHeader;
        /** Received ranges [starts[i], ends[i]) sorted by start, never overlapping. */
        final int[] starts;
        final int[] ends;
        int count;
        int received;
        /** Length of the fragmentable part once the last fragment (MF/M clear) arrived, else -1. */
        int total;
        int maxEnd;
        /** Bit (1 << ECN codepoint) for each codepoint seen. */
        int ecnSeen;
        /** Bytes charged to {@link #bufferedBytes}. */
        int held;

        Datagram(int maxFragments) {
            starts = new int[maxFragments];
            ends = new int[maxFragments];
        }
    }

    /**
     * Offers one packet. A fragment is stored; when it completes its datagram, the datagram is
     * written to {@code out} as an ordinary IP packet: IPv4 with the first fragment's header (all
     * options), MF and offset cleared, total length and checksum recomputed; IPv6 with the first
     * fragment's per-fragment headers, the Fragment header removed and the payload length fixed.
     * A packet that is not a fragment is copied to {@code out} unchanged, and so is an IPv6
     * "atomic fragment" (offset 0, M clear; RFC 6946), minus its Fragment header.
     *
     * <p>The packet is parsed here, so the caller need not have parsed it; only the length given by
     * its IP header is used (trailing bytes are ignored).
     *
     * @param len      bytes available at {@code off}
     * @param nowNanos a monotonic clock ({@link System#nanoTime()})
     * @param out      room for a whole datagram from {@code outOff}: up to 65,535 bytes for IPv4,
     *                 65,575 for IPv6 (a 65,535-byte payload); a datagram that does not fit is
     *                 dropped as {@link #TOO_BIG}
     * @return the length of the packet written to {@code out}, {@link #NEED_MORE}, or a negative
     * code ({@link #OVERLAP}, {@link #TOO_BIG}, {@link #TOO_MANY_FRAGMENTS}, {@link #MALFORMED},
     * {@link #DUPLICATE}, {@link #EVICTED}) meaning the fragment was not kept
     */
    public int offer(byte[] buf, int off, int len, long nowNanos, byte[] out, int outOff) {
        if (buf == null || off < 0 || len < 1 || len > buf.length - off) {
            return count(MALFORMED);
        }
        int version = IpPacket.version(buf, off);
        if (version == 4) {
            return offerV4(buf, off, len, nowNanos, out, outOff);
        } else if (version == 6) {
            return offerV6(buf, off, len, nowNanos, out, outOff);
        }
        return count(MALFORMED);
    }

    private int offerV4(byte[] b, int off, int len, long now, byte[] out, int outOff) {
        if (len < IpPacket.IPV4_HEADER) {
            return count(MALFORMED);
        }
        int ihl = (b[off] & 0x0f) * 4;
        int total = u16(b, off + 2);
        if (ihl < IpPacket.IPV4_HEADER || total < ihl || total > len) {
            return count(MALFORMED);
        }
        int flags = u16(b, off + 6);
        boolean more = (flags & IPV4_MF) != 0;
        int fragOff = (flags & 0x1fff) * 8;
        if (!more && fragOff == 0) {
            return copyOut(b, off, total, out, outOff); // not a fragment
        }
        int dataLen = total - ihl;
        int check = checkFragment(more, dataLen, ihl + fragOff + dataLen);
        if (check != 0) {
            return check;
        }
        long src = PacketInfo.v4Lo(i32(b, off + 12));
        long dst = PacketInfo.v4Lo(i32(b, off + 16));
        long id = (long) u8(b, off + 9) << 16 | u16(b, off + 4);
        Datagram d = lookup(4, 0, src, 0, dst, id, now);
        return store(d, b, off, ihl, -1, 0, off + ihl, fragOff, dataLen, more, b[off + 1] & 3, out, outOff);
    }

    private int offerV6(byte[] b, int off, int len, long now, byte[] out, int outOff) {
        if (len < IpPacket.IPV6_HEADER) {
            return count(MALFORMED);
        }
        int end = off + IpPacket.IPV6_HEADER + u16(b, off + 4);
        if (end > off + len) {
            return count(MALFORMED);
        }
        // Walk the per-fragment headers to the Fragment header (RFC 8200 §4.5).
        int field = off + 6;
        int nh = u8(b, field);
        int hdr = off + IpPacket.IPV6_HEADER;
        for (int n = 0; nh != IpProtocols.FRAGMENT; n++) {
            if (nh != IpProtocols.HOP_BY_HOP && nh != IpProtocols.ROUTING && nh != IpProtocols.DEST_OPTIONS) {
                return copyOut(b, off, end - off, out, outOff); // not a fragment
            }
            if (n >= IpPacket.MAX_EXTENSION_HEADERS || (nh == IpProtocols.HOP_BY_HOP && n != 0)
                    || end - hdr < 8) {
                return count(MALFORMED);
            }
            int l = (u8(b, hdr + 1) + 1) * 8;
            if (l > end - hdr) {
                return count(MALFORMED);
            }
            field = hdr;
            nh = u8(b, hdr);
            hdr += l;
        }
        if (end - hdr < 8) {
            return count(MALFORMED);
        }
        int nextHeader = u8(b, hdr);
        int offField = u16(b, hdr + 2);
        int fragOff = offField & 0xfff8;
        boolean more = (offField & 1) != 0;
        int dataOff = hdr + 8;
        int dataLen = end - dataOff;
        int unfragLen = hdr - off;
        if (!more && fragOff == 0) {
            // Atomic fragment: processed in isolation, never with other fragments (RFC 6946 §4).
            int outLen = end - off - 8;
            if (outLen > out.length - outOff || outOff < 0) {
                return count(TOO_BIG);
            }
            System.arraycopy(b, off, out, outOff, unfragLen);
            System.arraycopy(b, dataOff, out, outOff + unfragLen, dataLen);
            out[outOff + field - off] = (byte) nextHeader;
            put16(out, outOff + 4, outLen - IpPacket.IPV6_HEADER);
            reassembled++;
            return outLen;
        }
        // RFC 8200 §4.5: the reassembled Payload Length may not exceed 65,535.
        int check = checkFragment(more, dataLen, unfragLen - IpPacket.IPV6_HEADER + fragOff + dataLen);
        if (check != 0) {
            return check;
        }
        if (fragOff == 0 && !headerChainComplete(b, dataOff, end, nextHeader)) {
            return count(MALFORMED);
        }
        Datagram d = lookup(6, i64(b, off + 8), i64(b, off + 16), i64(b, off + 24), i64(b, off + 32),
                u32(b, hdr + 4), now);
        int ecn = (u16(b, off) >>> 4) & 3;
        return store(d, b, off, unfragLen, field - off, nextHeader, dataOff, fragOff, dataLen, more, ecn,
                out, outOff);
    }

    /** Checks that concern the fragment alone; 0 if it passes. */
    private int checkFragment(boolean more, int dataLen, int reassembledLength) {
        if (dataLen == 0 || (more && (dataLen & 7) != 0)) {
            return count(MALFORMED); // RFC 8200 §4.5; RFC 791 fragments end on 8-byte boundaries
        }
        if (reassembledLength > MAX_IP_LENGTH) {
            return count(TOO_BIG);
        }
        return 0;
    }

    /**
     * RFC 8200 §4.5, RFC 7112: the first fragment must hold every extension header up to the
     * upper-layer header. A nested Fragment header is refused too, so reassembly never recurses.
     */
    private static boolean headerChainComplete(byte[] b, int pos, int end, int nh) {
        for (int n = 0; ; n++) {
            int l;
            switch (nh) {
                case IpProtocols.ROUTING, IpProtocols.DEST_OPTIONS -> {
                    if (end - pos < 2) {
                        return false;
                    }
                    l = (u8(b, pos + 1) + 1) * 8;
                }
                case IpProtocols.AH -> {
                    if (end - pos < 2) {
                        return false;
                    }
                    l = (u8(b, pos + 1) + 2) * 4; // RFC 4302 §2.2
                }
                case IpProtocols.HOP_BY_HOP, IpProtocols.FRAGMENT -> {
                    return false;
                }
                default -> {
                    return true;
                }
            }
            if (n >= IpPacket.MAX_EXTENSION_HEADERS || l > end - pos) {
                return false;
            }
            nh = u8(b, pos);
            pos += l;
        }
    }

    /** Finds the datagram for a key, discarding it first if it timed out; null if none. */
    private Datagram lookup(int version, long srcHi, long srcLo, long dstHi, long dstLo, long id, long now) {
        for (int i = 0; i < activeCount; i++) {
            Datagram d = active[i];
            if (d.id == id && d.srcLo == srcLo && d.dstLo == dstLo && d.srcHi == srcHi && d.dstHi == dstHi
                    && d.version == version) {
                if (now - d.created >= timeoutNanos) {
                    discard(d, TIMED_OUT);
                    break;
                }
                return d;
            }
        }
        Datagram d;
        if (freeCount == 0) {
            evict(oldest(null), now);
        }
        d = free[--freeCount];
        d.index = activeCount;
        active[activeCount++] = d;
        d.version = version;
        d.srcHi = srcHi;
        d.srcLo = srcLo;
        d.dstHi = dstHi;
        d.dstLo = dstLo;
        d.id = id;
        d.created = now;
        d.headerLen = 0;
        d.count = 0;
        d.received = 0;
        d.total = -1;
        d.maxEnd = 0;
        d.ecnSeen = 0;
        d.held = 0;
        return d;
    }

    private int store(Datagram d, byte[] b, int ipOff, int headerLen, int nextHeaderPos, int nextHeader,
                      int dataOff, int fragOff, int dataLen, boolean more, int ecn, byte[] out, int outOff) {
        int end = fragOff + dataLen;
        // The datagram's end: fixed by the last fragment, and nothing may lie beyond it.
        if (more ? d.total >= 0 && end > d.total : (d.total >= 0 && d.total != end) || d.maxEnd > end) {
            return drop(d, MALFORMED);
        }
        int i = 0;
        while (i < d.count && d.starts[i] < fragOff) {
            i++;
        }
        if (i < d.count && d.starts[i] == fragOff && d.ends[i] == end) {
            if (Arrays.equals(d.data, fragOff, end, b, dataOff, dataOff + dataLen)) {
                return count(DUPLICATE);
            }
            return drop(d, OVERLAP);
        }
        if ((i > 0 && d.ends[i - 1] > fragOff) || (i < d.count && d.starts[i] < end)) {
            return drop(d, OVERLAP);
        }
        if (d.count == maxFragments) {
            return drop(d, TOO_MANY_FRAGMENTS);
        }
        int charge = dataLen + (fragOff == 0 ? headerLen : 0);
        while (bufferedBytes + charge > maxBytes) {
            Datagram victim = oldest(d);
            if (victim == null) {
                return drop(d, EVICTED);
            }
            evict(victim, Long.MIN_VALUE);
        }
        if (d.data.length < end) {
            d.data = Arrays.copyOf(d.data, Math.min(MAX_IP_LENGTH, Math.max(end, Math.max(4096, d.data.length * 2))));
        }
        System.arraycopy(b, dataOff, d.data, fragOff, dataLen);
        if (fragOff == 0) {
            if (d.header.length < headerLen) {
                d.header = new byte[headerLen];
            }
            System.arraycopy(b, ipOff, d.header, 0, headerLen);
            d.headerLen = headerLen;
            d.nextHeaderPos = nextHeaderPos;
            d.nextHeader = nextHeader;
        }
        System.arraycopy(d.starts, i, d.starts, i + 1, d.count - i);
        System.arraycopy(d.ends, i, d.ends, i + 1, d.count - i);
        d.starts[i] = fragOff;
        d.ends[i] = end;
        d.count++;
        d.received += dataLen;
        d.maxEnd = Math.max(d.maxEnd, end);
        d.held += charge;
        bufferedBytes += charge;
        d.ecnSeen |= 1 << ecn;
        if (!more) {
            d.total = end;
        }
        if (d.total < 0 || d.received != d.total) {
            return NEED_MORE;
        }
        return complete(d, out, outOff);
    }

    /** Writes the reassembled datagram (every byte of [0, total) is present: no overlaps, sum matches). */
    private int complete(Datagram d, byte[] out, int outOff) {
        int h = d.headerLen;
        int length = h + d.total;
        int limit = d.version == 4 ? MAX_IP_LENGTH : MAX_IP_LENGTH + IpPacket.IPV6_HEADER;
        if (length > limit || outOff < 0 || length > out.length - outOff) {
            // Past the per-fragment check only when the first fragment's header is the longest.
            return drop(d, TOO_BIG);
        }
        // RFC 3168 §5.3 (Linux's ip_frag_ecn_table): Not-ECT mixed with ECT or CE cannot be
        // reassembled; CE on any fragment marks the datagram.
        int seen = d.ecnSeen;
        if ((seen & 1) != 0 && seen != 1) {
            return drop(d, MALFORMED);
        }
        System.arraycopy(d.header, 0, out, outOff, h);
        System.arraycopy(d.data, 0, out, outOff + h, d.total);
        boolean ce = (seen & (1 << CE)) != 0;
        if (d.version == 4) {
            put16(out, outOff + 2, length);
            put16(out, outOff + 6, u16(out, outOff + 6) & IPV4_DF);
            if (ce) {
                out[outOff + 1] |= CE;
            }
            IpPacket.updateHeaderChecksum(out, outOff);
        } else {
            out[outOff + d.nextHeaderPos] = (byte) d.nextHeader;
            put16(out, outOff + 4, length - IpPacket.IPV6_HEADER);
            if (ce) {
                out[outOff + 1] |= CE << 4;
            }
        }
        release(d);
        reassembled++;
        return length;
    }

    private int copyOut(byte[] b, int off, int length, byte[] out, int outOff) {
        if (outOff < 0 || length > out.length - outOff) {
            return count(TOO_BIG);
        }
        System.arraycopy(b, off, out, outOff, length);
        return length;
    }

    /** Oldest datagram in flight other than {@code except}, or null. */
    private Datagram oldest(Datagram except) {
        Datagram o = null;
        for (int i = 0; i < activeCount; i++) {
            Datagram d = active[i];
            if (d != except && (o == null || d.created - o.created < 0)) {
                o = d;
            }
        }
        return o;
    }

    /** Evicts a datagram to make room, counted as a timeout if it had timed out anyway. */
    private void evict(Datagram d, long now) {
        discard(d, now != Long.MIN_VALUE && now - d.created >= timeoutNanos ? TIMED_OUT : EVICTED);
    }

    /**
     * Discards every datagram whose first fragment arrived {@code timeout} or more before
     * {@code nowNanos} (RFC 791 §3.2 timer, RFC 8200 §4.5 60-second limit). Call it now and then,
     * e.g. once a second; {@link #offer} also discards a timed-out datagram when a fragment of it
     * arrives.
     *
     * @return how many datagrams were discarded
     */
    public int expire(long nowNanos) {
        int n = 0;
        for (int i = activeCount - 1; i >= 0; i--) {
            Datagram d = active[i];
            if (nowNanos - d.created >= timeoutNanos) {
                discard(d, TIMED_OUT);
                n++; // the datagram swapped into slot i was already visited
            }
        }
        return n;
    }

    /** Discards everything in flight without counting. */
    public void clear() {
        while (activeCount > 0) {
            release(active[activeCount - 1]);
        }
    }

    private int drop(Datagram d, int code) {
        discard(d, code);
        return code;
    }

    private void discard(Datagram d, int code) {
        count(code);
        release(d);
    }

    private void release(Datagram d) {
        bufferedBytes -= d.held;
        d.held = 0;
        int i = d.index;
        Datagram last = active[--activeCount];
        active[i] = last;
        last.index = i;
        active[activeCount] = null;
        free[freeCount++] = d;
    }

    private int count(int code) {
        counters[-code]++;
        return code;
    }

    /** How many times {@code code} (a negative constant of this class) occurred. */
    public long counter(int code) {
        return code < 0 && code > -CODES ? counters[-code] : 0;
    }

    /** Datagrams reassembled (atomic IPv6 fragments included). */
    public long reassembled() {
        return reassembled;
    }

    /** Datagrams in flight. */
    public int pending() {
        return activeCount;
    }

    /** Bytes held for datagrams in flight. */
    public long bufferedBytes() {
        return bufferedBytes;
    }

    public static String describe(int code) {
        return switch (code) {
            case NEED_MORE -> "more fragments needed";
            case OVERLAP -> "overlapping fragment";
            case TOO_BIG -> "reassembled datagram too big";
            case TOO_MANY_FRAGMENTS -> "too many fragments";
            case MALFORMED -> "malformed fragment";
            case DUPLICATE -> "duplicate fragment";
            case EVICTED -> "datagram evicted";
            case TIMED_OUT -> "reassembly timed out";
            default -> code > 0 ? "reassembled" : "unknown code " + code;
        };
    }
}
