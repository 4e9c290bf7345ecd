package io.ipsecmesh.crypto;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/** Test helpers: hex as printed in RFCs (blanks and line breaks ignored), repeated bytes. */
final class TestBytes {

    private TestBytes() {
    }

    static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replaceAll("\\s+", ""));
    }

    static String toHex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static String toHex(byte[] b, int off, int len) {
        return HexFormat.of().formatHex(b, off, off + len);
    }

    static byte[] repeat(int value, int count) {
        byte[] b = new byte[count];
        Arrays.fill(b, (byte) value);
        return b;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code from, from + 1, ..., to} as bytes. */
    static byte[] range(int from, int to) {
        byte[] b = new byte[to - from + 1];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }
}
