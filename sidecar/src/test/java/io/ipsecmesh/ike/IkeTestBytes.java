package io.ipsecmesh.ike;

import java.util.HexFormat;

/** Test helpers: hex as printed in sources (blanks and line breaks ignored). */
final class IkeTestBytes {

    private IkeTestBytes() {
    }

    static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replaceAll("\\s+", ""));
    }

    static String toHex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static byte[] repeat(int value, int count) {
        byte[] b = new byte[count];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }

    static byte[] range(int from, int count) {
        byte[] b = new byte[count];
        for (int i = 0; i < count; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }
}
