package io.ipsecmesh.esp;

import io.ipsecmesh.crypto.EspCipher;
import io.ipsecmesh.packet.Bytes;
import io.ipsecmesh.packet.IpHeaders;
import io.ipsecmesh.packet.IpPacket;
import io.ipsecmesh.packet.IpProtocols;
import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.packet.PacketInfo;
import io.ipsecmesh.sa.Decapsulation;
import io.ipsecmesh.sa.DropReason;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.SaConfig;
import io.ipsecmesh.sa.SecurityAssociation;
import io.ipsecmesh.sa.UdpEncap;
import io.ipsecmesh.sa.WorkerContext;

/**
 * ESP (RFC 4303) in transport and tunnel mode, IPv4 and IPv6, optionally in UDP (RFC 3948).
 *
 * <p>Outbound, transport mode: the IP header (with IPv6 per-hop extension headers) moves into
 * the headroom to make space for the ESP header and IV; the payload stays where it is; padding,
 * pad length, next header and ICV go behind it (§2, §3.1.1). Tunnel mode puts a new outer
 * header, ESP header and IV in front of the whole packet (§3.1.2). Nothing is allocated.
 *
 * <p>Inbound: the caller has found the SA by SPI; here the sequence number is checked against
 * the replay window, the ICV verified, the window updated, the padding checked and the original
 * packet restored (§3.4). Every failure is a {@link DropReason}; nothing throws.
 */
public final class EspProcessor {
    private EspProcessor() {
    }

    public static final int ESP_HEADER = 8;
    private static final int TRAILER = 2;

    /**
     * Protects the packet in {@code pb}, already parsed into {@code w.info}.
     *
     * @return {@link DropReason#NONE} with {@code pb} holding the ESP packet, or why not
     */
    public static DropReason protect(SecurityAssociation sa, WorkerContext w, PacketBuffer pb) {
        PacketInfo pi = w.info;
        SaConfig cfg = sa.config();
        EspCipher c = sa.espCipher(w.index);
        byte[] b = pb.buf;
        UdpEncap encap = cfg.udpEncap();
        int udpLen = encap == null ? 0 : IpHeaders.UDP_HEADER;
        int ivLen = c.ivLength();
        int end = pb.off + pi.length;

        int newOff;
        int ipHdrLen;
        int payloadOff;
        int nextHeader;
        if (cfg.mode() == Mode.TRANSPORT) {
            if (pi.fragment) {
                return DropReason.FRAGMENT;
            }
            ipHdrLen = pi.insertOff - pb.off;
            payloadOff = pi.insertOff;
            nextHeader = b[pi.insertField] & 0xff;
            newOff = pb.off - udpLen - ESP_HEADER - ivLen;
            if (newOff < 0) {
                return DropReason.MALFORMED;
            }
            System.arraycopy(b, pb.off, b, newOff, ipHdrLen);
            b[pi.insertField - (pb.off - newOff)] = (byte) (encap == null ? IpProtocols.ESP : IpProtocols.UDP);
        } else {
            ipHdrLen = sa.outerHeaderLength();
            payloadOff = pb.off;
            nextHeader = pi.version == 4 ? IpProtocols.IPV4 : IpProtocols.IPV6;
            newOff = pb.off - ipHdrLen - udpLen - ESP_HEADER - ivLen;
            if (newOff < 0) {
                return DropReason.MALFORMED;
            }
        }
        int payloadLen = end - payloadOff;
        int tfc = 0;
        if (cfg.tfcPadding() > 0) {
            int rem = payloadLen % cfg.tfcPadding();
            tfc = rem == 0 ? 0 : cfg.tfcPadding() - rem;
        }
        int bs = c.blockSize();
        int unpadded = payloadLen + tfc + TRAILER;
        int padLen = (bs - unpadded % bs) % bs;
        int ptLen = unpadded + padLen;
        if (payloadOff + ptLen + c.icvLength() > b.length) {
            return DropReason.MALFORMED;
        }
        int p = end;
        for (int i = 0; i < tfc; i++) {
            b[p++] = 0;
        }
        for (int i = 1; i <= padLen; i++) {
            b[p++] = (byte) i; // RFC 4303 §2.4: 1, 2, 3, ...
        }
        b[p++] = (byte) padLen;
        b[p] = (byte) nextHeader;

        long seq = sa.nextSequenceNumber();
        if (seq == -1L) {
            return DropReason.EXPIRED;
        }
        int espOff = newOff + ipHdrLen + udpLen;
        int espLen = ESP_HEADER + ivLen + ptLen + c.icvLength();
        int total = ipHdrLen + udpLen + espLen;
        if (cfg.mode() == Mode.TUNNEL) {
            // Before sealing: the outer header copies DSCP, ECN and DF from the inner one.
            sa.writeOuterHeader(b, newOff, pb.off, encap == null ? IpProtocols.ESP : IpProtocols.UDP, total, w);
        } else {
            IpPacket.setLength(b, newOff, total);
            IpPacket.updateHeaderChecksum(b, newOff);
        }
        Bytes.put32(b, espOff, cfg.spi());
        Bytes.put32(b, espOff + 4, (int) seq);
        c.seal(b, espOff, ptLen, seq, cfg.esn());
        if (encap != null) {
            IpHeaders.writeUdp(b, newOff, newOff + ipHdrLen, encap.sourcePort(), encap.destinationPort(), udpLen + espLen);
        }
        pb.off = newOff;
        pb.len = total;
        return sa.account(total) ? DropReason.NONE : DropReason.EXPIRED;
    }

    /** The SPI of the ESP header at {@code espOff}. */
    public static int spi(byte[] b, int espOff) {
        return Bytes.i32(b, espOff);
    }

    /**
     * Verifies, decrypts and decapsulates the ESP packet in {@code pb} (parsed into
     * {@code w.info}) whose ESP header starts at {@code espOff}. On success {@code pb} holds the
     * inner packet, parsed into {@code w.inner}, and it lies within the SA's selectors.
     */
    public static DropReason unprotect(SecurityAssociation sa, WorkerContext w, PacketBuffer pb, int espOff) {
        PacketInfo pi = w.info;
        SaConfig cfg = sa.config();
        EspCipher c = sa.espCipher(w.index);
        byte[] b = pb.buf;
        int end = pb.off + pi.length;
        int espLen = end - espOff;
        int ivLen = c.ivLength();
        int minLen = ESP_HEADER + ivLen + Math.max(TRAILER, c.blockSize()) + c.icvLength();
        if (espLen < minLen) {
            return DropReason.MALFORMED;
        }
        if (!sa.isAlive()) {
            return DropReason.EXPIRED;
        }
        var window = sa.replayWindow();
        long seq = window.estimate(Bytes.i32(b, espOff + 4));
        if (!window.check(seq)) {
            return DropReason.REPLAY;
        }
        int ptLen = c.open(b, espOff, espLen, seq, cfg.esn());
        if (ptLen < 0) {
            return DropReason.INTEGRITY;
        }
        if (!window.update(seq)) {
            return DropReason.REPLAY;
        }
        if (!sa.account(pi.length)) {
            return DropReason.EXPIRED;
        }
        int ptOff = espOff + ESP_HEADER + ivLen;
        if (ptLen < TRAILER) {
            return DropReason.MALFORMED;
        }
        int padLen = b[ptOff + ptLen - 2] & 0xff;
        int nextHeader = b[ptOff + ptLen - 1] & 0xff;
        int payloadLen = ptLen - TRAILER - padLen;
        if (payloadLen < 0 || !padIsMonotonic(b, ptOff + payloadLen, padLen)) {
            return DropReason.MALFORMED;
        }
        if (nextHeader == IpProtocols.NO_NEXT_HEADER) {
            return DropReason.DUMMY;
        }
        // Tunnel mode: whatever follows the inner packet is TFC padding (RFC 4303 §2.7).
        return Decapsulation.restore(sa, w, pb, ptOff, payloadLen, nextHeader);
    }

    private static boolean padIsMonotonic(byte[] b, int off, int padLen) {
        int bad = 0;
        for (int i = 0; i < padLen; i++) {
            bad |= (b[off + i] & 0xff) ^ (i + 1);
        }
        return bad == 0;
    }
}
