package io.ipsecmesh.tun;

import io.ipsecmesh.tun.TestPackets.Collector;
import io.ipsecmesh.tun.TestPackets.Flow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.ipsecmesh.tun.TestPackets.ACK;
import static io.ipsecmesh.tun.TestPackets.CWR;
import static io.ipsecmesh.tun.TestPackets.ECE;
import static io.ipsecmesh.tun.TestPackets.FIN;
import static io.ipsecmesh.tun.TestPackets.PSH;
import static io.ipsecmesh.tun.TestPackets.SYN;
import static io.ipsecmesh.tun.TestPackets.u16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CoalescerTest {

    static Flow flow(boolean v6) {
        return (v6 ? Flow.v6("2001:db8:1::1", "2001:db8:2::2") : Flow.v4("198.18.1.1", "198.18.2.2")).timestamps(7, 8);
    }

    /** Splits what the coalescer wrote back into plain IP packets with {@link Gso}. */
    static List<byte[]> resegment(List<byte[]> written) throws Exception {
        Collector c = new Collector();
        for (byte[] w : written) {
            VirtioNetHdr h = new VirtioNetHdr().decode(w, 0);
            Gso.segment(w, VirtioNetHdr.LENGTH, w.length - VirtioNetHdr.LENGTH, h, new byte[65535], 0, c);
        }
        return c.packets;
    }

    static void assertSamePackets(List<byte[]> expected, List<byte[]> actual) {
        assertEquals(expected.stream().map(Arrays::toString).toList(), actual.stream().map(Arrays::toString).toList());
    }

    static void addAll(Coalescer co, List<byte[]> pkts) throws Exception {
        for (byte[] p : pkts) {
            co.add(p, 0, p.length, false);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void mergesAFlightAndSegmentingGivesItBack(boolean v6) throws Exception {
        Flow f = flow(v6);
        byte[] payload = TestPackets.payload(9 * 1448 + 500, 10);
        List<byte[]> segs = TestPackets.tcpSegments(f, 0xffffff00L, ACK | PSH, 0xfff0, payload, 1448);
        assertEquals(10, segs.size());
        Collector out = new Collector();
        Coalescer co = new Coalescer(out);
        addAll(co, segs);
        // the short last segment (with PSH) ends the batch and flushes it
        assertFalse(co.pending());
        assertEquals(1, out.packets.size());
        byte[] w = out.packets.get(0);
        int ipHdr = v6 ? 40 : 20;
        int tcpHdr = 32;
        VirtioNetHdr h = new VirtioNetHdr().decode(w, 0);
        assertEquals(new VirtioNetHdr().set(VirtioNetHdr.F_NEEDS_CSUM,
                v6 ? VirtioNetHdr.GSO_TCPV6 : VirtioNetHdr.GSO_TCPV4, ipHdr + tcpHdr, 1448, ipHdr, 16), h);
        int ipLen = w.length - 10;
        assertEquals(ipHdr + tcpHdr + payload.length, ipLen);
        if (v6) {
            assertEquals(ipLen - 40, u16(w, 14));
        } else {
            assertEquals(ipLen, u16(w, 12));
            assertTrue(TestPackets.ipv4HeaderChecksumOk(Arrays.copyOfRange(w, 10, w.length)));
        }
        // the TCP checksum field holds the folded pseudo-header sum over the merged length
        assertEquals(TestPackets.pseudoSeed(v6, f.src, f.dst, 6, ipLen - ipHdr), u16(w, 10 + ipHdr + 16));
        assertEquals(ACK | PSH, w[10 + ipHdr + 13] & 0xff);
        assertSamePackets(segs, resegment(out.packets));
    }

    @Test
    void cwrOnTheFirstSegmentSetsEcnAndSurvivesTheRoundTrip() throws Exception {
        Flow f = flow(false);
        byte[] payload = TestPackets.payload(4 * 1000, 11);
        List<byte[]> segs = TestPackets.tcpSegments(f, 5, ACK | CWR | ECE, 9, payload, 1000);
        Collector out = new Collector();
        Coalescer co = new Coalescer(out);
        addAll(co, segs);
        assertTrue(co.pending(), "full-size segments without PSH leave the batch open");
        co.flush();
        assertEquals(1, out.packets.size());
        assertEquals(VirtioNetHdr.GSO_TCPV4 | VirtioNetHdr.GSO_ECN, new VirtioNetHdr().decode(out.packets.get(0), 0).gsoType());
        assertSamePackets(segs, resegment(out.packets));
    }

    @Test
    void singlePacketIsWrittenPlainWithDataValid() throws Exception {
        Flow f = flow(false);
        byte[] p = TestPackets.tcp(f, 1, ACK, 1, new byte[100], 0, 100);
        Collector out = new Collector();
        Coalescer co = new Coalescer(out);
        co.add(p, 0, p.length, false);
        assertTrue(out.packets.isEmpty());
        co.flush();
        assertArrayEquals(TestPackets.concat(new byte[] {2, 0, 0, 0, 0, 0, 0, 0, 0, 0}, p), out.packets.get(0));
        co.flush();
        assertEquals(1, out.packets.size(), "flush with nothing pending writes nothing");
    }

    @Test
    void nonTcpIsWrittenPlainUsingHeadroomWithoutCopy() throws Exception {
        Flow f = flow(true);
        byte[] u = TestPackets.udp(f, 0, new byte[50], 0, 50);
        byte[] buf = new byte[16 + u.length];
        Arrays.fill(buf, 0, 16, (byte) 0x55);
        System.arraycopy(u, 0, buf, 16, u.length);
        List<Object> seen = new ArrayList<>();
        Coalescer co = new Coalescer((b, off, len) -> {
            seen.add(b);
            seen.add(off);
            seen.add(Arrays.copyOfRange(b, off, off + len));
        });
        co.add(buf, 16, u.length, false);
        assertSame(buf, seen.get(0));
        assertEquals(6, seen.get(1));
        assertArrayEquals(TestPackets.concat(new byte[10], u), (byte[]) seen.get(2), "unverified: flags 0");
        seen.clear();
        co.add(u, 0, u.length, true);
        assertArrayEquals(TestPackets.concat(new byte[] {2, 0, 0, 0, 0, 0, 0, 0, 0, 0}, u), (byte[]) seen.get(2),
                "verified by the caller: DATA_VALID");
    }

    @Test
    void badChecksumIsNeitherMergedNorMarkedValid() throws Exception {
        Flow f = flow(false);
        byte[] payload = TestPackets.payload(3000, 12);
        List<byte[]> segs = TestPackets.tcpSegments(f, 1, ACK, 1, payload, 1000);
        segs.get(1)[60] ^= 1; // corrupt payload of the middle one
        Collector out = new Collector();
        Coalescer co = new Coalescer(out);
        addAll(co, segs);
        co.flush();
        assertEquals(3, out.packets.size());
        assertEquals(2, out.packets.get(0)[0], "first: alone, verified");
        assertArrayEquals(TestPackets.concat(new byte[10], segs.get(1)), out.packets.get(1), "corrupt: flags 0");
        assertEquals(2, out.packets.get(2)[0]);
    }

    @Test
    void breaksOnEverythingThatMayNotBeMerged() throws Exception {
        Flow f = flow(false);
        byte[] pl = TestPackets.payload(1000, 13);
        Flow other = flow(false);
        other.sport = 40001;
        Flow otherAck = flow(false);
        otherAck.ack = f.ack + 1;
        Flow otherWin = flow(false);
        otherWin.window = f.window + 1;
        Flow otherOpts = flow(false).timestamps(7, 9);
        Flow otherTtl = flow(false);
        otherTtl.ttl = 63;
        Flow noDf = flow(false);
        noDf.df = false;

        record Case(String name, byte[] second, int expectedWrites) {}
        List<Case> cases = List.of(
                new Case("other flow", TestPackets.tcp(other, 1001, ACK, 2, pl, 0, 1000), 2),
                new Case("sequence gap", TestPackets.tcp(f, 1002, ACK, 2, pl, 0, 1000), 2),
                new Case("other ack", TestPackets.tcp(otherAck, 1001, ACK, 2, pl, 0, 1000), 2),
                new Case("other window", TestPackets.tcp(otherWin, 1001, ACK, 2, pl, 0, 1000), 2),
                new Case("other options", TestPackets.tcp(otherOpts, 1001, ACK, 2, pl, 0, 1000), 2),
                new Case("other TTL", TestPackets.tcp(otherTtl, 1001, ACK, 2, pl, 0, 1000), 2),
                new Case("larger than the first", TestPackets.tcp(f, 1001, ACK, 2, TestPackets.payload(1001, 1), 0, 1001), 2),
                new Case("CWR after the first", TestPackets.tcp(f, 1001, ACK | CWR, 2, pl, 0, 1000), 2),
                new Case("ECE differs", TestPackets.tcp(f, 1001, ACK | ECE, 2, pl, 0, 1000), 2),
                new Case("FIN", TestPackets.tcp(f, 1001, ACK | FIN, 2, pl, 0, 1000), 2),
                new Case("SYN", TestPackets.tcp(f, 1001, SYN | ACK, 2, pl, 0, 1000), 2),
                new Case("pure ACK", TestPackets.tcp(f, 1001, ACK, 2, pl, 0, 0), 2),
                new Case("UDP", TestPackets.udp(f, 2, pl, 0, 1000), 2),
                new Case("control: mergeable", TestPackets.tcp(f, 1001, ACK, 2, pl, 0, 1000), 1));
        for (Case c : cases) {
            Collector out = new Collector();
            Coalescer co = new Coalescer(out);
            byte[] first = TestPackets.tcp(f, 1, ACK, 1, pl, 0, 1000);
            co.add(first, 0, first.length, false);
            co.add(c.second(), 0, c.second().length, false);
            co.flush();
            assertEquals(c.expectedWrites(), out.packets.size(), c.name());
            if (c.expectedWrites() == 2) {
                assertArrayEquals(first, Arrays.copyOfRange(out.packets.get(0), 10, out.packets.get(0).length), c.name());
                assertArrayEquals(c.second(), Arrays.copyOfRange(out.packets.get(1), 10, out.packets.get(1).length), c.name());
            }
        }
        // IPv4 IDs must increase by one unless DF is set
        Collector out = new Collector();
        Coalescer co = new Coalescer(out);
        for (byte[] p : List.of(TestPackets.tcp(noDf, 1, ACK, 1, pl, 0, 1000), TestPackets.tcp(noDf, 1001, ACK, 3, pl, 0, 1000))) {
            co.add(p, 0, p.length, false);
        }
        co.flush();
        assertEquals(2, out.packets.size(), "ID jump without DF");
        out.packets.clear();
        for (byte[] p : List.of(TestPackets.tcp(f, 1, ACK, 1, pl, 0, 1000), TestPackets.tcp(f, 1001, ACK, 77, pl, 0, 1000))) {
            co.add(p, 0, p.length, false);
        }
        co.flush();
        assertEquals(1, out.packets.size(), "with DF the ID does not matter");
    }

    @Test
    void nothingFollowsAShortSegmentAndBatchesStayUnder64KiB() throws Exception {
        Flow f = flow(false);
        // 60 segments of 1448: more than 65535 bytes, so two GSO packets
        byte[] payload = TestPackets.payload(60 * 1448, 14);
        List<byte[]> segs = TestPackets.tcpSegments(f, 100, ACK, 1, payload, 1448);
        Collector out = new Collector();
        Coalescer co = new Coalescer(out);
        addAll(co, segs);
        co.flush();
        assertEquals(2, out.packets.size());
        for (byte[] w : out.packets) {
            assertTrue(w.length - 10 <= 65535);
            assertEquals(VirtioNetHdr.GSO_TCPV4, w[1]);
        }
        assertSamePackets(segs, resegment(out.packets));

        // a short segment ends the batch even without PSH
        out.packets.clear();
        List<byte[]> mixed = new ArrayList<>(TestPackets.tcpSegments(f, 100, ACK, 1, Arrays.copyOf(payload, 2500), 1000));
        mixed.add(TestPackets.tcp(f, 2600, ACK, 4, payload, 0, 1000));
        addAll(co, mixed);
        co.flush();
        assertEquals(2, out.packets.size());
        assertEquals(VirtioNetHdr.GSO_TCPV4, out.packets.get(0)[1]);
        assertEquals(3 * 1000 + 20 + 32 - 500, out.packets.get(0).length - 10);
        assertEquals(0, out.packets.get(1)[1]);
        assertSamePackets(mixed, resegment(out.packets));
    }
}
