package io.ipsecmesh.ike;

import java.util.Arrays;

/**
 * Bounds-checked big-endian reads over a window of a byte array. Every read that would pass
 * the window's end throws {@link IkeParseException} naming what was being read and where.
 * Offsets in messages are absolute (from the start of the array).
 */
final class ByteReader {

    private final byte[] data;
    private final String context;
    private final int limit;
    private int pos;

    ByteReader(byte[] data, int offset, int length, String context) {
        this.data = data;
        this.pos = offset;
        this.limit = offset + length;
        this.context = context;
    }

    /** A reader over the next {@code length} bytes, which this reader skips. */
    ByteReader slice(int length, String sliceContext) throws IkeParseException {
        require(length, sliceContext);
        ByteReader r = new ByteReader(data, pos, length, sliceContext);
        pos += length;
        return r;
    }

    int position() {
        return pos;
    }

    int remaining() {
        return limit - pos;
    }

    String context() {
        return context;
    }

    void require(int n, String what) throws IkeParseException {
        if (n < 0 || n > limit - pos) {
            throw new IkeParseException("truncated " + context + ": " + what + " needs " + n + " bytes at offset "
                    + pos + ", only " + (limit - pos) + " left");
        }
    }

    int u8(String what) throws IkeParseException {
        require(1, what);
        return data[pos++] & 0xff;
    }

    int u16(String what) throws IkeParseException {
        require(2, what);
        int v = ((data[pos] & 0xff) << 8) | (data[pos + 1] & 0xff);
        pos += 2;
        return v;
    }

    int u32(String what) throws IkeParseException {
        require(4, what);
        int v = ((data[pos] & 0xff) << 24) | ((data[pos + 1] & 0xff) << 16) | ((data[pos + 2] & 0xff) << 8)
                | (data[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    long u64(String what) throws IkeParseException {
        long hi = u32(what) & 0xffffffffL;
        long lo = u32(what) & 0xffffffffL;
        return (hi << 32) | lo;
    }

    byte[] bytes(int n, String what) throws IkeParseException {
        require(n, what);
        byte[] b = Arrays.copyOfRange(data, pos, pos + n);
        pos += n;
        return b;
    }

    byte[] rest() {
        byte[] b = Arrays.copyOfRange(data, pos, limit);
        pos = limit;
        return b;
    }

    void skip(int n, String what) throws IkeParseException {
        require(n, what);
        pos += n;
    }

    /** Fails unless the window is used up. */
    void expectEnd() throws IkeParseException {
        if (pos != limit) {
            throw new IkeParseException(context + " has " + (limit - pos) + " unexpected trailing bytes at offset " + pos);
        }
    }
}
