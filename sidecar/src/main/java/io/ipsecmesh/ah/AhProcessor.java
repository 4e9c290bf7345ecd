package io.ipsecmesh.ah;

import io.ipsecmesh.crypto.IntegrityMac;
import io.ipsecmesh.packet.Bytes;
import io.ipsecmesh.packet.IpPacket;
import io.ipsecmesh.packet.IpProtocols;
import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.packet.PacketInfo;
import io.ipsecmesh.sa.Decapsulation;
import io.ipsecmesh.sa.DropReason;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.SaConfig;
import io.ipsecmesh.sa.SecurityAssociation;
import io.ipsecmesh.sa.WorkerContext;

/**
 * AH (RFC 4302) in transport and tunnel mode, IPv4 and IPv6: integrity of the payload and of
 * the IP header fields that do not change in transit.
 *
 * <p>The ICV covers the whole IP packet with the mutable header fields (and the ICV field
 * itself) taken as zero (§3.3.3.1), plus the high 32 sequence bits with ESN, appended at the end
 * (§3.3.3.2.2). The header region is saved, its mutable fields zeroed in place for the MAC, and
 * restored afterwards.
 */
public final class AhProcessor {
    private AhProcessor() {
    }

    /** Next header, payload length, reserved, SPI, sequence number. */
    public static final int AH_FIXED = 12;

    /** AH length for an ICV length: a multiple of 4 bytes for IPv4, of 8 for IPv6 (§2.2). */
    public static int ahLength(int icvLength, int ipVersion) {
        int len = AH_FIXED + icvLength;
        int align = ipVersion == 4 ? 4 : 8;
        return (len + align - 1) / align * align;
    }

    /** Adds AH to the packet in {@code pb}, parsed into {@code w.info}. */
    public static DropReason protect(SecurityAssociation sa, WorkerContext w, PacketBuffer pb) {
        PacketInfo pi = w.info;
        SaConfig cfg = sa.config();
        IntegrityMac mac = sa.mac(w.index);
        byte[] b = pb.buf;
        boolean tunnel = cfg.mode() == Mode.TUNNEL;
        int outerVersion = tunnel ? (sa.outerHeaderLength() == IpPacket.IPV4_HEADER ? 4 : 6) : pi.version;
        int ahLen = ahLength(mac.icvLength(), outerVersion);
        int newOff;
        int hdrLen;
        int nextHeader;
        if (!tunnel) {
            if (pi.fragment) {
                return DropReason.FRAGMENT;
            }
            hdrLen = pi.insertOff - pb.off;
            nextHeader = b[pi.insertField] & 0xff;
            newOff = pb.off - ahLen;
            System.arraycopy(b, pb.off, b, newOff, hdrLen);
            b[pi.insertField - ahLen] = (byte) IpProtocols.AH;
        } else {
            hdrLen = sa.outerHeaderLength();
            nextHeader = pi.version == 4 ? IpProtocols.IPV4 : IpProtocols.IPV6;
            newOff = pb.off - ahLen - hdrLen;
        }
        if (newOff < 0) {
            return DropReason.MALFORMED;
        }
        long seq = sa.nextSequenceNumber();
        if (seq == -1L) {
            return DropReason.EXPIRED;
        }
        int total = pi.length + ahLen + (tunnel ? hdrLen : 0);
        int ah = newOff + hdrLen;
        b[ah] = (byte) nextHeader;
        b[ah + 1] = (byte) (ahLen / 4 - 2);
        b[ah + 2] = 0;
        b[ah + 3] = 0;
        Bytes.put32(b, ah + 4, cfg.spi());
        Bytes.put32(b, ah + 8, (int) seq);
        java.util.Arrays.fill(b, ah + AH_FIXED, ah + ahLen, (byte) 0);
        if (tunnel) {
            sa.writeOuterHeader(b, newOff, pb.off, IpProtocols.AH, total, w);
        } else {
            IpPacket.setLength(b, newOff, total);
        }
        if (!computeIcv(mac, w, b, newOff, ah, total, seq, cfg.esn(), b, ah + AH_FIXED)) {
            return DropReason.MALFORMED;
        }
        IpPacket.updateHeaderChecksum(b, newOff);
        pb.off = newOff;
        pb.len = total;
        return sa.account(total) ? DropReason.NONE : DropReason.EXPIRED;
    }

    /**
     * Verifies and removes the AH header at {@code ahOff} of the packet in {@code pb}. On success
     * {@code pb} holds the packet without AH, parsed into {@code w.inner}.
     */
    public static DropReason unprotect(SecurityAssociation sa, WorkerContext w, PacketBuffer pb, int ahOff) {
        PacketInfo pi = w.info;
        SaConfig cfg = sa.config();
        IntegrityMac mac = sa.mac(w.index);
        byte[] b = pb.buf;
        int end = pb.off + pi.length;
        if (end - ahOff < AH_FIXED) {
            return DropReason.MALFORMED;
        }
        int ahLen = ((b[ahOff + 1] & 0xff) + 2) * 4;
        if (ahLen != ahLength(mac.icvLength(), pi.version) || ahLen > end - ahOff) {
            return DropReason.MALFORMED;
        }
        if (!sa.isAlive()) {
            return DropReason.EXPIRED;
        }
        var window = sa.replayWindow();
        long seq = window.estimate(Bytes.i32(b, ahOff + 8));
        if (!window.check(seq)) {
            return DropReason.REPLAY;
        }
        // Keep the received ICV aside, zero it, compute, compare. Alignment padding after the
        // ICV is sent and authenticated as it is (RFC 4302 §3.3.3.2.1): it is not zeroed.
        int icvLen = mac.icvLength();
        byte[] received = w.scratch;
        int receivedOff = received.length - 64;
        System.arraycopy(b, ahOff + AH_FIXED, received, receivedOff, icvLen);
        java.util.Arrays.fill(b, ahOff + AH_FIXED, ahOff + AH_FIXED + icvLen, (byte) 0);
        boolean ok = computeIcv(mac, w, b, pb.off, ahOff, pi.length, seq, cfg.esn(), received, receivedOff);
        System.arraycopy(received, receivedOff, b, ahOff + AH_FIXED, icvLen);
        if (!ok) {
            return DropReason.INTEGRITY;
        }
        if (!window.update(seq)) {
            return DropReason.REPLAY;
        }
        if (!sa.account(pi.length)) {
            return DropReason.EXPIRED;
        }
        int nextHeader = b[ahOff] & 0xff;
        int payloadOff = ahOff + ahLen;
        int payloadLen = end - payloadOff;
        return Decapsulation.restore(sa, w, pb, payloadOff, payloadLen, nextHeader);
    }

    /**
     * Computes the ICV over the packet at {@code ipOff} (AH at {@code ahOff}, ICV field already
     * zero) with mutable fields zeroed, and either writes it to {@code icv[icvOff..]} (when
     * {@code icv} is the packet itself, i.e. outbound) or verifies it against them.
     *
     * @return outbound: false if the header region is too large to save; inbound: whether it verified
     */
    private static boolean computeIcv(IntegrityMac mac, WorkerContext w, byte[] b, int ipOff, int ahOff,
                                      int length, long seq, boolean esn, byte[] icv, int icvOff) {
        int region = ahOff - ipOff;
        byte[] save = w.scratch;
        if (region > save.length - 64) {
            return false;
        }
        System.arraycopy(b, ipOff, save, 0, region);
        MutableFields.zero(b, ipOff, ahOff);
        mac.update(b, ipOff, length);
        if (esn) {
            mac.updateInt((int) (seq >>> 32));
        }
        boolean ok;
        if (icv == b) {
            mac.doFinal(b, icvOff);
            ok = true;
        } else {
            ok = mac.verify(icv, icvOff);
        }
        System.arraycopy(save, 0, b, ipOff, region);
        return ok;
    }
}
