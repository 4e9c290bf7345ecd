package io.ipsecmesh.dataplane;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.packet.Fragmenter;
import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.sa.DropReason;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.SecurityProtocol;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A datagram the pod sent in fragments is reassembled, protected whole in transport mode
 * (RFC 4303 §3.1.1), its ESP packet fragmented for the wire, reassembled at the receiver
 * before decryption (§3.4.1), and comes out whole.
 */
class FragmentedDatagramTest {

    @ParameterizedTest(name = "{0} IPv{1}")
    @CsvSource({"TRANSPORT, 4", "TRANSPORT, 6", "TUNNEL, 4", "TUNNEL, 6"})
    void fragmentsAreReassembledProtectedAndRestored(Mode mode, int family) throws Exception {
        var c = new PipelineRoundTripTest.Case(SecurityProtocol.ESP, EncryptionAlgorithm.AES_GCM_16_128, IntegrityAlgorithm.NONE,
                mode, family, false, false);
        var rig = new PipelineRoundTripTest.Rig(c);
        byte[] datagram = TestPackets.udp(rig.podA, rig.podB, 5000, 53, 3000);
        if (family == 4) {
            datagram[6] = 0; // DF clear: the pod may fragment it
            io.ipsecmesh.packet.IpPacket.updateHeaderChecksum(datagram, 0);
        }
        List<byte[]> podFragments = fragments(datagram, 1380);
        assertTrue(podFragments.size() >= 3);

        List<byte[]> wire = new ArrayList<>();
        for (int i = 0; i < podFragments.size(); i++) {
            byte[] f = podFragments.get(i);
            PacketBuffer pb = new PacketBuffer().set(f, 0, f.length);
            DropReason r = rig.a.process(rig.wa, pb);
            if (i < podFragments.size() - 1) {
                assertEquals(DropReason.HELD, r, "fragment " + i + " waits for the rest");
            } else {
                assertEquals(DropReason.NONE, r);
                wire.addAll(fragments(pb.toArray(), 1500)); // what the worker does above the MTU
            }
        }
        assertTrue(wire.size() >= 3, "the ESP packet is fragmented for the wire");
        PacketBuffer out = null;
        for (int i = wire.size() - 1; i >= 0; i--) { // arriving in reverse order
            byte[] f = wire.get(i);
            PacketBuffer pb = new PacketBuffer().set(f, 0, f.length);
            DropReason r = rig.b.process(rig.wb, pb);
            assertEquals(i == 0 ? DropReason.NONE : DropReason.HELD, r);
            out = pb;
        }
        assertArrayEquals(datagram, out.toArray());
        assertEquals(0, rig.b.counters().drops(DropReason.FRAGMENT));
    }

    static List<byte[]> fragments(byte[] packet, int mtu) throws Exception {
        List<byte[]> out = new ArrayList<>();
        int n = new Fragmenter().fragment(packet, 0, packet.length, mtu,
                (b, off, len) -> out.add(java.util.Arrays.copyOfRange(b, off, off + len)));
        assertTrue(n >= 1, "fragmenter: " + Fragmenter.describe(n));
        return out;
    }
}
