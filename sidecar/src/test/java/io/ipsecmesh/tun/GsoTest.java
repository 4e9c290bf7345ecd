package io.ipsecmesh.tun;

import io.ipsecmesh.tun.TestPackets.Collector;
import io.ipsecmesh.tun.TestPackets.Flow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;

import static io.ipsecmesh.tun.TestPackets.ACK;
import static io.ipsecmesh.tun.TestPackets.CWR;
import static io.ipsecmesh.tun.TestPackets.ECE;
import static io.ipsecmesh.tun.TestPackets.FIN;
import static io.ipsecmesh.tun.TestPackets.PSH;
import static io.ipsecmesh.tun.TestPackets.put16;
import static io.ipsecmesh.tun.TestPackets.u16;
import static io.ipsecmesh.tun.TestPackets.u32;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GsoTest {

    static Flow flow(boolean v6) {
        return v6 ? Flow.v6("2001:db8:1::1", "2001:db8:2::2") : Flow.v4("198.18.1.1", "198.18.2.2");
    }

    /** A super-packet as the kernel hands it out: full payload, partial checksum (seed) in the field. */
    static byte[] superTcp(Flow f, long seq, int flags, int id, byte[] payload) {
        byte[] p = TestPackets.tcp(f, seq, flags, id, payload, 0, payload.length);
        int ipHdr = f.v6 ? 40 : 20;
        put16(p, ipHdr + 16, TestPackets.pseudoSeed(f.v6, f.src, f.dst, 6, p.length - ipHdr));
        return p;
    }

    static VirtioNetHdr tsoHdr(Flow f, int mss, boolean ecn) {
        int ipHdr = f.v6 ? 40 : 20;
        int type = (f.v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4) | (ecn ? VirtioNetHdr.GSO_ECN : 0);
        return new VirtioNetHdr().set(VirtioNetHdr.F_NEEDS_CSUM, type, ipHdr + 20 + f.options.length, mss, ipHdr, 16);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void tsoSplitsIntoTheSegmentsASenderWouldSend(boolean v6) throws Exception {
        Flow f = flow(v6).timestamps(1000, 2000);
        byte[] payload = TestPackets.payload(5000, 1);
        long seq = 0xfffff000L; // wraps within the burst
        int flags = ACK | PSH | FIN | CWR | ECE;
        byte[] in = superTcp(f, seq, flags, 0xfffe, payload); // IPv4 ID wraps too
        Collector c = new Collector();
        int n = Gso.segment(in, 0, in.length, tsoHdr(f, 1448, true), new byte[65535], 0, c);

        List<byte[]> expected = TestPackets.tcpSegments(f, seq, flags, 0xfffe, payload, 1448);
        assertEquals(4, expected.size());
        assertEquals(4, n);
        assertEquals(4, c.packets.size());
        for (int i = 0; i < 4; i++) {
            byte[] s = c.packets.get(i);
            assertArrayEquals(expected.get(i), s, "segment " + i);
            int ipHdr = v6 ? 40 : 20;
            assertTrue(TestPackets.transportChecksumOk(s), "TCP checksum of segment " + i);
            if (!v6) {
                assertTrue(TestPackets.ipv4HeaderChecksumOk(s));
                assertEquals((0xfffe + i) & 0xffff, u16(s, 4));
                assertEquals(s.length, u16(s, 2));
            } else {
                assertEquals(s.length - 40, u16(s, 4));
            }
            assertEquals((seq + 1448L * i) & 0xffffffffL, u32(s, ipHdr + 4));
            int fl = s[ipHdr + 13] & 0xff;
            assertEquals(i == 0, (fl & CWR) != 0, "CWR only on the first");
            assertEquals(i == 3, (fl & (FIN | PSH)) == (FIN | PSH), "FIN/PSH only on the last");
            assertEquals(i == 3 ? 5000 - 3 * 1448 : 1448, s.length - ipHdr - 32);
        }
    }

    @Test
    void exactMultipleOfMssAndSingleSegment() throws Exception {
        Flow f = flow(false);
        byte[] payload = TestPackets.payload(2 * 1000, 2);
        byte[] in = superTcp(f, 7, ACK, 1, payload);
        Collector c = new Collector();
        assertEquals(2, Gso.segment(in, 0, in.length, tsoHdr(f, 1000, false), new byte[2000], 0, c));
        assertEquals(TestPackets.tcpSegments(f, 7, ACK, 1, payload, 1000).stream().map(Arrays::toString).toList(),
                c.packets.stream().map(Arrays::toString).toList());

        Collector one = new Collector();
        byte[] small = superTcp(f, 7, ACK | PSH, 1, Arrays.copyOf(payload, 100));
        assertEquals(1, Gso.segment(small, 0, small.length, tsoHdr(f, 1000, false), new byte[2000], 0, one));
        assertArrayEquals(TestPackets.tcp(f, 7, ACK | PSH, 1, payload, 0, 100), one.packets.get(0));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void usoSplitsIntoDatagrams(boolean v6) throws Exception {
        Flow f = flow(v6);
        f.sport = 4500;
        f.dport = 4500;
        byte[] payload = TestPackets.payload(3 * 1200 + 77, 3);
        byte[] in = TestPackets.udp(f, 500, payload, 0, payload.length);
        int ipHdr = v6 ? 40 : 20;
        put16(in, ipHdr + 6, TestPackets.pseudoSeed(v6, f.src, f.dst, 17, in.length - ipHdr));
        VirtioNetHdr h = new VirtioNetHdr().set(1, VirtioNetHdr.GSO_UDP_L4, ipHdr + 8, 1200, ipHdr, 6);
        // output at an offset, to check outOff is honoured
        byte[] out = new byte[4000];
        Collector c = new Collector();
        assertEquals(4, Gso.segment(in, 0, in.length, h, out, 100, c));
        List<byte[]> expected = TestPackets.udpSegments(f, 500, payload, 1200);
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(expected.get(i), c.packets.get(i), "datagram " + i);
            assertTrue(TestPackets.transportChecksumOk(c.packets.get(i)));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void completesPartialChecksumInPlace(boolean v6) throws Exception {
        Flow f = flow(v6);
        byte[] payload = TestPackets.payload(333, 4); // odd length
        byte[] full = TestPackets.tcp(f, 99, ACK | PSH, 3, payload, 0, payload.length);
        byte[] partial = full.clone();
        int ipHdr = v6 ? 40 : 20;
        put16(partial, ipHdr + 16, TestPackets.pseudoSeed(v6, f.src, f.dst, 6, full.length - ipHdr));
        byte[] in = new byte[partial.length + 20];
        System.arraycopy(partial, 0, in, 10, partial.length);
        VirtioNetHdr h = new VirtioNetHdr().set(1, VirtioNetHdr.GSO_NONE, 0, 0, ipHdr, 16);
        Collector c = new Collector();
        int[] seen = new int[2];
        PacketSink sink = (buf, off, len) -> {
            assertSame(in, buf, "no copy for a non-GSO packet");
            seen[0] = off;
            seen[1] = len;
            c.accept(buf, off, len);
        };
        assertEquals(1, Gso.segment(in, 10, partial.length, h, new byte[0], 0, sink));
        assertEquals(10, seen[0]);
        assertEquals(partial.length, seen[1]);
        assertArrayEquals(full, c.packets.get(0));
    }

    @Test
    void udpChecksumZeroIsSentAsFfff() throws Exception {
        Flow f = flow(false);
        byte[] payload = new byte[64];
        new java.util.Random(5).nextBytes(payload);
        payload[62] = 0;
        payload[63] = 0;
        byte[] p = TestPackets.udp(f, 1, payload, 0, 64);
        int c0 = u16(p, 26) == 0xffff ? 0 : u16(p, 26);
        // With the last word equal to the checksum, the ones'-complement sum becomes 0xffff, i.e. checksum 0.
        payload[62] = (byte) (c0 >>> 8);
        payload[63] = (byte) c0;
        byte[] full = TestPackets.udp(f, 1, payload, 0, 64);
        assertEquals(0xffff, u16(full, 26), "test setup: a datagram whose checksum computes to 0");
        byte[] partial = full.clone();
        put16(partial, 26, TestPackets.pseudoSeed(false, f.src, f.dst, 17, 72));
        Gso.completeChecksum(partial, 0, partial.length, 20, 6);
        assertArrayEquals(full, partial);
    }

    @Test
    void plainPacketPassesUnchanged() throws Exception {
        byte[] p = TestPackets.tcp(flow(false), 1, ACK, 1, new byte[10], 0, 10);
        byte[] copy = p.clone();
        Collector c = new Collector();
        assertEquals(1, Gso.segment(p, 0, p.length, new VirtioNetHdr(), new byte[0], 0, c));
        assertArrayEquals(copy, c.packets.get(0));
    }

    @Test
    void rejectsMalformedAndMismatchedPackets() {
        Flow f4 = flow(false);
        Flow f6 = flow(true);
        byte[] payload = TestPackets.payload(3000, 6);
        byte[] v4 = superTcp(f4, 1, ACK, 1, payload);
        byte[] v6 = superTcp(f6, 1, ACK, 1, payload);
        byte[] out = new byte[65535];
        PacketSink fail = (b, o, l) -> { throw new AssertionError("sink called"); };
        // TCPV4 on an IPv6 packet and vice versa
        assertThrows(IllegalArgumentException.class, () -> Gso.segment(v6, 0, v6.length, tsoHdr(f4, 1000, false), out, 0, fail));
        assertThrows(IllegalArgumentException.class, () -> Gso.segment(v4, 0, v4.length, tsoHdr(f6, 1000, false), out, 0, fail));
        // gso_size 0
        assertThrows(IllegalArgumentException.class, () -> Gso.segment(v4, 0, v4.length, tsoHdr(f4, 0, false), out, 0, fail));
        // legacy UFO
        VirtioNetHdr ufo = new VirtioNetHdr().set(1, VirtioNetHdr.GSO_UDP, 28, 1000, 20, 6);
        assertThrows(IllegalArgumentException.class, () -> Gso.segment(v4, 0, v4.length, ufo, out, 0, fail));
        // UDP_L4 on TCP
        VirtioNetHdr uso = new VirtioNetHdr().set(1, VirtioNetHdr.GSO_UDP_L4, 28, 1000, 20, 6);
        assertThrows(IllegalArgumentException.class, () -> Gso.segment(v4, 0, v4.length, uso, out, 0, fail));
        // truncated: length does not match the IP header
        assertThrows(IllegalArgumentException.class, () -> Gso.segment(v4, 0, v4.length - 1, tsoHdr(f4, 1000, false), out, 0, fail));
        // output too small
        assertThrows(IllegalArgumentException.class, () -> Gso.segment(v4, 0, v4.length, tsoHdr(f4, 1000, false), new byte[500], 0, fail));
        // headers only, no payload
        byte[] empty = superTcp(f4, 1, ACK, 1, new byte[0]);
        assertThrows(IllegalArgumentException.class, () -> Gso.segment(empty, 0, empty.length, tsoHdr(f4, 1000, false), out, 0, fail));
        // IPv4 fragment
        byte[] frag = v4.clone();
        frag[6] |= 0x20;
        assertThrows(IllegalArgumentException.class, () -> Gso.segment(frag, 0, frag.length, tsoHdr(f4, 1000, false), out, 0, fail));
        // checksum field outside the packet
        VirtioNetHdr bad = new VirtioNetHdr().set(1, 0, 0, 0, v4.length - 10, 16);
        assertThrows(IllegalArgumentException.class, () -> Gso.segment(v4, 0, v4.length, bad, out, 0, fail));
    }
}
