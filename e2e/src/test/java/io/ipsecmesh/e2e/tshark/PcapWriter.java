package io.ipsecmesh.e2e.tshark;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Writes a classic libpcap file (not pcapng) whose link type is {@link #LINKTYPE_RAW} (101): each
 * record is a bare IPv4 or IPv6 packet, no link-layer header; the reader tells the version from the
 * first nibble. This is what a TUN device yields, and what tshark shows as {@code raw:ip:...} or
 * {@code raw:ipv6:...} in {@code frame.protocols}.
 *
 * <p>Format (https://www.tcpdump.org/manpages/pcap-savefile.5.html): a 24-byte global header,
 * magic {@code 0xa1b2c3d4} written in little-endian byte order (so microsecond timestamps), version
 * 2.4, thiszone 0, sigfigs 0, snaplen, link type; then per packet a 16-byte record header
 * (ts_sec, ts_usec, incl_len, orig_len) followed by the bytes. Every packet is written whole
 * ({@code incl_len == orig_len}); a test that wants a truncated packet passes the truncated bytes.
 *
 * <p>Timestamps start at {@code 1_700_000_000 s} and advance by one millisecond per packet, so
 * frame order and frame numbers follow the order of {@link #write(byte[])} calls (frame 1 first).
 */
public final class PcapWriter implements AutoCloseable {

    /** LINKTYPE_RAW: raw IPv4/IPv6, no link header (DLT_RAW on most platforms is 12 or 14; the file value is 101). */
    public static final int LINKTYPE_RAW = 101;
    public static final int MAGIC_MICROSECONDS = 0xa1b2c3d4;
    public static final int SNAPLEN = 262_144;

    private static final long FIRST_SECOND = 1_700_000_000L;

    private final OutputStream out;
    private long packets;

    /** Creates (or truncates) {@code file} and writes the global header. */
    public PcapWriter(Path file) throws IOException {
        this(Files.newOutputStream(file));
    }

    /** Writes the global header to {@code out}; {@link #close()} closes {@code out}. */
    public PcapWriter(OutputStream out) throws IOException {
        this.out = new BufferedOutputStream(Objects.requireNonNull(out, "out"));
        ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(MAGIC_MICROSECONDS);
        h.putShort((short) 2);   // version major
        h.putShort((short) 4);   // version minor
        h.putInt(0);             // thiszone
        h.putInt(0);             // sigfigs
        h.putInt(SNAPLEN);
        h.putInt(LINKTYPE_RAW);
        this.out.write(h.array());
    }

    /** Appends one raw IP packet; returns its frame number as tshark will number it (1-based). */
    public long write(byte[] ipPacket) throws IOException {
        Objects.requireNonNull(ipPacket, "ipPacket");
        if (ipPacket.length > SNAPLEN) {
            throw new IllegalArgumentException("packet of " + ipPacket.length + " bytes exceeds snaplen " + SNAPLEN);
        }
        long micros = packets * 1000L;
        ByteBuffer r = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        r.putInt((int) (FIRST_SECOND + micros / 1_000_000L));
        r.putInt((int) (micros % 1_000_000L));
        r.putInt(ipPacket.length); // incl_len
        r.putInt(ipPacket.length); // orig_len
        out.write(r.array());
        out.write(ipPacket);
        return ++packets;
    }

    /** Packets written so far. */
    public long count() {
        return packets;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    /** Writes {@code packets} to {@code file} in order (frame {@code i + 1} is {@code packets.get(i)}). */
    public static Path write(Path file, List<byte[]> packets) {
        try (PcapWriter w = new PcapWriter(file)) {
            for (byte[] p : packets) {
                w.write(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write pcap " + file, e);
        }
        return file;
    }
}
