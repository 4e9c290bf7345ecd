package io.ipsecmesh.tun;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The 10-byte {@code struct virtio_net_hdr} that prefixes every packet on a TUN opened with
 * {@code IFF_VNET_HDR} (Linux {@code include/uapi/linux/virtio_net.h}; virtio spec 1.2,
 * section 5.1.6 "Device Operation"):
 *
 * <pre>
 *  offset size field
 *   0     1    flags        NEEDS_CSUM (1), DATA_VALID (2), RSC_INFO (4)
 *   1     1    gso_type     NONE (0), TCPV4 (1), UDP (3, legacy UFO), TCPV6 (4), UDP_L4 (5); | ECN (0x80)
 *   2     2    hdr_len      length of the headers (IP + TCP/UDP) to copy into every segment
 *   4     2    gso_size     payload bytes per segment (the MSS)
 *   6     2    csum_start   where the checksummed region starts, from the start of the IP header
 *   8     2    csum_offset  where the checksum field is, from csum_start (16 for TCP, 6 for UDP)
 * </pre>
 *
 * The 16-bit fields are in the TUN's vnet byte order: host order by default; {@link TunDevice}
 * sets it to little-endian ({@code TUNSETVNETLE}), which is what this codec reads and writes.
 *
 * <p>{@code NEEDS_CSUM} means the checksum is partial: the field at {@code csum_start +
 * csum_offset} holds the folded (not complemented) pseudo-header sum, and the ones'-complement
 * checksum from {@code csum_start} to the end of the packet must still be computed and stored
 * there (Linux {@code CHECKSUM_PARTIAL}). {@code DATA_VALID} on a packet written into the TUN
 * says its checksum has been verified ({@code CHECKSUM_UNNECESSARY}).
 *
 * <p>Mutable, so that a worker can reuse one instance per packet without allocating.
 */
public final class VirtioNetHdr {
    /** Size of struct virtio_net_hdr (without the num_buffers field of the mergeable variant). */
    public static final int LENGTH = 10;

    /** flags: the checksum is partial, see the class comment. */
    public static final int F_NEEDS_CSUM = 1;
    /** flags: the checksum has been verified (packets written into the TUN). */
    public static final int F_DATA_VALID = 2;
    /** flags: RSC (receive segment coalescing) information in the csum fields; not used by TUN. */
    public static final int F_RSC_INFO = 4;

    /** gso_type: not a GSO packet. */
    public static final int GSO_NONE = 0;
    /** gso_type: TCP over IPv4 super-packet (TSO). */
    public static final int GSO_TCPV4 = 1;
    /** gso_type: legacy UDP fragmentation offload (UFO): one datagram to be IP-fragmented. */
    public static final int GSO_UDP = 3;
    /** gso_type: TCP over IPv6 super-packet (TSO). */
    public static final int GSO_TCPV6 = 4;
    /** gso_type: UDP segmentation offload (USO, UDP_SEGMENT): several datagrams of gso_size. */
    public static final int GSO_UDP_L4 = 5;
    /** gso_type bit: the TCP super-packet has CWR set (only the first segment keeps it). */
    public static final int GSO_ECN = 0x80;

    private static final VarHandle U16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    private int flags;
    private int gsoType;
    private int hdrLen;
    private int gsoSize;
    private int csumStart;
    private int csumOffset;

    /** An all-zero header: no offload, checksum complete (or unchecked). */
    public VirtioNetHdr() {}

    /** Decodes the 10 bytes at {@code buf[off]} into this object, which it returns. */
    public VirtioNetHdr decode(byte[] buf, int off) {
        Objects.checkFromIndexSize(off, LENGTH, buf.length);
        flags = buf[off] & 0xff;
        gsoType = buf[off + 1] & 0xff;
        hdrLen = (short) U16.get(buf, off + 2) & 0xffff;
        gsoSize = (short) U16.get(buf, off + 4) & 0xffff;
        csumStart = (short) U16.get(buf, off + 6) & 0xffff;
        csumOffset = (short) U16.get(buf, off + 8) & 0xffff;
        return this;
    }

    /** Encodes this header into {@code buf[off, off+10)}. */
    public void encode(byte[] buf, int off) {
        Objects.checkFromIndexSize(off, LENGTH, buf.length);
        buf[off] = (byte) flags;
        buf[off + 1] = (byte) gsoType;
        U16.set(buf, off + 2, (short) hdrLen);
        U16.set(buf, off + 4, (short) gsoSize);
        U16.set(buf, off + 6, (short) csumStart);
        U16.set(buf, off + 8, (short) csumOffset);
    }

    /** Writes an all-zero header with the given flags (0 or {@link #F_DATA_VALID}) into {@code buf[off, off+10)}. */
    public static void encodePlain(byte[] buf, int off, int flags) {
        Objects.checkFromIndexSize(off, LENGTH, buf.length);
        buf[off] = (byte) flags;
        for (int i = 1; i < LENGTH; i++) {
            buf[off + i] = 0;
        }
    }

    /** Sets every field; returns this. Values are truncated to their field width (8 or 16 bits). */
    public VirtioNetHdr set(int flags, int gsoType, int hdrLen, int gsoSize, int csumStart, int csumOffset) {
        this.flags = flags & 0xff;
        this.gsoType = gsoType & 0xff;
        this.hdrLen = hdrLen & 0xffff;
        this.gsoSize = gsoSize & 0xffff;
        this.csumStart = csumStart & 0xffff;
        this.csumOffset = csumOffset & 0xffff;
        return this;
    }

    /** Resets every field to zero; returns this. */
    public VirtioNetHdr clear() {
        return set(0, 0, 0, 0, 0, 0);
    }

    public int flags() { return flags; }
    /** The gso_type including the {@link #GSO_ECN} bit. */
    public int gsoType() { return gsoType; }
    public int hdrLen() { return hdrLen; }
    public int gsoSize() { return gsoSize; }
    public int csumStart() { return csumStart; }
    public int csumOffset() { return csumOffset; }

    /** Whether {@link #F_NEEDS_CSUM} is set. */
    public boolean needsCsum() {
        return (flags & F_NEEDS_CSUM) != 0;
    }

    /** Whether this describes a GSO super-packet (gso_type other than NONE, ignoring ECN). */
    public boolean isGso() {
        return (gsoType & ~GSO_ECN) != GSO_NONE;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VirtioNetHdr h && h.flags == flags && h.gsoType == gsoType && h.hdrLen == hdrLen
                && h.gsoSize == gsoSize && h.csumStart == csumStart && h.csumOffset == csumOffset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset);
    }

    @Override
    public String toString() {
        return "virtio_net_hdr{flags=" + flags + ", gso_type=" + gsoType + ", hdr_len=" + hdrLen
                + ", gso_size=" + gsoSize + ", csum_start=" + csumStart + ", csum_offset=" + csumOffset + "}";
    }
}
