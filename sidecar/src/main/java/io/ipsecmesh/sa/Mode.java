package io.ipsecmesh.sa;

/** RFC 4301 §4.1: transport mode protects the payload of the original packet; tunnel mode the whole packet. */
public enum Mode {
    TRANSPORT, TUNNEL;

    public static Mode parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "transport" -> TRANSPORT;
            case "tunnel" -> TUNNEL;
            default -> throw new IllegalArgumentException("mode must be 'transport' or 'tunnel', not '" + s + "'");
        };
    }
}
