package io.ipsecmesh.sa;

import io.ipsecmesh.packet.PacketInfo;

/**
 * Which packets a policy or SA covers (RFC 4301 §4.4.1.1): source and destination prefixes of
 * one family, an IP protocol ({@code -1} for any) and port ranges (0..65535 for any).
 */
public record TrafficSelector(Prefix src, Prefix dst, int protocol,
                              int srcPortLow, int srcPortHigh, int dstPortLow, int dstPortHigh) {

    public TrafficSelector {
        if (src.v4() != dst.v4()) {
            throw new IllegalArgumentException("source " + src + " and destination " + dst + " are of different families");
        }
        if (protocol < -1 || protocol > 255) {
            throw new IllegalArgumentException("protocol out of range: " + protocol);
        }
        checkRange(srcPortLow, srcPortHigh);
        checkRange(dstPortLow, dstPortHigh);
    }

    private static void checkRange(int lo, int hi) {
        if (lo < 0 || hi > 65535 || lo > hi) {
            throw new IllegalArgumentException("bad port range " + lo + "-" + hi);
        }
    }

    public static TrafficSelector between(Prefix src, Prefix dst) {
        return new TrafficSelector(src, dst, -1, 0, 65535, 0, 65535);
    }

    public boolean anyPorts() {
        return srcPortLow == 0 && srcPortHigh == 65535 && dstPortLow == 0 && dstPortHigh == 65535;
    }

    /** Whether the packet (already parsed) lies within this selector. */
    public boolean matches(PacketInfo p) {
        if ((p.version == 4) != src.v4()) {
            return false;
        }
        if (!src.contains(p.srcHi, p.srcLo) || !dst.contains(p.dstHi, p.dstLo)) {
            return false;
        }
        return matchesUpperLayer(p);
    }

    /** Protocol and ports only (the addresses having matched already). */
    boolean matchesUpperLayer(PacketInfo p) {
        if (protocol >= 0 && protocol != p.upperProtocol) {
            return false;
        }
        if (anyPorts()) {
            return true;
        }
        // Port selectors cannot be checked without ports (non-first fragments, OPAQUE in RFC 4301).
        if (p.srcPort < 0) {
            return false;
        }
        return p.srcPort >= srcPortLow && p.srcPort <= srcPortHigh
                && p.dstPort >= dstPortLow && p.dstPort <= dstPortHigh;
    }

    /** The selector seen from the other side: source and destination swapped. */
    public TrafficSelector reversed() {
        return new TrafficSelector(dst, src, protocol, dstPortLow, dstPortHigh, srcPortLow, srcPortHigh);
    }

    @Override
    public String toString() {
        String proto = protocol < 0 ? "any" : Integer.toString(protocol);
        return src + (srcPortLow == 0 && srcPortHigh == 65535 ? "" : "[" + srcPortLow + "-" + srcPortHigh + "]")
                + " -> " + dst + (dstPortLow == 0 && dstPortHigh == 65535 ? "" : "[" + dstPortLow + "-" + dstPortHigh + "]")
                + " proto " + proto;
    }
}
