package io.ipsecmesh.packet;

import java.io.IOException;
import java.security.SecureRandom;

import static io.ipsecmesh.packet.Bytes.put16;
import static io.ipsecmesh.packet.Bytes.put32;
import static io.ipsecmesh.packet.Bytes.u16;
import static io.ipsecmesh.packet.Bytes.u8;

/**
 * Splits an IP packet larger than an MTU into fragments, as RFC 4303 §3.3.5 and RFC 4302 §3.3.5
 * require after ESP/AH processing.
 *
 * <p>IPv4 (RFC 791 §2.3 "Fragmentation", §3.2): refused when DF is set, so the caller can drop the
 * packet and send ICMP "fragmentation needed" (RFC 1191); each fragment carries a multiple of 8
 * bytes except the last; the first fragment carries every option, later ones only the options
 * whose copied flag is set. An IPv4 fragment can be fragmented again: offsets and the final MF
 * follow the original.
 *
 * <p>IPv6 (RFC 8200 §4.5): a Fragment header goes after the per-fragment headers (the IPv6
 * header, Hop-by-Hop, and Routing with any Destination Options before it: the insertion point
 * {@link PacketInfo#insertOff} gives); the Identification comes from a per-instance counter with a
 * random start (RFC 7739 §5.1 discusses the trade-offs). A packet that already has a Fragment
 * header is refused as {@link #MALFORMED}.
 *
 * <p>Fragments are built one at a time in a buffer the instance owns, at {@code headroom} from its
 * start and with at least {@code tailroom} after them, and handed to a {@link Sink}, which must
 * consume the bytes before it returns. The input is not modified. One instance per worker
 * thread: not thread-safe; no allocation per packet.
 */
public final class Fragmenter {
    /** Receives each fragment; the bytes are reused once it returns. */
    @FunctionalInterface
    public interface Sink {
        void accept(byte[] buf, int off, int len) throws IOException;
    }

    /** IPv4 packet with DF set: not fragmented (send ICMP type 3 code 4 with the MTU). */
    public static final int DONT_FRAGMENT = -1;
    /** The MTU cannot hold the headers plus 8 bytes of data. */
    public static final int MTU_TOO_SMALL = -2;
    /** Not a valid IP packet (bad header, bad IPv4 options, an IPv6 extension chain that ends badly, already an IPv6 fragment). */
    public static final int MALFORMED = -3;

    private static final int IPV4_DF = 0x4000;
    private static final int IPV4_MF = 0x2000;
    private static final int FRAGMENT_HEADER = 8;

    private final byte[] scratch;
    private final int headroom;
    /** IPv4 header of the second and later fragments: the options to copy. */
    private final byte[] laterHeader = new byte[60];
    private final PacketInfo info = new PacketInfo();
    private int nextId;

    /** {@link PacketBuffer#HEADROOM} and {@link PacketBuffer#TAILROOM}, and a random first identification. */
    public Fragmenter() {
        this(PacketBuffer.HEADROOM, PacketBuffer.TAILROOM, new SecureRandom().nextInt());
    }

    /**
     * @param headroom free bytes before each fragment handed to the sink
     * @param tailroom free bytes (at least) after each fragment
     * @param firstId  the first IPv6 Identification; the next datagrams count up from it
     */
    public Fragmenter(int headroom, int tailroom, int firstId) {
        if (headroom < 0 || tailroom < 0) {
            throw new IllegalArgumentException("negative headroom or tailroom");
        }
        this.headroom = headroom;
        // An IPv6 packet can reach 65,575 bytes (40 + a 65,535-byte payload), and a fragment just less.
        this.scratch = new byte[headroom + PacketBuffer.MAX_PACKET + IpPacket.IPV6_HEADER + tailroom];
        this.nextId = firstId;
    }

    /**
     * Sends the packet at {@code off} to {@code sink}: unchanged if its length (per its IP header)
     * is at most {@code mtu}, else as fragments of at most {@code mtu} bytes, in order.
     *
     * @param len bytes available at {@code off}; only the IP header's length is used
     * @return how many packets went to the sink (1 when no fragmentation was needed), or
     * {@link #DONT_FRAGMENT}, {@link #MTU_TOO_SMALL} or {@link #MALFORMED}, with nothing sent
     */
    public int fragment(byte[] buf, int off, int len, int mtu, Sink sink) throws IOException {
        if (buf == null || off < 0 || len < 1 || len > buf.length - off) {
            return MALFORMED;
        }
        int version = IpPacket.version(buf, off);
        if (version == 4) {
            return fragmentV4(buf, off, len, mtu, sink);
        } else if (version == 6) {
            return fragmentV6(buf, off, len, mtu, sink);
        }
        return MALFORMED;
    }

    private int fragmentV4(byte[] b, int off, int len, int mtu, Sink sink) throws IOException {
        if (len < IpPacket.IPV4_HEADER) {
            return MALFORMED;
        }
        int ihl = (b[off] & 0x0f) * 4;
        int total = u16(b, off + 2);
        if (ihl < IpPacket.IPV4_HEADER || total < ihl || total > len) {
            return MALFORMED;
        }
        if (total <= mtu) {
            sink.accept(b, off, total);
            return 1;
        }
        int flags = u16(b, off + 6);
        if ((flags & IPV4_DF) != 0) {
            return DONT_FRAGMENT;
        }
        int laterLen = copiedOptionsHeader(b, off, ihl);
        if (laterLen < 0) {
            return MALFORMED;
        }
        int firstChunk = (mtu - ihl) & ~7;
        int laterChunk = (mtu - laterLen) & ~7;
        if (mtu - ihl < 8 || mtu - laterLen < 8) {
            return MTU_TOO_SMALL;
        }
        int baseOff = (flags & 0x1fff) * 8;
        boolean finalMore = (flags & IPV4_MF) != 0;
        int dataLen = total - ihl;
        if (baseOff + dataLen > Reassembler.MAX_IP_LENGTH) {
            return MALFORMED; // an offset that cannot be expressed
        }
        int data = off + ihl;
        int o = headroom;
        int n = 0;
        for (int pos = 0; pos < dataLen; n++) {
            int hl;
            int chunk;
            if (pos == 0) {
                hl = ihl;
                chunk = Math.min(firstChunk, dataLen);
                System.arraycopy(b, off, scratch, o, ihl);
            } else {
                hl = laterLen;
                chunk = Math.min(laterChunk, dataLen - pos);
                System.arraycopy(laterHeader, 0, scratch, o, laterLen);
            }
            boolean more = pos + chunk < dataLen || finalMore;
            System.arraycopy(b, data + pos, scratch, o + hl, chunk);
            put16(scratch, o + 2, hl + chunk);
            put16(scratch, o + 6, (more ? IPV4_MF : 0) | (baseOff + pos) >>> 3);
            IpPacket.updateHeaderChecksum(scratch, o);
            sink.accept(scratch, o, hl + chunk);
            pos += chunk;
        }
        return n;
    }

    /**
     * Builds in {@link #laterHeader} the header of the second and later fragments: the fixed
     * 20 bytes and the options with the copied flag (RFC 791 §3.1 "Options"), padded with
     * End of Option List to a multiple of 4.
     *
     * @return its length, or -1 if the options are malformed
     */
    private int copiedOptionsHeader(byte[] b, int off, int ihl) {
        byte[] h = laterHeader;
        System.arraycopy(b, off, h, 0, IpPacket.IPV4_HEADER);
        int w = IpPacket.IPV4_HEADER;
        int i = off + IpPacket.IPV4_HEADER;
        int end = off + ihl;
        while (i < end) {
            int type = u8(b, i);
            if (type == 0) { // End of Option List
                break;
            }
            if (type == 1) { // No Operation
                i++;
                continue;
            }
            if (end - i < 2) {
                return -1;
            }
            int l = u8(b, i + 1);
            if (l < 2 || l > end - i) {
                return -1;
            }
            if ((type & 0x80) != 0) {
                System.arraycopy(b, i, h, w, l);
                w += l;
            }
            i += l;
        }
        while ((w & 3) != 0) {
            h[w++] = 0;
        }
        h[0] = (byte) (0x40 | w >>> 2);
        return w;
    }

    private int fragmentV6(byte[] b, int off, int len, int mtu, Sink sink) throws IOException {
        PacketInfo p = info;
        if (IpPacket.parse(b, off, len, p) != ParseStatus.OK) {
            return MALFORMED;
        }
        int total = p.length;
        if (total <= mtu) {
            sink.accept(b, off, total);
            return 1;
        }
        if (p.fragment) {
            return MALFORMED; // only the source fragments, once (RFC 8200 §4.5)
        }
        int unfrag = p.insertOff - off;
        int field = p.insertField - off;
        int nextHeader = u8(b, p.insertField);
        int chunkMax = (mtu - unfrag - FRAGMENT_HEADER) & ~7;
        if (mtu - unfrag - FRAGMENT_HEADER < 8) {
            return MTU_TOO_SMALL;
        }
        int id = nextId++;
        int data = p.insertOff;
        int dataLen = total - unfrag;
        int o = headroom;
        int n = 0;
        for (int pos = 0; pos < dataLen; n++) {
            int chunk = Math.min(chunkMax, dataLen - pos);
            boolean more = pos + chunk < dataLen;
            int fh = o + unfrag;
            System.arraycopy(b, off, scratch, o, unfrag);
            scratch[o + field] = (byte) IpProtocols.FRAGMENT;
            put16(scratch, o + 4, unfrag - IpPacket.IPV6_HEADER + FRAGMENT_HEADER + chunk);
            scratch[fh] = (byte) nextHeader;
            scratch[fh + 1] = 0;
            put16(scratch, fh + 2, pos | (more ? 1 : 0));
            put32(scratch, fh + 4, id);
            System.arraycopy(b, data + pos, scratch, fh + FRAGMENT_HEADER, chunk);
            sink.accept(scratch, o, unfrag + FRAGMENT_HEADER + chunk);
            pos += chunk;
        }
        return n;
    }

    public static String describe(int code) {
        return switch (code) {
            case DONT_FRAGMENT -> "IPv4 DF set";
            case MTU_TOO_SMALL -> "MTU too small to fragment";
            case MALFORMED -> "malformed packet";
            default -> code > 0 ? code + " packets" : "unknown code " + code;
        };
    }
}
