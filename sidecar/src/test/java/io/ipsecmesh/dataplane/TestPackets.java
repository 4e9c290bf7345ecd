package io.ipsecmesh.dataplane;

import io.ipsecmesh.packet.Bytes;
import io.ipsecmesh.packet.InetChecksum;
import io.ipsecmesh.packet.IpPacket;
import io.ipsecmesh.packet.IpProtocols;
import io.ipsecmesh.sa.Prefix;

import java.net.Inet4Address;
import java.net.InetAddress;

/** Builds valid IPv4/IPv6 UDP and TCP packets for tests. */
public final class TestPackets {
    private TestPackets() {
    }

    public static byte[] udp(String src, String dst, int sport, int dport, int payloadLen) {
        return l4(src, dst, IpProtocols.UDP, sport, dport, payloadLen);
    }

    public static byte[] tcp(String src, String dst, int sport, int dport, int payloadLen) {
        return l4(src, dst, IpProtocols.TCP, sport, dport, payloadLen);
    }

    static byte[] l4(String src, String dst, int proto, int sport, int dport, int payloadLen) {
        InetAddress s = Prefix.parseAddress(src);
        InetAddress d = Prefix.parseAddress(dst);
        boolean v4 = s instanceof Inet4Address;
        int ipLen = v4 ? 20 : 40;
        int l4Len = (proto == IpProtocols.TCP ? 20 : 8) + payloadLen;
        byte[] p = new byte[ipLen + l4Len];
        if (v4) {
            p[0] = 0x45;
            p[1] = (byte) 0xb8; // DSCP EF: tunnel mode must copy it to the outer header
            Bytes.put16(p, 2, p.length);
            Bytes.put16(p, 4, 0x1234);
            p[6] = 0x40;
            p[8] = 64;
            p[9] = (byte) proto;
            System.arraycopy(s.getAddress(), 0, p, 12, 4);
            System.arraycopy(d.getAddress(), 0, p, 16, 4);
            IpPacket.updateHeaderChecksum(p, 0);
        } else {
            p[0] = 0x6b; // traffic class 0xb8 (DSCP EF)
            p[1] = (byte) 0x80;
            Bytes.put16(p, 4, l4Len);
            p[6] = (byte) proto;
            p[7] = 64;
            System.arraycopy(s.getAddress(), 0, p, 8, 16);
            System.arraycopy(d.getAddress(), 0, p, 24, 16);
        }
        int l4 = ipLen;
        Bytes.put16(p, l4, sport);
        Bytes.put16(p, l4 + 2, dport);
        int data;
        if (proto == IpProtocols.TCP) {
            Bytes.put32(p, l4 + 4, 1000);
            p[l4 + 12] = 0x50;
            p[l4 + 13] = 0x18;
            Bytes.put16(p, l4 + 14, 65535);
            data = l4 + 20;
        } else {
            Bytes.put16(p, l4 + 4, l4Len);
            data = l4 + 8;
        }
        for (int i = data; i < p.length; i++) {
            p[i] = (byte) (i * 7 + 3);
        }
        int csumOff = proto == IpProtocols.TCP ? l4 + 16 : l4 + 6;
        long sum = InetChecksum.pseudoHeaderSum(p, 0, proto, l4Len);
        Bytes.put16(p, csumOff, InetChecksum.finish(InetChecksum.sum(p, l4, l4Len, sum)));
        return p;
    }

    /** Whether the TCP/UDP checksum of a packet verifies (sum over pseudo-header and segment is 0). */
    public static boolean l4ChecksumOk(byte[] p) {
        var info = new io.ipsecmesh.packet.PacketInfo();
        if (IpPacket.parse(p, 0, p.length, info) != 0) {
            return false;
        }
        int l4Len = info.length - info.upperOff;
        long sum = InetChecksum.pseudoHeaderSum(p, 0, info.upperProtocol, l4Len);
        return InetChecksum.finish(InetChecksum.sum(p, info.upperOff, l4Len, sum)) == 0;
    }
}
