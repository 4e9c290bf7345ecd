package io.ipsecmesh.dataplane;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.packet.IpPacket;
import io.ipsecmesh.packet.IpProtocols;
import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.packet.PacketInfo;
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
import io.ipsecmesh.sa.UdpEncap;
import io.ipsecmesh.sa.WorkerContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two data planes (node A, node B) with matching SAs: every packet A protects, B restores
 * byte for byte; for every transform, ESP and AH, transport and tunnel, IPv4 and IPv6, ESP in UDP.
 */
class PipelineRoundTripTest {

    record Case(SecurityProtocol proto, EncryptionAlgorithm enc, IntegrityAlgorithm integ, Mode mode, int family,
                boolean udp, boolean esn) {
        @Override
        public String toString() {
            return proto + " " + (enc == null ? "" : enc.keyword() + " ") + integ.keyword() + " " + mode + " v" + family
                    + (udp ? " udp" : "") + (esn ? " esn" : "");
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (int family : new int[] {4, 6}) {
            for (Mode mode : Mode.values()) {
                for (EncryptionAlgorithm enc : EncryptionAlgorithm.values()) {
                    List<IntegrityAlgorithm> integs = enc.isAead() ? List.of(IntegrityAlgorithm.NONE)
                            : List.of(IntegrityAlgorithm.HMAC_SHA2_256_128, IntegrityAlgorithm.HMAC_SHA2_384_192, IntegrityAlgorithm.HMAC_SHA2_512_256);
                    for (IntegrityAlgorithm integ : integs) {
                        out.add(Arguments.of(new Case(SecurityProtocol.ESP, enc, integ, mode, family, false, false)));
                    }
                }
                out.add(Arguments.of(new Case(SecurityProtocol.ESP, EncryptionAlgorithm.AES_GCM_16_128, IntegrityAlgorithm.NONE, mode, family, true, false)));
                out.add(Arguments.of(new Case(SecurityProtocol.ESP, EncryptionAlgorithm.AES_CBC_256, IntegrityAlgorithm.HMAC_SHA2_256_128, mode, family, false, true)));
                out.add(Arguments.of(new Case(SecurityProtocol.ESP, EncryptionAlgorithm.AES_GCM_16_256, IntegrityAlgorithm.NONE, mode, family, false, true)));
                for (IntegrityAlgorithm integ : List.of(IntegrityAlgorithm.HMAC_SHA2_256_128, IntegrityAlgorithm.HMAC_SHA2_384_192, IntegrityAlgorithm.HMAC_SHA2_512_256)) {
                    out.add(Arguments.of(new Case(SecurityProtocol.AH, null, integ, mode, family, false, false)));
                }
                out.add(Arguments.of(new Case(SecurityProtocol.AH, null, IntegrityAlgorithm.HMAC_SHA2_256_128, mode, family, false, true)));
            }
        }
        return out.stream();
    }

    /** A matched pair of data planes for pod A (on node A) to pod B (on node B), both directions. */
    static final class Rig {
        final UserspaceDataPlane a = new UserspaceDataPlane(1, new Random(1));
        final UserspaceDataPlane b = new UserspaceDataPlane(1, new Random(2));
        final WorkerContext wa = new WorkerContext(0);
        final WorkerContext wb = new WorkerContext(0);
        final String podA;
        final String podB;

        Rig(Case c) {
            boolean v4 = c.family == 4;
            podA = v4 ? "198.18.1.2" : "2001:db8:1::2";
            podB = v4 ? "198.18.2.2" : "2001:db8:2::2";
            String nodeA = v4 ? "198.19.0.1" : "2001:db8:ff::1";
            String nodeB = v4 ? "198.19.0.2" : "2001:db8:ff::2";
            Random r = new Random(c.toString().hashCode());
            String outerA = c.mode == Mode.TUNNEL ? nodeA : podA;
            String outerB = c.mode == Mode.TUNNEL ? nodeB : podB;
            TrafficSelector ab = TrafficSelector.between(Prefix.parse(podA), Prefix.parse(podB));
            TrafficSelector ba = ab.reversed();
                {
                // SA "ab": A -> B, SA "ba": B -> A; each node gets both, with the matching direction.
                byte[] k1 = key(r, c.enc == null ? 0 : c.enc.keyMaterialLength());
                byte[] i1 = key(r, c.integ.keyLength());
                byte[] k2 = key(r, c.enc == null ? 0 : c.enc.keyMaterialLength());
                byte[] i2 = key(r, c.integ.keyLength());
                a.installSa(sa(c, "ab", Direction.OUT, 0x1001, outerA, outerB, k1.clone(), i1.clone(), ab));
                b.installSa(sa(c, "ab", Direction.IN, 0x1001, outerA, outerB, k1.clone(), i1.clone(), ab));
                b.installSa(sa(c, "ba", Direction.OUT, 0x2002, outerB, outerA, k2.clone(), i2.clone(), ba));
                a.installSa(sa(c, "ba", Direction.IN, 0x2002, outerB, outerA, k2.clone(), i2.clone(), ba));
            }
            a.installPolicy(new Policy(Direction.OUT, ab, PolicyAction.PROTECT, "ab", 10));
            a.installPolicy(new Policy(Direction.IN, ba, PolicyAction.PROTECT, "ba", 10));
            b.installPolicy(new Policy(Direction.OUT, ba, PolicyAction.PROTECT, "ba", 10));
            b.installPolicy(new Policy(Direction.IN, ab, PolicyAction.PROTECT, "ab", 10));
        }

        private static byte[] key(Random r, int len) {
            byte[] k = new byte[len];
            r.nextBytes(k);
            return k;
        }

        private static SaConfig sa(Case c, String name, Direction dir, int spi, String src, String dst, byte[] key, byte[] ikey,
                                   TrafficSelector ts) {
            return new SaConfig(name, dir, c.proto, spi, c.mode, Prefix.parseAddress(src), Prefix.parseAddress(dst),
                    c.enc, c.enc == null ? null : key, c.integ, c.integ == IntegrityAlgorithm.NONE ? null : ikey,
                    c.esn, 64, c.udp ? new UdpEncap(4500, 4500) : null, 0, Lifetime.UNLIMITED, List.of(ts),
                    c.enc == EncryptionAlgorithm.TRIPLE_DES_CBC);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void protectedPacketsComeBackUnchanged(Case c) {
        Rig rig = new Rig(c);
        for (int size : new int[] {0, 1, 15, 16, 17, 100, 1300}) {
            for (boolean tcp : new boolean[] {false, true}) {
                byte[] plain = tcp ? TestPackets.tcp(rig.podA, rig.podB, 40000, 5201, size)
                        : TestPackets.udp(rig.podA, rig.podB, 40000, 53, size);
                PacketBuffer pb = new PacketBuffer().set(plain, 0, plain.length);
                assertEquals(DropReason.NONE, rig.a.process(rig.wa, pb), "protect " + size);
                byte[] wire = pb.toArray();
                checkWire(c, wire, plain);

                PacketBuffer in = new PacketBuffer().set(wire, 0, wire.length);
                assertEquals(DropReason.NONE, rig.b.process(rig.wb, in), "unprotect " + size);
                byte[] restored = in.toArray();
                assertArrayEquals(plain, restored, "round trip of " + size + " bytes");
                assertTrue(TestPackets.l4ChecksumOk(restored));

                // Same packet again: a replay.
                PacketBuffer again = new PacketBuffer().set(wire, 0, wire.length);
                assertEquals(DropReason.REPLAY, rig.b.process(rig.wb, again));
            }
        }
        // The reverse direction works too.
        byte[] back = TestPackets.udp(rig.podB, rig.podA, 53, 40000, 64);
        PacketBuffer pb = new PacketBuffer().set(back, 0, back.length);
        assertEquals(DropReason.NONE, rig.b.process(rig.wb, pb));
        assertEquals(DropReason.NONE, rig.a.process(rig.wa, pb));
        assertArrayEquals(back, pb.toArray());
    }

    private static void checkWire(Case c, byte[] wire, byte[] plain) {
        PacketInfo info = new PacketInfo();
        assertEquals(0, IpPacket.parse(wire, 0, wire.length, info));
        assertEquals(c.family, info.version);
        int expected = c.udp ? IpProtocols.UDP : c.proto.ipProtocol();
        assertEquals(expected, info.upperProtocol);
        int addrOff = c.family == 4 ? 12 : 8;
        int addrLen = c.family == 4 ? 8 : 32;
        byte[] wireAddrs = java.util.Arrays.copyOfRange(wire, addrOff, addrOff + addrLen);
        byte[] plainAddrs = java.util.Arrays.copyOfRange(plain, addrOff, addrOff + addrLen);
        if (c.mode == Mode.TUNNEL) {
            assertNotEquals(java.util.Arrays.toString(plainAddrs), java.util.Arrays.toString(wireAddrs), "outer header is the nodes'");
            assertEquals(io.ipsecmesh.packet.IpHeaders.trafficClass(plain, 0), io.ipsecmesh.packet.IpHeaders.trafficClass(wire, 0),
                    "DSCP/ECN copied to the outer header (RFC 4301 §5.1.2.1)");
            if (c.family == 4) {
                assertEquals(plain[6] & 0x40, wire[6] & 0x40, "DF copied from the inner header");
            }
        } else {
            assertArrayEquals(plainAddrs, wireAddrs, "transport mode keeps the pod addresses");
        }
        if (c.proto == SecurityProtocol.ESP && c.enc != EncryptionAlgorithm.NULL) {
            // The payload must not appear in clear.
            byte[] tail = java.util.Arrays.copyOfRange(plain, plain.length - Math.min(16, plain.length - 28), plain.length);
            if (tail.length >= 8) {
                assertFalse(indexOf(wire, tail) >= 0, "plaintext visible on the wire");
            }
        }
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
