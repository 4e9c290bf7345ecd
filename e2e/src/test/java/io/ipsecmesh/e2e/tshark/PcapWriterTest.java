package io.ipsecmesh.e2e.tshark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pcap layout byte by byte (needs no tshark). */
class PcapWriterTest {

    @Test
    void globalHeaderAndRecordsAreClassicLittleEndianPcapOfRawIp() throws IOException {
        byte[] p1 = {0x45, 1, 2, 3};
        byte[] p2 = {0x60, 9, 8, 7, 6, 5};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PcapWriter w = new PcapWriter(out)) {
            assertEquals(1, w.write(p1));
            assertEquals(2, w.write(p2));
            assertEquals(2, w.count());
        }
        ByteBuffer b = ByteBuffer.wrap(out.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(24 + 16 + 4 + 16 + 6, b.remaining());
        assertArrayEquals(new byte[] {(byte) 0xd4, (byte) 0xc3, (byte) 0xb2, (byte) 0xa1},
                Arrays.copyOf(out.toByteArray(), 4), "magic 0xa1b2c3d4, little-endian");
        assertEquals(0xa1b2c3d4, b.getInt());
        assertEquals(2, b.getShort());
        assertEquals(4, b.getShort());
        assertEquals(0, b.getInt());
        assertEquals(0, b.getInt());
        assertEquals(PcapWriter.SNAPLEN, b.getInt());
        assertEquals(101, b.getInt(), "LINKTYPE_RAW");

        long t1 = b.getInt() * 1_000_000L + b.getInt();
        assertEquals(4, b.getInt());
        assertEquals(4, b.getInt());
        byte[] r1 = new byte[4];
        b.get(r1);
        assertArrayEquals(p1, r1);

        long t2 = b.getInt() * 1_000_000L + b.getInt();
        assertEquals(6, b.getInt());
        assertEquals(6, b.getInt());
        byte[] r2 = new byte[6];
        b.get(r2);
        assertArrayEquals(p2, r2);
        assertEquals(1000, t2 - t1, "one millisecond apart, in order");
    }

    @Test
    void staticWriteCreatesTheFile(@TempDir Path dir) throws IOException {
        Path f = PcapWriter.write(dir.resolve("x.pcap"), List.of(new byte[] {0x45}, new byte[] {0x45, 0}));
        assertEquals(24 + 16 + 1 + 16 + 2, Files.size(f));
    }

    @Test
    void refusesPacketsBeyondSnaplen() throws IOException {
        try (PcapWriter w = new PcapWriter(new ByteArrayOutputStream())) {
            assertThrows(IllegalArgumentException.class, () -> w.write(new byte[PcapWriter.SNAPLEN + 1]));
        }
    }
}
