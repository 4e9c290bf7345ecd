package io.ipsecmesh.dataplane;

import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.sa.DropReason;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.SecurityProtocol;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** AH over IPv6 pads the ICV field to 8 bytes; that padding is authenticated (RFC 4302 §3.3.3.2.1). */
class AhPaddingTest {

    @Test
    void alteredIpv6AlignmentPaddingFailsTheIcv() {
        var c = new PipelineRoundTripTest.Case(SecurityProtocol.AH, null, IntegrityAlgorithm.HMAC_SHA2_256_128,
                Mode.TRANSPORT, 6, false, false);
        var rig = new PipelineRoundTripTest.Rig(c);
        byte[] plain = TestPackets.udp(rig.podA, rig.podB, 1, 2, 20);
        PacketBuffer pb = new PacketBuffer().set(plain, 0, plain.length);
        assertEquals(DropReason.NONE, rig.a.process(rig.wa, pb));
        byte[] wire = pb.toArray();
        // IPv6 header (40), AH: 12 fixed + 16 ICV + 4 padding; the padding is at 40+28..40+32.
        assertEquals(32, ((wire[41] & 0xff) + 2) * 4, "AH length with padding");
        byte[] tampered = wire.clone();
        tampered[40 + 29] ^= 1;
        assertEquals(DropReason.INTEGRITY, rig.b.process(rig.wb, new PacketBuffer().set(tampered, 0, tampered.length)));
        assertEquals(DropReason.NONE, rig.b.process(rig.wb, new PacketBuffer().set(wire, 0, wire.length)));
    }
}
