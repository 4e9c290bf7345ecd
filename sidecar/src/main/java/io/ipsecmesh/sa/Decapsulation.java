package io.ipsecmesh.sa;

import io.ipsecmesh.packet.IpHeaders;
import io.ipsecmesh.packet.IpPacket;
import io.ipsecmesh.packet.IpProtocols;
import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.packet.PacketInfo;
import io.ipsecmesh.packet.ParseStatus;

/**
 * The last inbound step that ESP and AH share, once the ICV verified: restore the original
 * packet and check it against the SA's selectors (RFC 4301 §5.2).
 */
public final class Decapsulation {
    private Decapsulation() {
    }

    /**
     * Restores the packet whose protected payload is {@code pb.buf[payloadOff, +payloadLen)}.
     * Tunnel mode: the payload is the inner packet (anything after it is TFC padding).
     * Transport mode: the IP header and per-hop extension headers (everything before the
     * ESP/AH header, or before the UDP header of ESP in UDP, at {@code w.info.upperOff}) move up
     * against the payload and name {@code nextHeader} as their upper protocol.
     * On success {@code pb} holds the packet, parsed into {@code w.inner}.
     */
    public static DropReason restore(SecurityAssociation sa, WorkerContext w, PacketBuffer pb,
                                     int payloadOff, int payloadLen, int nextHeader) {
        byte[] b = pb.buf;
        if (sa.config().mode() == Mode.TUNNEL) {
            if (nextHeader != IpProtocols.IPV4 && nextHeader != IpProtocols.IPV6) {
                return DropReason.MALFORMED;
            }
            if (IpPacket.parse(b, payloadOff, payloadLen, w.inner) != ParseStatus.OK
                    || w.inner.version != (nextHeader == IpProtocols.IPV4 ? 4 : 6)) {
                return DropReason.MALFORMED;
            }
            IpHeaders.decapsulateEcn(b, pb.off, payloadOff);
            pb.off = payloadOff;
            pb.len = w.inner.length;
        } else {
            PacketInfo pi = w.info;
            int hdrLen = pi.upperOff - pb.off;
            int shift = payloadOff - pi.upperOff;
            System.arraycopy(b, pb.off, b, pb.off + shift, hdrLen);
            b[pi.upperField + shift] = (byte) nextHeader;
            pb.off += shift;
            pb.len = hdrLen + payloadLen;
            IpPacket.setLength(b, pb.off, pb.len);
            IpPacket.updateHeaderChecksum(b, pb.off);
            if (IpPacket.parse(b, pb.off, pb.len, w.inner) != ParseStatus.OK) {
                return DropReason.MALFORMED;
            }
        }
        return sa.selectorsAdmit(w.inner) ? DropReason.NONE : DropReason.POLICY;
    }
}
