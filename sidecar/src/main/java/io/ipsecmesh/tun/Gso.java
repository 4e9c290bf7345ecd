package io.ipsecmesh.tun;

import java.io.IOException;
import java.util.Objects;

import static io.ipsecmesh.tun.Headers.PROTO_TCP;
import static io.ipsecmesh.tun.Headers.PROTO_UDP;
import static io.ipsecmesh.tun.Headers.TCP_CSUM;
import static io.ipsecmesh.tun.Headers.TCP_CWR;
import static io.ipsecmesh.tun.Headers.TCP_FIN;
import static io.ipsecmesh.tun.Headers.TCP_PSH;
import static io.ipsecmesh.tun.Headers.UDP_CSUM;
import static io.ipsecmesh.tun.Headers.fold;
import static io.ipsecmesh.tun.Headers.sum;
import static io.ipsecmesh.tun.Headers.u16;
import static io.ipsecmesh.tun.Headers.u32;

/**
 * Software segmentation and checksum completion for packets read from a TUN with
 * {@code IFF_VNET_HDR} and offloads enabled ({@link TunDevice#setOffload(int)}): what a NIC
 * would do in hardware, done here because the packets are about to be encrypted, after which
 * no one can fix a checksum or split a packet.
 *
 * <p>{@link #segment} turns one packet plus its {@link VirtioNetHdr} into one or more complete
 * IP packets, each with a full (not partial) transport checksum:
 * <ul>
 *   <li>{@code GSO_NONE} with {@code NEEDS_CSUM}: the checksum is completed in place
 *       ({@link #completeChecksum}) and the input itself is passed on;</li>
 *   <li>{@code GSO_NONE} without it: passed on unchanged;</li>
 *   <li>{@code GSO_TCPV4}/{@code GSO_TCPV6} (TSO, optionally with the {@code GSO_ECN} bit):
 *       split into segments of {@code gso_size} payload bytes, as Linux
 *       {@code tcp_gso_segment()} does: the headers are copied into each segment; the sequence
 *       number advances by the payload before it; FIN and PSH stay only on the last segment,
 *       CWR only on the first (RFC 3168 section 6.1.2: CWR is set on one packet); IPv4 total
 *       length is set, the IPv4 ID increments by one per segment, the IPv4 header checksum is
 *       recomputed; the IPv6 payload length is set;</li>
 *   <li>{@code GSO_UDP_L4} (USO, {@code UDP_SEGMENT}): split into datagrams of {@code gso_size}
 *       payload bytes, each with its own UDP header (length and checksum) and IP header, as
 *       {@code __udp_gso_segment()} does;</li>
 *   <li>the legacy {@code GSO_UDP} (UFO, IP fragmentation) is refused: Linux no longer generates
 *       it, so do not enable {@link TunDevice#TUN_F_UFO}.</li>
 * </ul>
 * Offsets and lengths are taken from the packet itself, not from {@code hdr_len} (which the
 * kernel treats as a hint). IPv6 extension headers other than a fragment header are copied
 * into every segment.
 *
 * <p>Stateless and allocation-free: segments are built one at a time in a caller-provided
 * buffer and handed to a {@link PacketSink} that must consume them before returning.
 */
public final class Gso {
    private Gso() {}

    /** The largest output buffer space one segment can need: a 64 KiB packet. */
    public static final int MAX_SEGMENT = 65535;

    /**
     * Completes a partial checksum ({@code NEEDS_CSUM}) in place, like Linux
     * {@code skb_checksum_help()}: the ones'-complement sum from {@code csumStart} to the end of
     * the packet (which includes the pseudo-header sum the kernel left in the checksum field) is
     * complemented and stored at {@code csumStart + csumOffset}; a result of 0 is stored as
     * 0xffff (for UDP, 0 would mean "no checksum").
     *
     * @param off start of the IP packet (after the vnet header)
     * @throws IllegalArgumentException if the checksum field lies outside the packet
     */
    public static void completeChecksum(byte[] pkt, int off, int len, int csumStart, int csumOffset) {
        Objects.checkFromIndexSize(off, len, pkt.length);
        if (csumStart < 0 || csumOffset < 0 || csumStart + csumOffset + 2 > len) {
            throw new IllegalArgumentException("checksum at " + csumStart + "+" + csumOffset
                    + " outside a packet of " + len + " bytes");
        }
        int c = ~fold(sum(0, pkt, off + csumStart, len - csumStart)) & 0xffff;
        u16(pkt, off + csumStart + csumOffset, c == 0 ? 0xffff : c);
    }

    /**
     * Produces the complete packet(s) that the packet {@code in[off, off+len)} (the IP packet,
     * after its vnet header) with header {@code hdr} stands for, passing each to {@code sink}.
     * A GSO packet's segments are built one after the other in {@code out[outOff...)}, which must
     * have room for the headers plus {@code gso_size} bytes ({@link #MAX_SEGMENT} always
     * suffices); a non-GSO packet is passed on from {@code in} itself, its checksum completed in
     * place if needed.
     *
     * @return the number of packets passed to the sink
     * @throws IllegalArgumentException if the packet is malformed or does not match its vnet
     *     header (no packet has been passed to the sink then); the caller drops and counts it
     * @throws IOException what the sink throws
     */
    public static int segment(byte[] in, int off, int len, VirtioNetHdr hdr,
                              byte[] out, int outOff, PacketSink sink) throws IOException {
        Objects.checkFromIndexSize(off, len, in.length);
        int type = hdr.gsoType() & ~VirtioNetHdr.GSO_ECN;
        if (type == VirtioNetHdr.GSO_NONE) {
            if (hdr.needsCsum()) {
                completeChecksum(in, off, len, hdr.csumStart(), hdr.csumOffset());
            }
            sink.accept(in, off, len);
            return 1;
        }
        long t = Headers.transport(in, off, len);
        if (t < 0) {
            throw new IllegalArgumentException("GSO packet with a malformed or fragmented IP header");
        }
        int proto = (int) (t >>> 32);
        int l4 = (int) t;
        boolean v6 = (in[off] & 0xf0) == 0x60;
        int ipLen = v6 ? 40 + u16(in, off + 4) : u16(in, off + 2);
        if (ipLen != len) {
            throw new IllegalArgumentException("IP length " + ipLen + " but packet of " + len + " bytes");
        }
        int l4HdrLen;
        switch (type) {
            case VirtioNetHdr.GSO_TCPV4, VirtioNetHdr.GSO_TCPV6 -> {
                if (proto != PROTO_TCP || v6 != (type == VirtioNetHdr.GSO_TCPV6)) {
                    throw new IllegalArgumentException("gso_type " + hdr.gsoType() + " on a packet with IP version "
                            + (v6 ? 6 : 4) + " protocol " + proto);
                }
                if (l4 + 20 > len) {
                    throw new IllegalArgumentException("truncated TCP header");
                }
                l4HdrLen = ((in[off + l4 + 12] & 0xff) >>> 4) * 4;
                if (l4HdrLen < 20) {
                    throw new IllegalArgumentException("TCP data offset " + l4HdrLen);
                }
            }
            case VirtioNetHdr.GSO_UDP_L4 -> {
                if (proto != PROTO_UDP) {
                    throw new IllegalArgumentException("GSO_UDP_L4 on a packet with protocol " + proto);
                }
                l4HdrLen = 8;
            }
            default -> throw new IllegalArgumentException("unsupported gso_type " + hdr.gsoType());
        }
        int hdrLen = l4 + l4HdrLen;
        int payload = len - hdrLen;
        int mss = hdr.gsoSize();
        if (hdrLen > len || payload <= 0) {
            throw new IllegalArgumentException("GSO packet without payload");
        }
        if (mss == 0) {
            throw new IllegalArgumentException("gso_size 0");
        }
        if (out.length - outOff < hdrLen + Math.min(mss, payload) || outOff < 0) {
            throw new IllegalArgumentException("output buffer too small for " + (hdrLen + mss) + " bytes");
        }
        boolean tcp = proto == PROTO_TCP;
        long pseudo = Headers.pseudoSum(in, off, v6, proto);
        int ipId = v6 ? 0 : u16(in, off + 4);
        long seq = tcp ? u32(in, off + l4 + 4) : 0;
        int tcpFlags = tcp ? in[off + l4 + 13] & 0xff : 0;
        int n = 0;
        for (int pos = hdrLen; pos < len; pos += mss, n++) {
            int chunk = Math.min(mss, len - pos);
            boolean first = pos == hdrLen;
            boolean last = pos + chunk == len;
            int segLen = hdrLen + chunk;
            System.arraycopy(in, off, out, outOff, hdrLen);
            System.arraycopy(in, off + pos, out, outOff + hdrLen, chunk);
            if (v6) {
                u16(out, outOff + 4, segLen - 40);
            } else {
                u16(out, outOff + 2, segLen);
                u16(out, outOff + 4, ipId + n);
                Headers.ipv4HeaderChecksum(out, outOff, l4);
            }
            int l4Len = l4HdrLen + chunk;
            int csumAt;
            if (tcp) {
                u32(out, outOff + l4 + 4, seq + (long) n * mss);
                int f = tcpFlags;
                if (!last) {
                    f &= ~(TCP_FIN | TCP_PSH);
                }
                if (!first) {
                    f &= ~TCP_CWR;
                }
                out[outOff + l4 + 13] = (byte) f;
                csumAt = outOff + l4 + TCP_CSUM;
            } else {
                u16(out, outOff + l4 + 4, l4Len);
                csumAt = outOff + l4 + UDP_CSUM;
            }
            u16(out, csumAt, 0);
            long acc = sum(pseudo + l4Len, out, outOff + l4, l4HdrLen);
            acc = sum(acc, in, off + pos, chunk);
            int c = ~fold(acc) & 0xffff;
            u16(out, csumAt, c == 0 && !tcp ? 0xffff : c);
            sink.accept(out, outOff, segLen);
        }
        return n;
    }
}
