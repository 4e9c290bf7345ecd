package io.ipsecmesh.ike;

import java.util.Arrays;

/** A growable big-endian byte buffer for encoding; values out of a field's range are refused. */
final class ByteWriter {

    private byte[] buf = new byte[64];
    private int size;

    private void ensure(int n) {
        if (size + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
        }
    }

    ByteWriter u8(int v) {
        checkRange(v, 0xff, "8-bit");
        ensure(1);
        buf[size++] = (byte) v;
        return this;
    }

    ByteWriter u16(int v) {
        checkRange(v, 0xffff, "16-bit");
        ensure(2);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
        return this;
    }

    ByteWriter u32(int v) {
        ensure(4);
        buf[size++] = (byte) (v >>> 24);
        buf[size++] = (byte) (v >>> 16);
        buf[size++] = (byte) (v >>> 8);
        buf[size++] = (byte) v;
        return this;
    }

    ByteWriter u64(long v) {
        u32((int) (v >>> 32));
        return u32((int) v);
    }

    ByteWriter bytes(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, size, b.length);
        size += b.length;
        return this;
    }

    ByteWriter zeros(int n) {
        ensure(n);
        size += n;
        return this;
    }

    int size() {
        return size;
    }

    /** Overwrites a 16-bit field already written at {@code offset}. */
    void patch16(int offset, int v) {
        checkRange(v, 0xffff, "16-bit");
        buf[offset] = (byte) (v >>> 8);
        buf[offset + 1] = (byte) v;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    private static void checkRange(int v, int max, String what) {
        if (v < 0 || v > max) {
            throw new IllegalArgumentException("value " + v + " does not fit a " + what + " field");
        }
    }
}
