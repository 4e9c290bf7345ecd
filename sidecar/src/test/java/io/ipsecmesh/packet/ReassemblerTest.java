package io.ipsecmesh.packet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static io.ipsecmesh.packet.FragTestPackets.fragment;
import static io.ipsecmesh.packet.FragTestPackets.v4Fragment;
import static io.ipsecmesh.packet.FragTestPackets.v6Fragment;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReassemblerTest {
    static final long SEC = 1_000_000_000L;
    final byte[] out = new byte[PacketBuffer.HEADROOM + 65575];
    static final int OUT_OFF = PacketBuffer.HEADROOM;

    /** Offers fragments in the given order; returns the reassembled packet, checking that only the last completes. */
    byte[] feed(Reassembler r, List<byte[]> frags, long now) {
        byte[] result = null;
        for (int i = 0; i < frags.size(); i++) {
            byte[] f = frags.get(i);
            // each fragment sits at an odd offset in a larger buffer, with trailing junk
            byte[] in = new byte[f.length + 13];
            Arrays.fill(in, (byte) 0xee);
            System.arraycopy(f, 0, in, 3, f.length);
            int n = r.offer(in, 3, f.length + 10, now, out, OUT_OFF);
            if (i < frags.size() - 1) {
                assertEquals(Reassembler.NEED_MORE, n, "fragment " + i + ": " + Reassembler.describe(n));
            } else {
                assertTrue(n > 0, "last fragment: " + Reassembler.describe(n));
                result = Arrays.copyOfRange(out, OUT_OFF, OUT_OFF + n);
            }
        }
        return result;
    }

    static List<byte[]> packets(boolean v6, boolean extras) {
        if (v6) {
            return List.of(FragTestPackets.v6Udp(5000, 1), FragTestPackets.v6WithExtensions(5000, 2),
                    FragTestPackets.v6WithExtensions(65535 - 40 - 8 - 8, 3)); // largest payload length
        }
        byte[] options = Arrays.copyOf(FragmenterTest.OPTIONS, 16);
        return List.of(FragTestPackets.v4Udp(1, new byte[0], 5000, 1), FragTestPackets.v4Udp(2, options, 5000, 2),
                FragTestPackets.v4Udp(3, new byte[0], 65535 - 20 - 8, 3)); // largest IPv4 packet
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void roundTripInOrderReversedShuffledDuplicated(boolean v6) throws Exception {
        Reassembler r = new Reassembler();
        Random rnd = new Random(42);
        for (byte[] pkt : packets(v6, true)) {
            List<byte[]> frags = fragment(pkt, 1380);
            assertTrue(frags.size() >= 4);
            assertArrayEquals(pkt, feed(r, frags, 0), "in order");

            List<byte[]> rev = new ArrayList<>(frags);
            Collections.reverse(rev);
            assertArrayEquals(pkt, feed(r, rev, 0), "reversed");

            for (int k = 0; k < 5; k++) {
                List<byte[]> sh = new ArrayList<>(frags);
                Collections.shuffle(sh, rnd);
                assertArrayEquals(pkt, feed(r, sh, 0), "shuffled");
            }

            // a duplicate of a middle fragment is ignored, the datagram still completes
            List<byte[]> dup = new ArrayList<>(frags);
            byte[] d = frags.get(1);
            long dupsBefore = r.counter(Reassembler.DUPLICATE);
            assertEquals(Reassembler.NEED_MORE, r.offer(frags.get(0), 0, frags.get(0).length, 0, out, 0));
            assertEquals(Reassembler.NEED_MORE, r.offer(d, 0, d.length, 0, out, 0));
            assertEquals(Reassembler.DUPLICATE, r.offer(d, 0, d.length, 0, out, 0));
            assertEquals(dupsBefore + 1, r.counter(Reassembler.DUPLICATE));
            assertArrayEquals(pkt, feed(r, dup.subList(2, dup.size()), 0), "with a duplicate");
            assertEquals(0, r.pending());
            assertEquals(0, r.bufferedBytes());
        }
        assertEquals(3 * 8, r.reassembled());
    }

    @Test
    void reassembledHeaderIsValid() throws Exception {
        byte[] pkt = FragTestPackets.v4Udp(77, Arrays.copyOf(FragmenterTest.OPTIONS, 16), 3000, 4);
        byte[] got = feed(new Reassembler(), fragment(pkt, 576), 0);
        assertEquals(0, InetChecksum.checksum(got, 0, 36));
        PacketInfo info = new PacketInfo();
        assertEquals(ParseStatus.OK, IpPacket.parse(got, 0, got.length, info));
        assertEquals(false, info.fragment);
        assertEquals(4000, info.srcPort);
        assertEquals(5000, info.dstPort);
        // UDP checksum over the reassembled packet still verifies
        long sum = InetChecksum.pseudoHeaderSum(got, 0, IpProtocols.UDP, got.length - 36);
        assertEquals(0, InetChecksum.finish(InetChecksum.sum(got, 36, got.length - 36, sum)));
    }

    @Test
    void interleavedDatagramsAndKeyFields() throws Exception {
        // same id, different protocol: two datagrams (RFC 791 key includes the protocol)
        byte[] a = FragTestPackets.v4(IpProtocols.UDP, 5, new byte[0], FragTestPackets.udp(1, 2, FragTestPackets.payload(3000, 5)));
        byte[] b = FragTestPackets.v4(IpProtocols.TCP, 5, new byte[0], FragTestPackets.payload(3000, 6));
        byte[] c6 = FragTestPackets.v6Udp(3000, 7);
        List<byte[]> fa = fragment(a, 1000);
        List<byte[]> fb = fragment(b, 1000);
        List<byte[]> fc = new ArrayList<>();
        new Fragmenter(0, 0, 5).fragment(c6, 0, c6.length, 1280, (buf, off, len) -> fc.add(Arrays.copyOfRange(buf, off, off + len)));
        Reassembler r = new Reassembler();
        int done = 0;
        for (int i = 0; i < Math.max(fa.size(), Math.max(fb.size(), fc.size())); i++) {
            for (List<byte[]> l : List.of(fa, fb, fc)) {
                if (i < l.size()) {
                    byte[] f = l.get(i);
                    int n = r.offer(f, 0, f.length, 0, out, 0);
                    if (n > 0) {
                        byte[] got = Arrays.copyOf(out, n);
                        assertTrue(Arrays.equals(got, a) || Arrays.equals(got, b) || Arrays.equals(got, c6));
                        done++;
                    } else {
                        assertEquals(Reassembler.NEED_MORE, n);
                    }
                }
            }
        }
        assertEquals(3, done);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void overlapDropsTheWholeDatagram(boolean v6) {
        Reassembler r = new Reassembler();
        byte[] data = FragTestPackets.payload(64, 8);
        List<byte[]> parts = v6
                ? List.of(v6Fragment(1, 17, 0, true, Arrays.copyOf(data, 32)),
                v6Fragment(1, 17, 24, true, Arrays.copyOfRange(data, 24, 40)),
                v6Fragment(1, 17, 32, false, Arrays.copyOfRange(data, 32, 64)))
                : List.of(v4Fragment(1, 17, 0, true, Arrays.copyOf(data, 32)),
                v4Fragment(1, 17, 24, true, Arrays.copyOfRange(data, 24, 40)),
                v4Fragment(1, 17, 32, false, Arrays.copyOfRange(data, 32, 64)));
        assertEquals(Reassembler.NEED_MORE, offer(r, parts.get(0)));
        assertEquals(Reassembler.OVERLAP, offer(r, parts.get(1)));
        assertEquals(0, r.pending());
        // the rest of the datagram does not complete it: it starts afresh
        assertEquals(Reassembler.NEED_MORE, offer(r, parts.get(2)));
        assertEquals(1, r.counter(Reassembler.OVERLAP));
    }

    @Test
    void overlapCases() {
        byte[] d = FragTestPackets.payload(64, 9);
        // new fragment entirely inside an old one; old inside new; touching is fine
        int[][] cases = {{0, 32, 8, 16}, {8, 16, 0, 32}, {16, 32, 8, 24}, {0, 16, 8, 24}, {8, 16, 8, 24}};
        for (int[] c : cases) {
            Reassembler r = new Reassembler();
            assertEquals(Reassembler.NEED_MORE, offer(r, v4Fragment(2, 17, c[0], true, Arrays.copyOfRange(d, c[0], c[1]))));
            assertEquals(Reassembler.OVERLAP, offer(r, v4Fragment(2, 17, c[2], true, Arrays.copyOfRange(d, c[2], c[3]))),
                    Arrays.toString(c));
        }
        Reassembler r = new Reassembler();
        // touching ranges, on either side, are not overlaps
        assertEquals(Reassembler.NEED_MORE, offer(r, v4Fragment(2, 17, 16, true, Arrays.copyOfRange(d, 16, 32))));
        assertEquals(Reassembler.NEED_MORE, offer(r, v4Fragment(2, 17, 0, true, Arrays.copyOfRange(d, 0, 16))));
        assertEquals(Reassembler.NEED_MORE, offer(r, v4Fragment(2, 17, 40, true, Arrays.copyOfRange(d, 40, 48))));
        assertEquals(Reassembler.NEED_MORE, offer(r, v4Fragment(2, 17, 32, true, Arrays.copyOfRange(d, 32, 40))));
        // same offset and length but different bytes: an overlap, not a duplicate
        byte[] other = Arrays.copyOfRange(d, 16, 32);
        other[3] ^= 1;
        assertEquals(Reassembler.OVERLAP, offer(r, v4Fragment(2, 17, 16, true, other)));
    }

    @Test
    void inconsistentEndsDropTheDatagram() {
        byte[] d = FragTestPackets.payload(64, 10);
        Reassembler r = new Reassembler();
        // data past the end set by the last fragment
        assertEquals(Reassembler.NEED_MORE, offer(r, v6Fragment(3, 17, 16, false, Arrays.copyOfRange(d, 16, 32))));
        assertEquals(Reassembler.MALFORMED, offer(r, v6Fragment(3, 17, 32, true, Arrays.copyOfRange(d, 32, 40))));
        assertEquals(0, r.pending());
        // a last fragment that ends before data already held
        assertEquals(Reassembler.NEED_MORE, offer(r, v6Fragment(4, 17, 16, true, Arrays.copyOfRange(d, 16, 32))));
        assertEquals(Reassembler.MALFORMED, offer(r, v6Fragment(4, 17, 8, false, Arrays.copyOfRange(d, 8, 16))));
        assertEquals(0, r.pending());
        // a second, different end
        assertEquals(Reassembler.NEED_MORE, offer(r, v4Fragment(5, 17, 8, false, Arrays.copyOfRange(d, 8, 16))));
        assertEquals(Reassembler.MALFORMED, offer(r, v4Fragment(5, 17, 16, false, Arrays.copyOfRange(d, 16, 24))));
        assertEquals(0, r.pending());
        assertEquals(3, r.counter(Reassembler.MALFORMED));
        // a last fragment ending after the data held is fine
        assertEquals(Reassembler.NEED_MORE, offer(r, v4Fragment(6, 17, 8, true, Arrays.copyOfRange(d, 8, 16))));
        assertEquals(Reassembler.NEED_MORE, offer(r, v4Fragment(6, 17, 16, false, Arrays.copyOfRange(d, 16, 17))));
        assertEquals(37, offer(r, v4Fragment(6, 17, 0, true, Arrays.copyOfRange(d, 0, 8))));
        assertArrayEquals(Arrays.copyOf(d, 17), Arrays.copyOfRange(out, 20, 37));
    }

    @Test
    void timeoutEviction() {
        Reassembler r = new Reassembler();
        byte[] d = FragTestPackets.payload(32, 11);
        long t0 = 123 * SEC;
        assertEquals(Reassembler.NEED_MORE, r.offer(v4Fragment(4, 17, 0, true, Arrays.copyOf(d, 16)), 0, 36, t0, out, 0));
        assertEquals(Reassembler.NEED_MORE, r.offer(v4Fragment(5, 17, 0, true, Arrays.copyOf(d, 16)), 0, 36, t0 + 10 * SEC, out, 0));
        assertEquals(0, r.expire(t0 + 29 * SEC));
        assertEquals(1, r.expire(t0 + 30 * SEC));
        assertEquals(1, r.pending());
        assertEquals(1, r.counter(Reassembler.TIMED_OUT));
        // a late fragment of a timed-out datagram that expire() has not seen starts afresh
        byte[] last = v4Fragment(5, 17, 16, false, Arrays.copyOfRange(d, 16, 32));
        assertEquals(Reassembler.NEED_MORE, r.offer(last, 0, last.length, t0 + 41 * SEC, out, 0));
        assertEquals(2, r.counter(Reassembler.TIMED_OUT));
        assertEquals(1, r.pending());
        assertEquals(16, r.bufferedBytes());
        // within the timeout it completes
        byte[] first = v4Fragment(5, 17, 0, true, Arrays.copyOf(d, 16));
        assertEquals(52, r.offer(first, 0, first.length, t0 + 70 * SEC, out, 0));
        // nanoTime may be negative or wrap: only differences count
        Reassembler w = new Reassembler();
        assertEquals(Reassembler.NEED_MORE, w.offer(v4Fragment(4, 17, 0, true, Arrays.copyOf(d, 16)), 0, 36, Long.MAX_VALUE - SEC, out, 0));
        assertEquals(0, w.expire(Long.MIN_VALUE + SEC));
        assertEquals(1, w.expire(Long.MIN_VALUE + 30 * SEC));
    }

    @Test
    void datagramCapEvictsTheOldest() throws Exception {
        Reassembler r = new Reassembler(2, 64, 1 << 20, 30 * SEC);
        List<List<byte[]>> dgs = new ArrayList<>();
        List<byte[]> pkts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            byte[] p = FragTestPackets.v4Udp(100 + i, new byte[0], 2000, i);
            pkts.add(p);
            dgs.add(fragment(p, 1000));
        }
        for (int i = 0; i < 3; i++) {
            byte[] f = dgs.get(i).get(0);
            assertEquals(Reassembler.NEED_MORE, r.offer(f, 0, f.length, i * SEC, out, 0));
        }
        assertEquals(2, r.pending());
        assertEquals(1, r.counter(Reassembler.EVICTED));
        // datagram 0 was evicted: its remaining fragments do not complete it
        for (byte[] f : dgs.get(0).subList(1, dgs.get(0).size())) {
            int n = r.offer(f, 0, f.length, 5 * SEC, out, 0);
            assertEquals(Reassembler.NEED_MORE, n);
        }
        // datagram 1 was evicted by datagram 0's new entry; datagram 2 survives
        List<byte[]> rest2 = dgs.get(2).subList(1, dgs.get(2).size());
        int n = 0;
        for (byte[] f : rest2) {
            n = r.offer(f, 0, f.length, 6 * SEC, out, 0);
        }
        assertArrayEquals(pkts.get(2), Arrays.copyOf(out, n));
        assertEquals(2, r.counter(Reassembler.EVICTED));
    }

    @Test
    void byteCapEvictsTheOldestAndRefusesWhatCannotFit() throws Exception {
        Reassembler r = new Reassembler(64, 64, 2500, 30 * SEC);
        byte[] a = FragTestPackets.v4Udp(1, new byte[0], 2000, 1);
        byte[] b = FragTestPackets.v4Udp(2, new byte[0], 2000, 2);
        List<byte[]> fa = fragment(a, 1000); // 20 + 976, 976, 76 bytes held
        List<byte[]> fb = fragment(b, 1000);
        assertEquals(Reassembler.NEED_MORE, offer(r, fa.get(0)));
        assertEquals(Reassembler.NEED_MORE, offer(r, fa.get(1)));
        assertEquals(1972, r.bufferedBytes());
        assertEquals(Reassembler.NEED_MORE, offer(r, fb.get(0)));
        assertEquals(1, r.pending(), "a evicted to make room for b");
        assertEquals(1, r.counter(Reassembler.EVICTED));
        assertEquals(996, r.bufferedBytes());
        offer(r, fb.get(1));
        int n = offer(r, fb.get(2));
        assertArrayEquals(b, Arrays.copyOf(out, n));
        assertEquals(0, r.bufferedBytes());
        // a datagram bigger than the whole cap is refused when it outgrows it
        byte[] big = FragTestPackets.v4Udp(3, new byte[0], 5000, 3);
        List<byte[]> fbig = fragment(big, 1000);
        assertEquals(6, fbig.size());
        int[] codes = new int[6];
        for (int i = 0; i < 6; i++) {
            codes[i] = offer(r, fbig.get(i));
        }
        // 996, 1972, 2948 > 2500: dropped; then a new entry 976, 1952, 2080
        assertArrayEquals(new int[]{0, 0, Reassembler.EVICTED, 0, 0, 0}, codes);
        assertEquals(1, r.pending());
        assertEquals(2080, r.bufferedBytes());
        assertEquals(2, r.counter(Reassembler.EVICTED));
    }

    @Test
    void tooManyFragments() throws Exception {
        Reassembler r = new Reassembler(64, 4, 1 << 20, 30 * SEC);
        byte[] pkt = FragTestPackets.v6Udp(1000, 12);
        List<byte[]> frags = fragment(pkt, 300); // 4 full fragments and a fifth
        assertEquals(5, frags.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(Reassembler.NEED_MORE, offer(r, frags.get(i)));
        }
        assertEquals(Reassembler.TOO_MANY_FRAGMENTS, offer(r, frags.get(4)));
        assertEquals(0, r.pending());
        assertEquals(1, r.counter(Reassembler.TOO_MANY_FRAGMENTS));
        byte[] four = FragTestPackets.v6Udp(800, 12);
        assertArrayEquals(four, feed(r, fragment(four, 300), 0), "exactly the limit is fine");
    }

    @Test
    void malformedFragments() {
        Reassembler r = new Reassembler();
        byte[] d = FragTestPackets.payload(64, 13);
        // offset + length beyond 65535 (IPv4: 20 + 65528 + 8 > 65535)
        assertEquals(Reassembler.TOO_BIG, offer(r, v4Fragment(6, 17, 65528, false, Arrays.copyOf(d, 8))));
        assertEquals(Reassembler.NEED_MORE, offer(r, v4Fragment(6, 17, 65504, false, Arrays.copyOf(d, 8))), "fits");
        // IPv6: payload length 65528 + 8 > 65535
        assertEquals(Reassembler.TOO_BIG, offer(r, v6Fragment(6, 17, 65528, false, Arrays.copyOf(d, 8))));
        assertEquals(Reassembler.NEED_MORE, offer(r, v6Fragment(6, 17, 65520, false, Arrays.copyOf(d, 15))), "fits");
        // MF with a length that is not a multiple of 8
        assertEquals(Reassembler.MALFORMED, offer(r, v4Fragment(7, 17, 0, true, Arrays.copyOf(d, 12))));
        assertEquals(Reassembler.MALFORMED, offer(r, v6Fragment(7, 17, 0, true, Arrays.copyOf(d, 12))));
        // zero length
        assertEquals(Reassembler.MALFORMED, offer(r, v4Fragment(8, 17, 8, true, new byte[0])));
        assertEquals(Reassembler.MALFORMED, offer(r, v6Fragment(8, 17, 8, false, new byte[0])));
        assertEquals(4, r.counter(Reassembler.MALFORMED));
        assertEquals(2, r.counter(Reassembler.TOO_BIG));
        assertEquals(2, r.pending(), "only the two valid fragments are held");
        // truncated or nonsense headers
        byte[] f = v4Fragment(9, 17, 0, true, Arrays.copyOf(d, 16));
        assertEquals(Reassembler.MALFORMED, r.offer(f, 0, f.length - 1, 0, out, 0));
        assertEquals(Reassembler.MALFORMED, r.offer(f, 0, 19, 0, out, 0));
        assertEquals(Reassembler.MALFORMED, r.offer(f, 0, 0, 0, out, 0));
        assertEquals(Reassembler.MALFORMED, r.offer(f, 30, 20, 0, out, 0));
        f[0] = 0x44;
        assertEquals(Reassembler.MALFORMED, r.offer(f, 0, f.length, 0, out, 0));
        byte[] g = v6Fragment(9, 17, 0, true, Arrays.copyOf(d, 16));
        Bytes.put16(g, 4, 7); // Fragment header cut short
        assertEquals(Reassembler.MALFORMED, r.offer(g, 0, g.length, 0, out, 0));
    }

    @Test
    void firstIpv6FragmentMustHoldTheHeaderChain() {
        Reassembler r = new Reassembler();
        // Fragment header -> Destination Options claiming 24 bytes, but the fragment holds 16
        byte[] data = new byte[16];
        data[0] = (byte) IpProtocols.UDP;
        data[1] = 2;
        assertEquals(Reassembler.MALFORMED, offer(r, v6Fragment(10, IpProtocols.DEST_OPTIONS, 0, true, data)));
        data[1] = 1;
        assertEquals(Reassembler.NEED_MORE, offer(r, v6Fragment(10, IpProtocols.DEST_OPTIONS, 0, true, data)));
        // a nested Fragment header is refused
        assertEquals(Reassembler.MALFORMED, offer(r, v6Fragment(11, IpProtocols.FRAGMENT, 0, true, new byte[16])));
        // a non-first fragment is not checked
        assertEquals(Reassembler.NEED_MORE, offer(r, v6Fragment(12, IpProtocols.DEST_OPTIONS, 8, true, new byte[16])));
    }

    @Test
    void nonFragmentsAndAtomicFragmentsPassThrough() {
        Reassembler r = new Reassembler();
        byte[] v4 = FragTestPackets.v4Udp(1, new byte[0], 100, 14);
        assertEquals(v4.length, offer(r, v4));
        assertArrayEquals(v4, Arrays.copyOf(out, v4.length));
        byte[] v6 = FragTestPackets.v6Udp(100, 14);
        assertEquals(v6.length, offer(r, v6));
        // atomic fragment (RFC 6946): offset 0, M clear
        byte[] atomic = v6Fragment(13, IpProtocols.UDP, 0, false, Arrays.copyOfRange(v6, 40, v6.length));
        assertEquals(v6.length, offer(r, atomic));
        assertArrayEquals(v6, Arrays.copyOf(out, v6.length));
        assertEquals(0, r.pending());
    }

    @Test
    void ecnCongestionExperiencedSurvivesAndNotEctMixIsDropped() throws Exception {
        byte[] pkt = FragTestPackets.v4Udp(20, new byte[0], 3000, 15);
        pkt[1] = 2; // ECT(0)
        IpPacket.updateHeaderChecksum(pkt, 0);
        List<byte[]> frags = fragment(pkt, 1000);
        frags.get(1)[1] = 3; // CE on a middle fragment
        IpPacket.updateHeaderChecksum(frags.get(1), 0);
        byte[] got = feed(new Reassembler(), frags, 0);
        assertEquals(3, got[1] & 3);
        assertEquals(0, InetChecksum.checksum(got, 0, 20));
        frags.get(1)[1] = 0; // Not-ECT mixed with ECT
        IpPacket.updateHeaderChecksum(frags.get(1), 0);
        Reassembler r = new Reassembler();
        int n = 0;
        for (byte[] f : frags) {
            n = offer(r, f);
        }
        assertEquals(Reassembler.MALFORMED, n);

        byte[] v6 = FragTestPackets.v6Udp(3000, 15);
        v6[1] = 0x10; // ECT(1)
        List<byte[]> f6 = fragment(v6, 1280);
        f6.get(2)[1] = 0x30; // CE on the last fragment
        byte[] got6 = feed(new Reassembler(), f6, 0);
        assertEquals(0x30, got6[1] & 0x30);
        got6[1] = 0x10;
        assertArrayEquals(v6, got6);
    }

    @Test
    void outputRoomIsChecked() throws Exception {
        byte[] pkt = FragTestPackets.v4Udp(21, new byte[0], 3000, 16);
        Reassembler r = new Reassembler();
        byte[] small = new byte[2000];
        int n = 0;
        for (byte[] f : fragment(pkt, 1000)) {
            n = r.offer(f, 0, f.length, 0, small, 0);
        }
        assertEquals(Reassembler.TOO_BIG, n);
        assertEquals(0, r.pending());
    }

    @Test
    void randomGarbageNeverThrows() throws Exception {
        Reassembler r = new Reassembler(8, 8, 1 << 16, 30 * SEC);
        Random rnd = new Random(7);
        byte[] base4 = fragment(FragTestPackets.v4Udp(1, new byte[0], 3000, 1), 1000).get(1);
        byte[] base6 = fragment(FragTestPackets.v6WithExtensions(3000, 1), 1280).get(0);
        for (int i = 0; i < 200_000; i++) {
            byte[] p = (i & 1) == 0 ? base4.clone() : base6.clone();
            int flips = 1 + rnd.nextInt(4);
            for (int k = 0; k < flips; k++) {
                p[rnd.nextInt(Math.min(p.length, 96))] = (byte) rnd.nextInt();
            }
            int len = rnd.nextInt(8) == 0 ? rnd.nextInt(p.length + 1) : p.length;
            int n = r.offer(p, 0, len, i * 1000L, out, 0);
            assertTrue(n >= Reassembler.EVICTED && n <= 65575, "code " + n);
        }
        assertTrue(r.pending() <= 8);
        assertTrue(r.bufferedBytes() <= 1 << 16);
        r.clear();
        assertEquals(0, r.bufferedBytes());
    }

    private int offer(Reassembler r, byte[] f) {
        return r.offer(f, 0, f.length, 0, out, 0);
    }
}
