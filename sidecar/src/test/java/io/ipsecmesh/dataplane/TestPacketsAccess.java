package io.ipsecmesh.dataplane;

/** Lets tests in other packages build packets with {@link TestPackets}. */
public final class TestPacketsAccess {
    private TestPacketsAccess() {
    }

    public static byte[] l4(String src, String dst, int proto, int sport, int dport) {
        return TestPackets.l4(src, dst, proto, sport, dport, 8);
    }
}
