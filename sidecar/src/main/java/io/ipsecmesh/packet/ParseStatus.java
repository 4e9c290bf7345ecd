package io.ipsecmesh.packet;

/** Result codes of {@link IpPacket#parse}; anything but {@link #OK} means the packet is malformed. */
public final class ParseStatus {
    private ParseStatus() {
    }

    public static final int OK = 0;
    public static final int TRUNCATED = 1;
    public static final int BAD_VERSION = 2;
    public static final int BAD_HEADER_LENGTH = 3;
    public static final int BAD_TOTAL_LENGTH = 4;
    public static final int BAD_EXTENSION_CHAIN = 5;

    public static String describe(int status) {
        return switch (status) {
            case OK -> "ok";
            case TRUNCATED -> "truncated IP header";
            case BAD_VERSION -> "IP version is neither 4 nor 6";
            case BAD_HEADER_LENGTH -> "bad IPv4 header length";
            case BAD_TOTAL_LENGTH -> "IP length does not match the packet";
            case BAD_EXTENSION_CHAIN -> "IPv6 extension header chain ends badly";
            default -> "unknown status " + status;
        };
    }
}
