package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.TrafficSelector;
import io.ipsecmesh.sa.Prefix;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Traffic selector arithmetic: narrowing (RFC 7296 §2.9) and the translation of IKE's address
 * ranges into the data plane's prefixes.
 */
public final class Selectors {

    private Selectors() {
    }

    /** The IKE address of a side as a one-host selector ("dynamic" in strongSwan). */
    public static TrafficSelector host(InetAddress a) {
        return TrafficSelector.host(a);
    }

    /** Configured selectors, or the one host when the config leaves them to the IKE address. */
    public static List<TrafficSelector> orHost(List<TrafficSelector> configured, InetAddress ikeAddress) {
        return configured.isEmpty() ? List.of(host(ikeAddress)) : configured;
    }

    /**
     * Narrowing: what of {@code offered} lies within {@code allowed}, as a list of selectors (each
     * the intersection of one offered and one allowed selector). Empty when nothing does.
     */
    public static List<TrafficSelector> narrow(List<TrafficSelector> offered, List<TrafficSelector> allowed) {
        List<TrafficSelector> out = new ArrayList<>();
        for (TrafficSelector o : offered) {
            for (TrafficSelector a : allowed) {
                TrafficSelector i = intersect(o, a);
                if (i != null && !out.contains(i)) {
                    out.add(i);
                }
            }
        }
        return out;
    }

    /** The intersection of two selectors, or null if they share nothing. */
    public static TrafficSelector intersect(TrafficSelector a, TrafficSelector b) {
        if (a.tsType() != b.tsType()) {
            return null;
        }
        int protocol;
        if (a.ipProtocol() == 0) {
            protocol = b.ipProtocol();
        } else if (b.ipProtocol() == 0 || b.ipProtocol() == a.ipProtocol()) {
            protocol = a.ipProtocol();
        } else {
            return null;
        }
        int startPort = Math.max(a.startPort(), b.startPort());
        int endPort = Math.min(a.endPort(), b.endPort());
        if (startPort > endPort) {
            return null;
        }
        BigInteger start = max(unsigned(a.startAddress()), unsigned(b.startAddress()));
        BigInteger end = min(unsigned(a.endAddress()), unsigned(b.endAddress()));
        if (start.compareTo(end) > 0) {
            return null;
        }
        int len = a.startAddress().length;
        return new TrafficSelector(a.tsType(), protocol, startPort, endPort, bytes(start, len), bytes(end, len));
    }

    /** Whether {@code inner} lies entirely within {@code outer}. */
    public static boolean within(TrafficSelector inner, TrafficSelector outer) {
        TrafficSelector i = intersect(inner, outer);
        return inner.equals(i);
    }

    /**
     * The data plane's selectors for traffic from {@code src} to {@code dst}: one per pair of
     * CIDR blocks covering the two address ranges. Protocol 0 (any) becomes -1.
     */
    public static List<io.ipsecmesh.sa.TrafficSelector> toDataPlane(TrafficSelector src, TrafficSelector dst) {
        List<io.ipsecmesh.sa.TrafficSelector> out = new ArrayList<>();
        int protocol = src.ipProtocol() != 0 ? src.ipProtocol() : dst.ipProtocol() != 0 ? dst.ipProtocol() : -1;
        if (src.ipProtocol() != 0 && dst.ipProtocol() != 0 && src.ipProtocol() != dst.ipProtocol()) {
            return out;
        }
        for (Prefix s : prefixes(src)) {
            for (Prefix d : prefixes(dst)) {
                out.add(new io.ipsecmesh.sa.TrafficSelector(s, d, protocol, src.startPort(), src.endPort(),
                        dst.startPort(), dst.endPort()));
            }
        }
        return out;
    }

    /** The smallest list of CIDR prefixes that exactly covers the selector's address range. */
    public static List<Prefix> prefixes(TrafficSelector ts) {
        int len = ts.startAddress().length;
        int bits = len * 8;
        BigInteger start = unsigned(ts.startAddress());
        BigInteger end = unsigned(ts.endAddress());
        List<Prefix> out = new ArrayList<>();
        while (start.compareTo(end) <= 0) {
            int host = start.signum() == 0 ? bits : start.getLowestSetBit();
            host = Math.min(host, bits);
            while (host > 0 && start.add(BigInteger.ONE.shiftLeft(host)).subtract(BigInteger.ONE).compareTo(end) > 0) {
                host--;
            }
            try {
                out.add(Prefix.of(InetAddress.getByAddress(bytes(start, len)), bits - host));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
            start = start.add(BigInteger.ONE.shiftLeft(host));
        }
        return out;
    }

    /** "198.18.10.1/32", "198.18.0.0/16[tcp/443]": one line a person reads. */
    public static String format(List<TrafficSelector> list) {
        List<String> parts = new ArrayList<>();
        for (TrafficSelector ts : list) {
            StringBuilder sb = new StringBuilder();
            List<Prefix> ps = prefixes(ts);
            sb.append(ps.size() == 1 ? ps.getFirst().toString() : ts.start().getHostAddress() + ".." + ts.end().getHostAddress());
            if (ts.ipProtocol() != 0 || ts.startPort() != 0 || ts.endPort() != 0xffff) {
                sb.append('[').append(ts.ipProtocol());
                if (ts.startPort() != 0 || ts.endPort() != 0xffff) {
                    sb.append('/').append(ts.startPort());
                    if (ts.endPort() != ts.startPort()) {
                        sb.append('-').append(ts.endPort());
                    }
                }
                sb.append(']');
            }
            parts.add(sb.toString());
        }
        return String.join(" ", parts);
    }

    private static BigInteger unsigned(byte[] b) {
        return new BigInteger(1, b);
    }

    private static BigInteger max(BigInteger a, BigInteger b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static BigInteger min(BigInteger a, BigInteger b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static byte[] bytes(BigInteger v, int len) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[len];
        int n = Math.min(raw.length, len);
        System.arraycopy(raw, raw.length - n, out, len - n, n);
        return out;
    }
}
