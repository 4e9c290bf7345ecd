package io.ipsecmesh.packet;

import io.ipsecmesh.packet.FragTestPackets.Collector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;

import static io.ipsecmesh.packet.Bytes.u16;
import static io.ipsecmesh.packet.Bytes.u32;
import static io.ipsecmesh.packet.FragTestPackets.fragment;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FragmenterTest {

    /** Record Route (type 7, not copied) then a copied option (type 0x88: Stream ID, 4 bytes), then NOP padding. */
    static final byte[] OPTIONS = {
            7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, // Record Route, room for 2 addresses, not copied
            (byte) 0x88, 4, 0x12, 0x34,         // Stream Identifier, copied
            1                                    // NOP
    };

    @Test
    void v4FragmentsAreValidAndCoverThePayload() throws Exception {
        byte[] pkt = FragTestPackets.v4Udp(0x4242, new byte[0], 2000, 1);
        List<byte[]> frags = fragment(pkt, 1380);
        assertEquals(2, frags.size());
        int expectedOff = 0;
        byte[] rebuilt = new byte[pkt.length - 20];
        for (int i = 0; i < frags.size(); i++) {
            byte[] f = frags.get(i);
            assertTrue(f.length <= 1380);
            PacketInfo info = new PacketInfo();
            assertEquals(ParseStatus.OK, IpPacket.parse(f, 0, f.length, info));
            assertTrue(info.fragment);
            assertEquals(0, InetChecksum.checksum(f, 0, 20), "header checksum");
            assertEquals(f.length, u16(f, 2));
            assertEquals(0x4242, u16(f, 4));
            int flags = u16(f, 6);
            boolean last = i == frags.size() - 1;
            assertEquals(!last, (flags & 0x2000) != 0, "MF");
            assertEquals(0, flags & 0x4000, "DF");
            assertEquals(expectedOff, (flags & 0x1fff) * 8);
            int dataLen = f.length - 20;
            if (!last) {
                assertEquals(0, dataLen % 8);
            }
            System.arraycopy(f, 20, rebuilt, expectedOff, dataLen);
            expectedOff += dataLen;
            // everything but length, flags/offset and checksum is the original header
            for (int b : new int[]{0, 1, 4, 5, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19}) {
                assertEquals(pkt[b], f[b], "header byte " + b);
            }
        }
        assertEquals(1380 - 20 - (1380 - 20) % 8, frags.get(0).length - 20, "first fragment as full as possible");
        assertArrayEquals(Arrays.copyOfRange(pkt, 20, pkt.length), rebuilt);
    }

    @Test
    void v4OptionsCopiedOnlyWhereTheCopyFlagSaysSo() throws Exception {
        byte[] options = Arrays.copyOf(OPTIONS, 16); // padded with End of Option List
        byte[] pkt = FragTestPackets.v4Udp(7, options, 3000, 2);
        List<byte[]> frags = fragment(pkt, 1000);
        assertEquals(4, frags.size());
        byte[] first = frags.get(0);
        assertEquals(0x49, first[0] & 0xff, "first fragment keeps all options");
        assertArrayEquals(options, Arrays.copyOfRange(first, 20, 36));
        for (byte[] f : frags.subList(1, frags.size())) {
            assertEquals(0x46, f[0] & 0xff, "later fragments: 20 + 4 bytes of copied options");
            assertArrayEquals(new byte[]{(byte) 0x88, 4, 0x12, 0x34}, Arrays.copyOfRange(f, 20, 24));
            assertEquals(0, InetChecksum.checksum(f, 0, 24));
            assertTrue(f.length <= 1000);
        }
        // data is in 8-byte units and contiguous
        int off = 0;
        for (byte[] f : frags) {
            int ihl = (f[0] & 0xf) * 4;
            assertEquals(off, (u16(f, 6) & 0x1fff) * 8);
            off += f.length - ihl;
        }
        assertEquals(pkt.length - 36, off);
    }

    @Test
    void v4DontFragmentRefused() throws Exception {
        byte[] pkt = FragTestPackets.v4Udp(1, new byte[0], 2000, 3);
        pkt[6] |= 0x40;
        IpPacket.updateHeaderChecksum(pkt, 0);
        Collector c = new Collector();
        assertEquals(Fragmenter.DONT_FRAGMENT, new Fragmenter().fragment(pkt, 0, pkt.length, 1380, c));
        assertEquals(0, c.packets.size());
        // ...but a DF packet that fits passes unchanged
        assertEquals(1, new Fragmenter().fragment(pkt, 0, pkt.length, 2100, c));
        assertArrayEquals(pkt, c.packets.get(0));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void smallPacketPassesUnchanged(boolean v6) throws Exception {
        byte[] pkt = v6 ? FragTestPackets.v6Udp(100, 4) : FragTestPackets.v4Udp(1, new byte[0], 100, 4);
        byte[] padded = Arrays.copyOf(pkt, pkt.length + 10); // trailing bytes beyond the IP length are ignored
        Collector c = new Collector();
        assertEquals(1, new Fragmenter().fragment(padded, 0, padded.length, pkt.length, c));
        assertArrayEquals(pkt, c.packets.get(0));
    }

    @Test
    void v4RefragmentingAFragmentKeepsOffsetsAndMf() throws Exception {
        byte[] pkt = FragTestPackets.v4Udp(9, new byte[0], 4000, 5);
        List<byte[]> big = fragment(pkt, 2000);
        assertEquals(3, big.size());
        List<byte[]> small = fragment(big.get(1), 600); // middle fragment: MF stays set at the end
        int expected = (u16(big.get(1), 6) & 0x1fff) * 8;
        for (byte[] f : small) {
            assertEquals(expected, (u16(f, 6) & 0x1fff) * 8);
            assertTrue((u16(f, 6) & 0x2000) != 0, "MF on every piece of a middle fragment");
            expected += f.length - 20;
        }
        assertEquals((u16(big.get(2), 6) & 0x1fff) * 8, expected);
        Reassembler r = new Reassembler();
        byte[] out = new byte[70000];
        int n = 0;
        for (byte[] f : List.of(big.get(0), small.get(0), small.get(1), small.get(2), small.get(3), big.get(2))) {
            n = r.offer(f, 0, f.length, 0, out, 0);
        }
        assertArrayEquals(pkt, Arrays.copyOf(out, n));
    }

    @Test
    void v6FragmentHeaderGoesAfterRoutingHeader() throws Exception {
        byte[] pkt = FragTestPackets.v6WithExtensions(3000, 6);
        PacketInfo orig = new PacketInfo();
        assertEquals(ParseStatus.OK, IpPacket.parse(pkt, 0, pkt.length, orig));
        int unfrag = orig.insertOff; // 40 + HBH 8 + Dest 16 + Routing 8
        assertEquals(72, unfrag);
        List<byte[]> frags = fragment(pkt, 1280);
        assertEquals(3, frags.size());
        int off = 0;
        for (int i = 0; i < frags.size(); i++) {
            byte[] f = frags.get(i);
            assertTrue(f.length <= 1280);
            assertEquals(f.length - 40, u16(f, 4), "payload length");
            assertArrayEquals(Arrays.copyOfRange(pkt, 0, 4), Arrays.copyOfRange(f, 0, 4));
            assertArrayEquals(Arrays.copyOfRange(pkt, 6, 64), Arrays.copyOfRange(f, 6, 64), "per-fragment headers");
            assertEquals(IpProtocols.FRAGMENT, f[64] & 0xff, "Routing header now names the Fragment header");
            assertArrayEquals(Arrays.copyOfRange(pkt, 65, 72), Arrays.copyOfRange(f, 65, 72));
            assertEquals(IpProtocols.DEST_OPTIONS, f[72] & 0xff, "Fragment header names what Routing named");
            assertEquals(0, f[73]);
            int field = u16(f, 74);
            assertEquals(off, field & 0xfff8);
            assertEquals(i < frags.size() - 1, (field & 1) != 0, "M flag");
            assertEquals(0x12345678L, u32(f, 76));
            int dataLen = f.length - 80;
            if (i < frags.size() - 1) {
                assertEquals(0, dataLen % 8);
                assertEquals((1280 - 80) & ~7, dataLen);
            }
            assertArrayEquals(Arrays.copyOfRange(pkt, 72 + off, 72 + off + dataLen), Arrays.copyOfRange(f, 80, f.length));
            off += dataLen;
            if (i == 0) {
                // (IpPacket.parse walks past the Fragment header, so on later fragments it would
                // read fragment data as a Destination Options header)
                PacketInfo info = new PacketInfo();
                assertEquals(ParseStatus.OK, IpPacket.parse(f, 0, f.length, info));
                assertTrue(info.fragment);
                assertEquals(IpProtocols.UDP, info.upperProtocol);
            }
        }
        assertEquals(pkt.length - 72, off);
    }

    @Test
    void v6IdentificationCountsUpPerDatagram() throws Exception {
        Fragmenter fr = new Fragmenter(0, 0, -1);
        byte[] pkt = FragTestPackets.v6Udp(2000, 7);
        Collector c = new Collector();
        fr.fragment(pkt, 0, pkt.length, 1280, c);
        fr.fragment(pkt, 0, pkt.length, 1280, c);
        assertEquals(4, c.packets.size());
        assertEquals(0xffffffffL, u32(c.packets.get(0), 44));
        assertEquals(0xffffffffL, u32(c.packets.get(1), 44));
        assertEquals(0L, u32(c.packets.get(2), 44));
    }

    @Test
    void headroomIsHonoured() throws Exception {
        Fragmenter fr = new Fragmenter(100, 50, 0);
        byte[] pkt = FragTestPackets.v4Udp(1, new byte[0], 3000, 8);
        fr.fragment(pkt, 0, pkt.length, 1500, (buf, off, len) -> {
            assertEquals(100, off);
            assertTrue(buf.length - off - len >= 50);
        });
    }

    @Test
    void refusals() throws Exception {
        Collector c = new Collector();
        Fragmenter fr = new Fragmenter();
        byte[] v4 = FragTestPackets.v4Udp(1, new byte[0], 200, 9);
        assertEquals(Fragmenter.MTU_TOO_SMALL, fr.fragment(v4, 0, v4.length, 27, c));
        assertEquals(5, fr.fragment(v4, 0, v4.length, 68, c)); // 208 data bytes in 48-byte pieces
        int before = c.packets.size();
        byte[] v6 = FragTestPackets.v6Udp(2000, 9);
        assertEquals(Fragmenter.MTU_TOO_SMALL, fr.fragment(v6, 0, v6.length, 40 + 8 + 7, c));
        // already a fragment
        byte[] frag = fragment(v6, 1280).get(0);
        assertEquals(Fragmenter.MALFORMED, fr.fragment(frag, 0, frag.length, 600, c));
        // malformed IPv4 options: length running past the header
        byte[] bad = FragTestPackets.v4Udp(1, new byte[]{7, 9, 4, 0}, 2000, 9);
        assertEquals(Fragmenter.MALFORMED, fr.fragment(bad, 0, bad.length, 1000, c));
        // truncated, bad version, bad lengths
        assertEquals(Fragmenter.MALFORMED, fr.fragment(v4, 0, 10, 100, c));
        assertEquals(Fragmenter.MALFORMED, fr.fragment(v4, 0, v4.length - 1, 100, c));
        byte[] v5 = v4.clone();
        v5[0] = 0x55;
        assertEquals(Fragmenter.MALFORMED, fr.fragment(v5, 0, v5.length, 100, c));
        assertEquals(Fragmenter.MALFORMED, fr.fragment(new byte[0], 0, 0, 100, c));
        assertEquals(before, c.packets.size(), "nothing emitted on refusal");
    }

    @Test
    void minimumIpv4MtuOf68Works() throws Exception {
        byte[] options = new byte[40];
        options[0] = (byte) 0x88; // copied option filling the header to 60 bytes
        options[1] = 40;
        byte[] pkt = FragTestPackets.v4Udp(3, options, 300, 10);
        List<byte[]> frags = fragment(pkt, 68);
        for (byte[] f : frags) {
            assertTrue(f.length <= 68);
            assertEquals(60, (f[0] & 0xf) * 4);
        }
        Reassembler r = new Reassembler();
        byte[] out = new byte[70000];
        int n = 0;
        for (byte[] f : frags) {
            n = r.offer(f, 0, f.length, 0, out, 0);
        }
        assertArrayEquals(pkt, Arrays.copyOf(out, n));
    }
}
