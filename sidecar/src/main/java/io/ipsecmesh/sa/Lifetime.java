package io.ipsecmesh.sa;

/**
 * Soft and hard SA lifetimes (RFC 4301 §4.4.2.1). At a soft limit the data plane raises an event
 * so that IKE rekeys; at a hard limit the SA stops passing traffic. {@code 0} means no limit.
 */
public record Lifetime(long softBytes, long hardBytes, long softPackets, long hardPackets,
                       long softSeconds, long hardSeconds) {

    public static final Lifetime UNLIMITED = new Lifetime(0, 0, 0, 0, 0, 0);

    public Lifetime {
        check("bytes", softBytes, hardBytes);
        check("packets", softPackets, hardPackets);
        check("seconds", softSeconds, hardSeconds);
    }

    private static void check(String what, long soft, long hard) {
        if (soft < 0 || hard < 0) {
            throw new IllegalArgumentException("lifetime " + what + " must not be negative");
        }
        if (hard != 0 && soft > hard) {
            throw new IllegalArgumentException("soft lifetime " + what + " (" + soft + ") exceeds the hard one (" + hard + ")");
        }
    }

    public Lifetime withBytes(long soft, long hard) {
        return new Lifetime(soft, hard, softPackets, hardPackets, softSeconds, hardSeconds);
    }

    public Lifetime withPackets(long soft, long hard) {
        return new Lifetime(softBytes, hardBytes, soft, hard, softSeconds, hardSeconds);
    }

    public Lifetime withSeconds(long soft, long hard) {
        return new Lifetime(softBytes, hardBytes, softPackets, hardPackets, soft, hard);
    }
}
