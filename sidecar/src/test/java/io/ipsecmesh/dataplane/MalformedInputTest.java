package io.ipsecmesh.dataplane;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.EspCipher;
import io.ipsecmesh.crypto.EspCiphers;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.packet.Bytes;
import io.ipsecmesh.packet.IpPacket;
import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.sa.Direction;
import io.ipsecmesh.sa.DropReason;
import io.ipsecmesh.sa.Lifetime;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.Policy;
import io.ipsecmesh.sa.PolicyAction;
import io.ipsecmesh.sa.Prefix;
import io.ipsecmesh.sa.SaConfig;
import io.ipsecmesh.sa.SecurityProtocol;
import io.ipsecmesh.sa.TrafficSelector;
import io.ipsecmesh.sa.WorkerContext;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * Hostile and broken input: each case is dropped with the right reason and counted, no
 * exception escapes, and the SA's state (replay window) does not move.
 */
class MalformedInputTest {
    static final String A = "198.18.1.2";
    static final String B = "198.18.2.2";
    static final byte[] KEY = Bytes.fromHex("0102030405060708090a0b0c0d0e0f1011121314");
    static final int SPI = 0x1001;

    final UserspaceDataPlane rx = new UserspaceDataPlane(1, new Random(3));
    final WorkerContext w = new WorkerContext(0);

    MalformedInputTest() {
        TrafficSelector ab = TrafficSelector.between(Prefix.parse(A), Prefix.parse(B));
        for (Mode m : Mode.values()) {
            int spi = m == Mode.TRANSPORT ? SPI : SPI + 1;
            String src = m == Mode.TRANSPORT ? A : "198.19.0.1";
            String dst = m == Mode.TRANSPORT ? B : "198.19.0.2";
            rx.installSa(new SaConfig("in-" + m, Direction.IN, SecurityProtocol.ESP, spi, m, Prefix.parseAddress(src),
                    Prefix.parseAddress(dst), EncryptionAlgorithm.AES_GCM_16_128, KEY.clone(), IntegrityAlgorithm.NONE, null,
                    false, 64, null, 0, Lifetime.UNLIMITED, List.of(ab), false));
        }
        rx.installSa(new SaConfig("ah-in", Direction.IN, SecurityProtocol.AH, 0x3003, Mode.TRANSPORT, Prefix.parseAddress(A),
                Prefix.parseAddress(B), null, null, IntegrityAlgorithm.HMAC_SHA2_256_128, new byte[32], false, 64, null, 0,
                Lifetime.UNLIMITED, List.of(ab), false));
        rx.installPolicy(new Policy(Direction.IN, ab, PolicyAction.PROTECT, "in-TRANSPORT", 10));
    }

    /**
     * Builds an ESP packet (IPv4, from A to B, or node to node in tunnel mode) whose plaintext
     * (payload + padding + pad length + next header) is given as is, sealed with the SA's key,
     * so that the ICV is good and only the content is wrong.
     */
    static byte[] esp(int spi, long seq, byte[] plaintext, boolean tunnel) {
        EspCipher c = EspCiphers.create(EncryptionAlgorithm.AES_GCM_16_128, KEY.clone(), IntegrityAlgorithm.NONE, null, new Random(1));
        int espLen = 8 + c.ivLength() + plaintext.length + c.icvLength();
        byte[] p = new byte[20 + espLen];
        byte[] src = Prefix.parseAddress(tunnel ? "198.19.0.1" : A).getAddress();
        byte[] dst = Prefix.parseAddress(tunnel ? "198.19.0.2" : B).getAddress();
        io.ipsecmesh.packet.IpHeaders.writeIpv4(p, 0, src, dst, 50, p.length, 0, 1, true);
        Bytes.put32(p, 20, spi);
        Bytes.put32(p, 24, (int) seq);
        System.arraycopy(plaintext, 0, p, 20 + 8 + c.ivLength(), plaintext.length);
        c.seal(p, 20, plaintext.length, seq, false);
        return p;
    }

    /** Valid transport-mode plaintext: a UDP datagram A->B, padding 1..n, pad length, next header 17. */
    static byte[] transportPlaintext(int nextHeader, byte[] padding) {
        byte[] udp = Arrays.copyOfRange(TestPackets.udp(A, B, 1000, 2000, 8), 20, 36);
        byte[] pt = new byte[udp.length + padding.length + 2];
        System.arraycopy(udp, 0, pt, 0, udp.length);
        System.arraycopy(padding, 0, pt, udp.length, padding.length);
        pt[pt.length - 2] = (byte) padding.length;
        pt[pt.length - 1] = (byte) nextHeader;
        return pt;
    }

    DropReason feed(byte[] packet) {
        return rx.process(w, new PacketBuffer().set(packet, 0, packet.length));
    }

    DropReason feed(byte[] packet, int len) {
        return rx.process(w, new PacketBuffer().set(packet, 0, len));
    }

    long top() {
        return rx.securityAssociations().stream().filter(s -> s.name().equals("in-TRANSPORT")).findFirst().orElseThrow()
                .replayWindow().top();
    }

    @Test
    void validPacketPassesAsAControl() {
        assertEquals(DropReason.NONE, feed(esp(SPI, 1, transportPlaintext(17, new byte[] {1, 2}), false)));
        assertEquals(1, top());
    }

    @Test
    void truncatedAndBadIpHeaders() {
        byte[] good = esp(SPI, 1, transportPlaintext(17, new byte[] {1, 2}), false);
        assertEquals(DropReason.MALFORMED, feed(good, 0));
        assertEquals(DropReason.MALFORMED, feed(good, 10), "shorter than an IPv4 header");
        assertEquals(DropReason.MALFORMED, feed(good, good.length - 1), "IP total length beyond what was read");
        byte[] ihl = good.clone();
        ihl[0] = 0x44;
        assertEquals(DropReason.MALFORMED, feed(ihl), "IHL below 5");
        byte[] version = good.clone();
        version[0] = 0x55;
        assertEquals(DropReason.MALFORMED, feed(version), "IP version 5");
        byte[] shortTotal = good.clone();
        Bytes.put16(shortTotal, 2, 19);
        assertEquals(DropReason.MALFORMED, feed(shortTotal), "total length below the header length");
        assertEquals(0, top(), "no state change");
    }

    @Test
    void truncatedEsp() {
        byte[] good = esp(SPI, 1, transportPlaintext(17, new byte[] {1, 2}), false);
        // Only part of the ESP header.
        byte[] tiny = Arrays.copyOf(good, 24);
        IpPacket.setLength(tiny, 0, 24);
        assertEquals(DropReason.MALFORMED, feed(tiny));
        // ESP header and IV but no room for an ICV.
        byte[] noIcv = Arrays.copyOf(good, 20 + 8 + 8 + 4);
        IpPacket.setLength(noIcv, 0, noIcv.length);
        assertEquals(DropReason.MALFORMED, feed(noIcv));
        // Long enough, but cut: the ICV no longer verifies.
        byte[] cut = Arrays.copyOf(good, good.length - 4);
        IpPacket.setLength(cut, 0, cut.length);
        assertEquals(DropReason.INTEGRITY, feed(cut));
        assertEquals(0, top());
    }

    @Test
    void unknownSpi() {
        assertEquals(DropReason.NO_SA, feed(esp(0x7777, 1, transportPlaintext(17, new byte[] {1, 2}), false)));
        assertEquals(1, rx.counters().drops(DropReason.NO_SA));
    }

    @Test
    void badPaddingWithAGoodIcv() {
        assertEquals(DropReason.MALFORMED, feed(esp(SPI, 5, transportPlaintext(17, new byte[] {1, 3}), false)),
                "padding must be 1, 2, 3...");
        // A pad length longer than the plaintext.
        byte[] pt = transportPlaintext(17, new byte[] {1, 2});
        pt[pt.length - 2] = (byte) 200;
        assertEquals(DropReason.MALFORMED, feed(esp(SPI, 6, pt, false)));
        assertEquals(2, rx.counters().drops(DropReason.MALFORMED));
    }

    @Test
    void wrongNextHeader() {
        // Tunnel mode carries IPv4 (4) or IPv6 (41) only.
        byte[] inner = TestPackets.udp(A, B, 1, 2, 2);
        byte[] pt = new byte[inner.length + 2];
        System.arraycopy(inner, 0, pt, 0, inner.length);
        pt[pt.length - 1] = 17;
        assertEquals(DropReason.MALFORMED, feed(esp(SPI + 1, 1, pt, true)));
        // Next header 4 but an IPv6 packet inside.
        byte[] v6 = TestPackets.udp("2001:db8:1::2", "2001:db8:2::2", 1, 2, 2);
        byte[] pt6 = new byte[v6.length + 2];
        System.arraycopy(v6, 0, pt6, 0, v6.length);
        pt6[pt6.length - 1] = 4;
        assertEquals(DropReason.MALFORMED, feed(esp(SPI + 1, 2, pt6, true)));
    }

    @Test
    void innerPacketOutsideTheSelectors() {
        byte[] inner = TestPackets.udp("198.18.9.9", B, 1, 2, 2); // not from pod A
        byte[] pt = new byte[inner.length + 2];
        System.arraycopy(inner, 0, pt, 0, inner.length);
        pt[pt.length - 1] = 4;
        assertEquals(DropReason.POLICY, feed(esp(SPI + 1, 1, pt, true)));
    }

    @Test
    void dummyPacketIsConsumed() {
        assertEquals(DropReason.DUMMY, feed(esp(SPI, 1, transportPlaintext(59, new byte[] {1, 2}), false)));
    }

    @Test
    void flippedBitsAndReplays() {
        byte[] good = esp(SPI, 9, transportPlaintext(17, new byte[] {1, 2}), false);
        for (int i = 28; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x10;
            assertEquals(DropReason.INTEGRITY, feed(bad), "flip at " + i);
        }
        assertEquals(0, top(), "failed ICVs do not move the window");
        assertEquals(DropReason.NONE, feed(good));
        assertEquals(DropReason.REPLAY, feed(good));
        assertEquals(DropReason.REPLAY, feed(esp(SPI, 0, transportPlaintext(17, new byte[] {1, 2}), false)), "seq 0 is never valid");
    }

    @Test
    void badAhLength() {
        byte[] ah = new byte[20 + 12 + 16 + 8];
        io.ipsecmesh.packet.IpHeaders.writeIpv4(ah, 0, Prefix.parseAddress(A).getAddress(), Prefix.parseAddress(B).getAddress(),
                51, ah.length, 0, 1, true);
        ah[20] = 17;
        ah[21] = 9; // says 44 bytes, HMAC-SHA-256-128 needs 28
        Bytes.put32(ah, 24, 0x3003);
        Bytes.put32(ah, 28, 1);
        assertEquals(DropReason.MALFORMED, feed(ah));
        byte[] cut = Arrays.copyOf(ah, 28);
        IpPacket.setLength(cut, 0, 28);
        assertEquals(DropReason.MALFORMED, feed(cut));
    }

    @Test
    void ipv6ExtensionChainsThatEndBadly() {
        byte[] base = TestPackets.udp("2001:db8:1::2", "2001:db8:2::2", 1, 2, 40);
        // Hop-by-Hop not directly after the IPv6 header.
        byte[] hbhSecond = withExtensions(base, new int[] {60, 0});
        assertEquals(DropReason.MALFORMED, feed(hbhSecond));
        // An extension header whose length runs past the packet.
        byte[] tooLong = withExtensions(base, new int[] {60});
        tooLong[41] = 50; // (50+1)*8 bytes
        assertEquals(DropReason.MALFORMED, feed(tooLong));
        // Payload length claims more than there is.
        byte[] claims = base.clone();
        Bytes.put16(claims, 4, 2000);
        assertEquals(DropReason.MALFORMED, feed(claims));
        // Too many extension headers.
        int[] many = new int[20];
        Arrays.fill(many, 60);
        assertEquals(DropReason.MALFORMED, feed(withExtensions(base, many)));
        // A chain that ends inside an 8-byte header.
        byte[] cutChain = withExtensions(base, new int[] {60});
        byte[] cutShort = Arrays.copyOf(cutChain, 44);
        Bytes.put16(cutShort, 4, 4);
        assertEquals(DropReason.MALFORMED, feed(cutShort));
        // And a well-formed chain is fine (plaintext, no policy: bypass).
        assertEquals(DropReason.NONE, feed(withExtensions(base, new int[] {0, 60})));
    }

    /** Inserts 8-byte extension headers of the given types between the IPv6 header and the payload. */
    static byte[] withExtensions(byte[] v6, int[] types) {
        int n = types.length;
        byte[] p = new byte[v6.length + 8 * n];
        System.arraycopy(v6, 0, p, 0, 40);
        int upper = v6[6] & 0xff;
        p[6] = (byte) types[0];
        for (int i = 0; i < n; i++) {
            int off = 40 + 8 * i;
            p[off] = (byte) (i + 1 < n ? types[i + 1] : upper);
            p[off + 1] = 0;
            p[off + 2] = 1; // PadN option filling the header
            p[off + 3] = 4;
        }
        System.arraycopy(v6, 40, p, 40 + 8 * n, v6.length - 40);
        Bytes.put16(p, 4, p.length - 40);
        return p;
    }

    @Test
    void randomMutationsNeverEscapeAsExceptions() {
        Random r = new Random(42);
        byte[] good = esp(SPI, 100, transportPlaintext(17, new byte[] {1, 2}), false);
        byte[] v6 = withExtensions(TestPackets.udp("2001:db8:1::2", "2001:db8:2::2", 1, 2, 40), new int[] {0, 43, 44, 60});
        int passed = 0;
        for (int i = 0; i < 20000; i++) {
            byte[] p = (i % 2 == 0 ? good : v6).clone();
            int flips = 1 + r.nextInt(4);
            for (int f = 0; f < flips; f++) {
                p[r.nextInt(p.length)] = (byte) r.nextInt(256);
            }
            int len = r.nextInt(4) == 0 ? r.nextInt(p.length + 1) : p.length;
            if (feed(p, len) == DropReason.NONE) {
                passed++;
            }
        }
        assertEquals(0, rx.counters().internalErrors.sum(), "no packet may make the pipeline throw");
        assertNotEquals(20000, passed);
    }
}
