package io.ipsecmesh.packet;

/** IANA protocol numbers used by the data plane. */
public final class IpProtocols {
    private IpProtocols() {
    }

    public static final int HOP_BY_HOP = 0;
    public static final int ICMP = 1;
    public static final int IPV4 = 4;
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int IPV6 = 41;
    public static final int ROUTING = 43;
    public static final int FRAGMENT = 44;
    public static final int ESP = 50;
    public static final int AH = 51;
    public static final int ICMPV6 = 58;
    /** "No Next Header": an ESP dummy packet (RFC 4303 §2.6). */
    public static final int NO_NEXT_HEADER = 59;
    public static final int DEST_OPTIONS = 60;
    public static final int SCTP = 132;

    /** Parses {@code any}, a name ({@code tcp}, {@code udp}, {@code icmp}, {@code ipv6-icmp}...) or a number; -1 means any. */
    public static int parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "any" -> -1;
            case "icmp" -> ICMP;
            case "tcp" -> TCP;
            case "udp" -> UDP;
            case "ipv6-icmp", "icmpv6", "icmp6" -> ICMPV6;
            case "esp" -> ESP;
            case "ah" -> AH;
            case "sctp" -> SCTP;
            default -> {
                int n;
                try {
                    n = Integer.decode(s);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("unknown protocol '" + s + "'");
                }
                if (n < 0 || n > 255) {
                    throw new IllegalArgumentException("protocol number out of range: " + n);
                }
                yield n;
            }
        };
    }
}
