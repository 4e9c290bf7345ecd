package io.ipsecmesh.tun;

import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;

import static io.ipsecmesh.tun.Headers.PROTO_TCP;
import static io.ipsecmesh.tun.Headers.TCP_ACK;
import static io.ipsecmesh.tun.Headers.TCP_CSUM;
import static io.ipsecmesh.tun.Headers.TCP_CWR;
import static io.ipsecmesh.tun.Headers.TCP_ECE;
import static io.ipsecmesh.tun.Headers.TCP_PSH;
import static io.ipsecmesh.tun.Headers.fold;
import static io.ipsecmesh.tun.Headers.sum;
import static io.ipsecmesh.tun.Headers.u16;
import static io.ipsecmesh.tun.Headers.u32;

/**
 * Builds TCP GSO super-packets for writing into a TUN opened with {@code IFF_VNET_HDR}: the
 * receive-side counterpart of {@link Gso} (what GRO does in Linux {@code tcp_gro_receive()}).
 * Writing one 64 KiB packet instead of forty-five 1.4 KiB ones saves the per-packet cost in the
 * kernel's stack. Packets are given in the order they should reach the kernel with
 * {@link #add}; at the end of a burst call {@link #flush()}.
 *
 * <p>Consecutive packets are merged while all of these hold (the same rules as GRO, so that the
 * kernel's own segmentation, if it forwards the packet, gives back the original segments):
 * same IP version, addresses, ports; IPv4 without options or fragmentation, same TOS, TTL and
 * flags, IDs increasing by one (or DF set); IPv6 without extension headers, same traffic
 * class, flow label and hop limit; TCP with ACK, no SYN/FIN/RST/URG, the same
 * acknowledgment number, window, ECE and options (byte for byte); sequence numbers contiguous;
 * every payload of the first one's size except the last, which may be shorter and ends the
 * batch, as does PSH; CWR only on the first; at most 65535 bytes of IP packet; and a valid
 * TCP checksum (verified here unless the caller says it already did), because the merged
 * packet's checksum is recomputed and would otherwise hide corruption.
 *
 * <p>A merged packet is written with {@code NEEDS_CSUM}, {@code csum_start} = IP header length,
 * {@code csum_offset} = 16, the folded pseudo-header sum (with the merged TCP length) in the
 * TCP checksum field, {@code gso_type} TCPV4/TCPV6 (plus ECN when the first has CWR),
 * {@code gso_size} = the first payload's size and {@code hdr_len} = IP + TCP header length, as
 * Linux {@code virtio_net_hdr_to_skb()} expects. Everything else is written on its own with a
 * zero vnet header, with {@code DATA_VALID} if its checksum is known to be good. Only one flow
 * is pending at a time: a packet of another flow flushes it.
 *
 * <p>Not thread-safe: one per writing thread. The sink gets buffers with the vnet header first;
 * {@code TunDevice::write} is the usual sink.
 */
public final class Coalescer {
    /** The largest IP packet a merged packet may become. */
    public static final int MAX_IP_PACKET = 65535;

    private final PacketSink sink;
    private final VirtioNetHdr vh = new VirtioNetHdr();
    /** The pending batch: vnet header (filled at flush), then the merged IP packet. */
    private final byte[] buf = new byte[VirtioNetHdr.LENGTH + MAX_IP_PACKET];
    private static final int IP = VirtioNetHdr.LENGTH;

    // the pending batch; count == 0 means none
    private int count;
    private int pktLen;        // bytes of IP packet in buf after IP
    private boolean v6;
    private int ipHdrLen;
    private int tcpHdrLen;
    private int gsoSize;
    private long nextSeq;
    private int lastId;
    private int lastFlags;
    private boolean ended;     // a short or PSH segment was added: nothing may follow

    // fields of the packet being examined, set by parse()
    private boolean pV6;
    private int pIpHdrLen;
    private int pTcpHdrLen;
    private int pPayload;
    private int pFlags;

    /** @param sink receives each packet to write, starting with its 10-byte vnet header */
    public Coalescer(PacketSink sink) {
        this.sink = Objects.requireNonNull(sink, "sink");
    }

    /**
     * Offers one IP packet {@code pkt[off, off+len)}. It is merged into the pending batch, starts
     * a new one, or (after flushing what is pending) is written on its own.
     *
     * <p>Headroom: if {@code off >= 10}, a packet written on its own gets its vnet header written
     * into {@code pkt[off-10, off)} (those bytes are overwritten) and is passed to the sink
     * without a copy; otherwise it is copied.
     *
     * @param checksumVerified whether the caller already knows the transport checksum is
     *     correct; then it is not recomputed, and a packet written on its own carries
     *     {@code DATA_VALID}
     * @throws IOException what the sink throws
     */
    public void add(byte[] pkt, int off, int len, boolean checksumVerified) throws IOException {
        Objects.checkFromIndexSize(off, len, pkt.length);
        boolean candidate = parse(pkt, off, len)
                && (checksumVerified || tcpChecksumOk(pkt, off, len));
        boolean verified = checksumVerified || candidate;
        if (!candidate) {
            flush();
            writePlain(pkt, off, len, verified);
            return;
        }
        if (count > 0 && canAppend(pkt, off, len)) {
            System.arraycopy(pkt, off + pIpHdrLen + pTcpHdrLen, buf, IP + pktLen, pPayload);
            pktLen += pPayload;
            count++;
            nextSeq = (nextSeq + pPayload) & 0xffff_ffffL;
            lastId = pV6 ? 0 : u16(pkt, off + 4);
            lastFlags = pFlags;
            if (pPayload < gsoSize || (pFlags & TCP_PSH) != 0) {
                ended = true;
                flush();
            }
            return;
        }
        flush();
        if ((pFlags & TCP_PSH) != 0) { // would end its own batch at once
            writePlain(pkt, off, len, true);
            return;
        }
        System.arraycopy(pkt, off, buf, IP, len);
        count = 1;
        pktLen = len;
        v6 = pV6;
        ipHdrLen = pIpHdrLen;
        tcpHdrLen = pTcpHdrLen;
        gsoSize = pPayload;
        nextSeq = (u32(pkt, off + pIpHdrLen + 4) + pPayload) & 0xffff_ffffL;
        lastId = v6 ? 0 : u16(pkt, off + 4);
        lastFlags = pFlags;
        ended = false;
    }

    /** Whether a batch is pending (to be written by {@link #flush()}). */
    public boolean pending() {
        return count > 0;
    }

    /** Writes the pending batch, if any: as a GSO packet if it has two or more segments. */
    public void flush() throws IOException {
        if (count == 0) {
            return;
        }
        int n = count;
        count = 0;
        if (n == 1) {
            VirtioNetHdr.encodePlain(buf, 0, VirtioNetHdr.F_DATA_VALID);
            sink.accept(buf, 0, IP + pktLen);
            return;
        }
        int tcp = IP + ipHdrLen;
        if (v6) {
            u16(buf, IP + 4, pktLen - 40);
        } else {
            u16(buf, IP + 2, pktLen);
            Headers.ipv4HeaderChecksum(buf, IP, ipHdrLen);
        }
        buf[tcp + 13] = (byte) ((buf[tcp + 13] & ~TCP_PSH) | (lastFlags & TCP_PSH));
        int l4Len = pktLen - ipHdrLen;
        u16(buf, tcp + TCP_CSUM, fold(Headers.pseudoSum(buf, IP, v6, PROTO_TCP) + l4Len));
        int type = v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4;
        if ((buf[tcp + 13] & TCP_CWR) != 0) {
            type |= VirtioNetHdr.GSO_ECN;
        }
        vh.set(VirtioNetHdr.F_NEEDS_CSUM, type, ipHdrLen + tcpHdrLen, gsoSize, ipHdrLen, TCP_CSUM)
                .encode(buf, 0);
        sink.accept(buf, 0, IP + pktLen);
    }

    private void writePlain(byte[] pkt, int off, int len, boolean verified) throws IOException {
        int flags = verified ? VirtioNetHdr.F_DATA_VALID : 0;
        if (off >= VirtioNetHdr.LENGTH) {
            VirtioNetHdr.encodePlain(pkt, off - VirtioNetHdr.LENGTH, flags);
            sink.accept(pkt, off - VirtioNetHdr.LENGTH, len + VirtioNetHdr.LENGTH);
        } else {
            if (len > MAX_IP_PACKET) {
                throw new IOException("packet of " + len + " bytes exceeds " + MAX_IP_PACKET);
            }
            VirtioNetHdr.encodePlain(buf, 0, flags);
            System.arraycopy(pkt, off, buf, IP, len);
            sink.accept(buf, 0, IP + len);
        }
    }

    /** Whether the packet is a TCP data segment that may be merged at all; sets the p* fields. */
    private boolean parse(byte[] b, int off, int len) {
        if (len < 40 || len > MAX_IP_PACKET) {
            return false;
        }
        int version = (b[off] & 0xff) >>> 4;
        int ipHdr;
        if (version == 4) {
            if ((b[off] & 0x0f) != 5 || u16(b, off + 2) != len || (u16(b, off + 6) & 0x3fff) != 0
                    || (b[off + 9] & 0xff) != PROTO_TCP) {
                return false;
            }
            ipHdr = 20;
        } else if (version == 6) {
            if (len < 60 || 40 + u16(b, off + 4) != len || (b[off + 6] & 0xff) != PROTO_TCP) {
                return false;
            }
            ipHdr = 40;
        } else {
            return false;
        }
        int tcpHdr = ((b[off + ipHdr + 12] & 0xff) >>> 4) * 4;
        if (tcpHdr < 20 || ipHdr + tcpHdr >= len) { // no payload: pure ACKs are not merged
            return false;
        }
        int flags = b[off + ipHdr + 13] & 0xff;
        if ((flags & ~(TCP_ACK | TCP_PSH | TCP_ECE | TCP_CWR)) != 0 || (flags & TCP_ACK) == 0) {
            return false;
        }
        pV6 = version == 6;
        pIpHdrLen = ipHdr;
        pTcpHdrLen = tcpHdr;
        pPayload = len - ipHdr - tcpHdr;
        pFlags = flags;
        return true;
    }

    private boolean canAppend(byte[] b, int off, int len) {
        if (ended || pV6 != v6 || pTcpHdrLen != tcpHdrLen || pPayload > gsoSize
                || pktLen + pPayload > MAX_IP_PACKET || (pFlags & TCP_CWR) != 0) {
            return false;
        }
        int t = off + ipHdrLen;
        int bt = IP + ipHdrLen;
        if (v6) {
            // version/traffic class/flow label (0..3), next header and hop limit (6..7), addresses
            if (!Arrays.equals(b, off, off + 4, buf, IP, IP + 4)
                    || !Arrays.equals(b, off + 6, off + 40, buf, IP + 6, IP + 40)) {
                return false;
            }
        } else {
            // TOS (1), flags (6), TTL and protocol (8..9), addresses (12..19)
            if (b[off + 1] != buf[IP + 1] || (b[off + 6] & 0xe0) != (buf[IP + 6] & 0xe0)
                    || !Arrays.equals(b, off + 8, off + 10, buf, IP + 8, IP + 10)
                    || !Arrays.equals(b, off + 12, off + 20, buf, IP + 12, IP + 20)) {
                return false;
            }
            boolean df = (b[off + 6] & 0x40) != 0;
            if (!df && u16(b, off + 4) != ((lastId + 1) & 0xffff)) {
                return false;
            }
        }
        // ports (0..3), seq (4..7), ack (8..11), window (14..15), options
        return Arrays.equals(b, t, t + 4, buf, bt, bt + 4)
                && u32(b, t + 4) == nextSeq
                && Arrays.equals(b, t + 8, t + 12, buf, bt + 8, bt + 12)
                && ((pFlags ^ (buf[bt + 13] & 0xff)) & TCP_ECE) == 0
                && Arrays.equals(b, t + 14, t + 16, buf, bt + 14, bt + 16)
                && Arrays.equals(b, t + 20, t + tcpHdrLen, buf, bt + 20, bt + tcpHdrLen);
    }

    private boolean tcpChecksumOk(byte[] b, int off, int len) {
        int l4Len = len - pIpHdrLen;
        long acc = Headers.pseudoSum(b, off, pV6, PROTO_TCP) + l4Len;
        return fold(sum(acc, b, off + pIpHdrLen, l4Len)) == 0xffff;
    }
}
