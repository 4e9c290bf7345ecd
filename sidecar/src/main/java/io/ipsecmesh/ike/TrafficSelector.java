package io.ipsecmesh.ike;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * One traffic selector (RFC 7296 §3.13.1): an IPv4 or IPv6 address range, an IP protocol
 * (0 = any) and a port range (0-65535 = any). Addresses are kept as raw bytes so that an
 * IPv6 selector holding an IPv4-mapped address stays IPv6.
 *
 * @param tsType {@link #TS_IPV4_ADDR_RANGE} or {@link #TS_IPV6_ADDR_RANGE}
 */
public record TrafficSelector(int tsType, int ipProtocol, int startPort, int endPort, byte[] startAddress,
                              byte[] endAddress) {

    public static final int TS_IPV4_ADDR_RANGE = 7;
    public static final int TS_IPV6_ADDR_RANGE = 8;

    public TrafficSelector {
        int addrLen = addressLength(tsType);
        if (addrLen < 0) {
            throw new IllegalArgumentException("unsupported traffic selector type " + tsType);
        }
        if (ipProtocol < 0 || ipProtocol > 0xff) {
            throw new IllegalArgumentException("IP protocol " + ipProtocol + " out of range 0..255");
        }
        if (startPort < 0 || startPort > 0xffff || endPort < 0 || endPort > 0xffff) {
            throw new IllegalArgumentException("port range " + startPort + "-" + endPort + " out of range 0..65535");
        }
        if (startAddress.length != addrLen || endAddress.length != addrLen) {
            throw new IllegalArgumentException("type " + tsType + " needs " + addrLen + "-byte addresses, got "
                    + startAddress.length + " and " + endAddress.length);
        }
        startAddress = startAddress.clone();
        endAddress = endAddress.clone();
    }

    /** All protocols and ports between two addresses of the same family. */
    public static TrafficSelector range(InetAddress start, InetAddress end) {
        return range(start, end, 0, 0, 0xffff);
    }

    /** A selector between two addresses of the same family. */
    public static TrafficSelector range(InetAddress start, InetAddress end, int ipProtocol, int startPort, int endPort) {
        if (start instanceof Inet4Address && end instanceof Inet4Address) {
            return new TrafficSelector(TS_IPV4_ADDR_RANGE, ipProtocol, startPort, endPort, start.getAddress(),
                    end.getAddress());
        }
        if (start instanceof Inet6Address && end instanceof Inet6Address) {
            return new TrafficSelector(TS_IPV6_ADDR_RANGE, ipProtocol, startPort, endPort, start.getAddress(),
                    end.getAddress());
        }
        throw new IllegalArgumentException("addresses of different families: " + start + ", " + end);
    }

    /** One host (e.g. a pod address), all protocols and ports. */
    public static TrafficSelector host(InetAddress address) {
        return range(address, address);
    }

    static int addressLength(int tsType) {
        return switch (tsType) {
            case TS_IPV4_ADDR_RANGE -> 4;
            case TS_IPV6_ADDR_RANGE -> 16;
            default -> -1;
        };
    }

    /** Encoded length: 16 for IPv4, 40 for IPv6. */
    int encodedLength() {
        return 8 + 2 * startAddress.length;
    }

    static TrafficSelector decode(ByteReader r) throws IkeParseException {
        int at = r.position();
        int type = r.u8("TS type");
        int protocol = r.u8("IP protocol ID");
        int length = r.u16("selector length");
        int addrLen = addressLength(type);
        if (addrLen < 0) {
            throw new IkeParseException("unsupported traffic selector type " + type + " at offset " + at);
        }
        if (length != 8 + 2 * addrLen) {
            throw new IkeParseException("traffic selector of type " + type + " at offset " + at + " claims length "
                    + length + ", must be " + (8 + 2 * addrLen));
        }
        int startPort = r.u16("start port");
        int endPort = r.u16("end port");
        byte[] start = r.bytes(addrLen, "starting address");
        byte[] end = r.bytes(addrLen, "ending address");
        return new TrafficSelector(type, protocol, startPort, endPort, start, end);
    }

    void encode(ByteWriter w) {
        w.u8(tsType).u8(ipProtocol).u16(encodedLength()).u16(startPort).u16(endPort).bytes(startAddress)
                .bytes(endAddress);
    }

    @Override
    public byte[] startAddress() {
        return startAddress.clone();
    }

    @Override
    public byte[] endAddress() {
        return endAddress.clone();
    }

    public InetAddress start() {
        return toInet(startAddress);
    }

    public InetAddress end() {
        return toInet(endAddress);
    }

    private static InetAddress toInet(byte[] a) {
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("address of " + a.length + " bytes", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrafficSelector t && t.tsType == tsType && t.ipProtocol == ipProtocol
                && t.startPort == startPort && t.endPort == endPort && Arrays.equals(t.startAddress, startAddress)
                && Arrays.equals(t.endAddress, endAddress);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {tsType, ipProtocol, startPort, endPort, Arrays.hashCode(startAddress),
                Arrays.hashCode(endAddress)});
    }

    @Override
    public String toString() {
        return start().getHostAddress() + "-" + end().getHostAddress() + "[" + ipProtocol + "/" + startPort + "-"
                + endPort + "]";
    }
}
