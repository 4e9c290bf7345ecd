package io.ipsecmesh.sa;

import io.ipsecmesh.packet.IpPacket;
import io.ipsecmesh.packet.PacketInfo;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class SpdTest {

    static PacketInfo packet(String src, String dst, int proto, int sport, int dport) {
        byte[] p = io.ipsecmesh.dataplane.TestPacketsAccess.l4(src, dst, proto, sport, dport);
        PacketInfo info = new PacketInfo();
        assertEquals(0, IpPacket.parse(p, 0, p.length, info));
        return info;
    }

    static Policy policy(String src, String dst, int proto, int dport, PolicyAction a, int prio) {
        TrafficSelector ts = new TrafficSelector(Prefix.parse(src), Prefix.parse(dst), proto, 0, 65535,
                dport < 0 ? 0 : dport, dport < 0 ? 65535 : dport);
        return new Policy(Direction.OUT, ts, a, a == PolicyAction.PROTECT ? "sa" : null, prio);
    }

    @Test
    void mostSpecificAndPriorityWin() {
        List<Policy> ps = List.of(
                policy("198.18.0.0/15", "198.18.0.0/15", -1, -1, PolicyAction.BYPASS, 1000),
                policy("198.18.1.0/24", "198.18.2.0/24", -1, -1, PolicyAction.PROTECT, 1000),
                policy("198.18.1.2/32", "198.18.2.2/32", 6, 22, PolicyAction.DISCARD, 1000),
                policy("2001:db8::/32", "2001:db8::/32", -1, -1, PolicyAction.PROTECT, 1000),
                policy("198.18.9.0/24", "0.0.0.0/0", -1, -1, PolicyAction.DISCARD, 5));
        Spd spd = Spd.build(ps, Map.of());
        assertEquals(PolicyAction.PROTECT, spd.lookup(packet("198.18.1.2", "198.18.2.2", 17, 1, 53)).policy().action());
        assertEquals(PolicyAction.DISCARD, spd.lookup(packet("198.18.1.2", "198.18.2.2", 6, 1000, 22)).policy().action(),
                "protocol and port make it more specific");
        assertEquals(PolicyAction.PROTECT, spd.lookup(packet("198.18.1.2", "198.18.2.2", 6, 1000, 23)).policy().action());
        assertEquals(PolicyAction.BYPASS, spd.lookup(packet("198.18.3.2", "198.18.2.2", 17, 1, 53)).policy().action());
        assertEquals(PolicyAction.DISCARD, spd.lookup(packet("198.18.9.1", "198.18.2.2", 17, 1, 53)).policy().action(),
                "a lower priority value wins over specificity");
        assertEquals(PolicyAction.PROTECT, spd.lookup(packet("2001:db8:1::2", "2001:db8:2::2", 17, 1, 53)).policy().action());
        assertNull(spd.lookup(packet("198.20.0.1", "198.18.2.2", 17, 1, 53)), "outside every selector");
    }

    @Test
    void thousandsOfPodPairsAgreeWithALinearScan() {
        Random r = new Random(11);
        List<Policy> ps = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            String a = "198.18." + r.nextInt(16) + "." + (1 + r.nextInt(250));
            String b = "198.19." + r.nextInt(16) + "." + (1 + r.nextInt(250));
            ps.add(policy(a + "/32", b + "/32", -1, -1, r.nextBoolean() ? PolicyAction.PROTECT : PolicyAction.BYPASS, 1000));
        }
        for (int i = 0; i < 200; i++) {
            ps.add(policy("198.18." + r.nextInt(16) + ".0/24", "198.19.0.0/16", r.nextBoolean() ? 6 : -1, -1,
                    PolicyAction.DISCARD, 500 + r.nextInt(1000)));
        }
        Spd spd = Spd.build(ps, Map.of());
        for (int i = 0; i < 20_000; i++) {
            PacketInfo p = packet("198.18." + r.nextInt(16) + "." + (1 + r.nextInt(250)),
                    "198.19." + r.nextInt(16) + "." + (1 + r.nextInt(250)), r.nextBoolean() ? 6 : 17, 1, 2);
            Policy expected = linear(ps, p);
            Spd.Entry got = spd.lookup(p);
            assertEquals(expected, got == null ? null : got.policy());
        }
    }

    /** The reference: the best-ranked matching policy by (priority, specificity, order). */
    static Policy linear(List<Policy> ps, PacketInfo p) {
        Policy best = null;
        long bestKey = Long.MAX_VALUE;
        for (int i = 0; i < ps.size(); i++) {
            Policy q = ps.get(i);
            if (!q.selector().matches(p)) {
                continue;
            }
            TrafficSelector ts = q.selector();
            int l4 = (ts.protocol() >= 0 ? 2 : 0) + (ts.anyPorts() ? 0 : 1);
            long key = ((long) q.priority() << 40) | ((long) (256 - ts.src().totalBits() - ts.dst().totalBits()) << 30)
                    | ((long) (3 - l4) << 28) | i;
            if (key < bestKey) {
                bestKey = key;
                best = q;
            }
        }
        return best;
    }
}
