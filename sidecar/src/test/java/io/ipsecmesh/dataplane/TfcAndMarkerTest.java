package io.ipsecmesh.dataplane;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.packet.Bytes;
import io.ipsecmesh.packet.IpHeaders;
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
import io.ipsecmesh.sa.UdpEncap;
import io.ipsecmesh.sa.WorkerContext;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class TfcAndMarkerTest {
    static final String A = "198.18.1.2";
    static final String B = "198.18.2.2";

    static SaConfig sa(Direction d, int tfc, UdpEncap encap) {
        TrafficSelector ts = TrafficSelector.between(Prefix.parse(A), Prefix.parse(B));
        return new SaConfig("ab", d, SecurityProtocol.ESP, 0x4004, Mode.TUNNEL, Prefix.parseAddress("198.19.0.1"),
                Prefix.parseAddress("198.19.0.2"), EncryptionAlgorithm.AES_GCM_16_128, new byte[20], IntegrityAlgorithm.NONE,
                null, false, 64, encap, tfc, Lifetime.UNLIMITED, List.of(ts), false);
    }

    @Test
    void tfcPaddingHidesTheLengthAndIsRemoved() {
        var a = new UserspaceDataPlane(1, new Random(1));
        var b = new UserspaceDataPlane(1, new Random(2));
        a.installSa(sa(Direction.OUT, 256, null));
        a.installPolicy(new Policy(Direction.OUT, TrafficSelector.between(Prefix.parse(A), Prefix.parse(B)),
                PolicyAction.PROTECT, "ab", 10));
        b.installSa(sa(Direction.IN, 0, null));
        WorkerContext w = new WorkerContext(0);
        int[] sizes = {10, 100, 200};
        for (int size : sizes) {
            byte[] plain = TestPackets.udp(A, B, 1, 2, size);
            PacketBuffer pb = new PacketBuffer().set(plain, 0, plain.length);
            assertEquals(DropReason.NONE, a.process(w, pb));
            // Outer IPv4 (20) + ESP header (8) + IV (8) + padded inner + trailer + ICV (16):
            // every inner packet up to 256 bytes gives the same ESP length.
            assertEquals(20 + 8 + 8 + 256 + 4 + 16, pb.len, "size " + size);
            assertEquals(DropReason.NONE, b.process(w, pb));
            assertArrayEquals(plain, pb.toArray());
        }
    }

    @Test
    void ikeBehindTheNonEspMarkerIsNotTakenForEsp() {
        var b = new UserspaceDataPlane(1, new Random(2));
        b.installSa(sa(Direction.IN, 0, new UdpEncap(4500, 4500)));
        WorkerContext w = new WorkerContext(0);
        // UDP 4500 from node 1 to node 2 whose payload starts with four zero bytes: IKE (RFC 3948 §2.2).
        byte[] ike = new byte[20 + 8 + 64];
        IpHeaders.writeIpv4(ike, 0, Prefix.parseAddress("198.19.0.1").getAddress(), Prefix.parseAddress("198.19.0.2").getAddress(),
                17, ike.length, 0, 1, true);
        Bytes.put16(ike, 20, 4500);
        Bytes.put16(ike, 22, 4500);
        Bytes.put16(ike, 24, ike.length - 20);
        Bytes.put32(ike, 36, 0x4004); // would be our SPI if it were ESP
        PacketBuffer pb = new PacketBuffer().set(ike, 0, ike.length);
        assertEquals(DropReason.NONE, b.process(w, pb), "passed on unchanged (no policy covers it)");
        assertArrayEquals(ike, pb.toArray());
        assertEquals(0, b.counters().unprotectedIn.sum());
        // The same datagram with our SPI where the marker was is ESP, and fails its ICV.
        Bytes.put32(ike, 28, 0x4004);
        Bytes.put32(ike, 32, 1); // sequence number 1
        assertEquals(DropReason.INTEGRITY, b.process(w, new PacketBuffer().set(ike, 0, ike.length)));
    }
}
