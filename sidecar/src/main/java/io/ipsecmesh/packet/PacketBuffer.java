package io.ipsecmesh.packet;

/**
 * A packet in a byte array with room before and after it, so that headers can be added in
 * front (ESP/AH, an outer IP header) and a trailer behind without copying the payload.
 * One per worker thread, reused for every packet.
 */
public final class PacketBuffer {
    /** Room in front: outer IPv6 (40) + UDP (8) + ESP (8) + IV (16) + AH with the largest ICV, rounded up. */
    public static final int HEADROOM = 160;
    /** Room behind: padding, pad length, next header, ICV, TFC padding. */
    public static final int TAILROOM = 1024 + 256;
    /** Largest IP packet. */
    public static final int MAX_PACKET = 65535;

    public final byte[] buf;
    public int off;
    public int len;

    public PacketBuffer() {
        this(HEADROOM + MAX_PACKET + TAILROOM);
    }

    public PacketBuffer(int capacity) {
        this.buf = new byte[capacity];
    }

    /** Places a copy of {@code data} at the standard headroom. */
    public PacketBuffer set(byte[] data, int dataOff, int dataLen) {
        System.arraycopy(data, dataOff, buf, HEADROOM, dataLen);
        off = HEADROOM;
        len = dataLen;
        return this;
    }

    public byte[] toArray() {
        return java.util.Arrays.copyOfRange(buf, off, off + len);
    }
}
