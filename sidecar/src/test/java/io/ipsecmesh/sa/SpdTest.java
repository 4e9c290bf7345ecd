package io.ipsecmesh.sa;

import io.ipsecmesh.packet.IpPacket;
import io.ipsecmesh.packet.PacketInfo;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    // ---- incremental snapshots (Spd.with) ----

    /** A /32 -> /32 bypass policy between 10.0.x.y and 10.1.x.y whose address pair starts at {@code home}. */
    private static List<Policy> pairsAt(int home, int capacity, int n, int from) {
        List<Policy> out = new ArrayList<>();
        for (int i = from; out.size() < n; i++) {
            String tail = (i >> 8 & 0xff) + "." + (i & 0xff);
            Policy p = policy("10.0." + tail + "/32", "10.1." + tail + "/32", -1, -1, PolicyAction.BYPASS, 1000);
            if (Spd.homeSlot(p.selector(), capacity) == home) {
                out.add(p);
            }
        }
        return out;
    }

    private static PacketInfo packetFor(Policy p) {
        PacketInfo info = new PacketInfo();
        info.version = p.selector().src().v4() ? 4 : 6;
        info.srcHi = p.selector().src().hi();
        info.srcLo = p.selector().src().lo();
        info.dstHi = p.selector().dst().hi();
        info.dstLo = p.selector().dst().lo();
        info.upperProtocol = 17;
        info.srcPort = 1000;
        info.dstPort = 53;
        return info;
    }

    private static void assertFinds(Spd spd, List<Policy> present, List<Policy> absent) {
        spd.checkInvariants();
        for (Policy p : present) {
            assertEquals(p, spd.lookup(packetFor(p)).policy());
        }
        for (Policy p : absent) {
            assertNull(spd.lookup(packetFor(p)), p.toString());
        }
        assertEquals(present.size(), spd.size());
    }

    private static List<Spd.Entry> entries(List<Policy> ps) {
        List<Spd.Entry> out = new ArrayList<>();
        for (int i = 0; i < ps.size(); i++) {
            out.add(new Spd.Entry(ps.get(i), null, Spd.rank(ps.get(i), i)));
        }
        return out;
    }

    /** Three pairs whose home is slot 7 of 8 (two wrap to slots 0 and 1) and one whose home is 0 (pushed to 2). */
    private static List<Policy> wrappedRun() {
        List<Policy> ps = new ArrayList<>(pairsAt(7, 8, 3, 1));
        ps.add(pairsAt(0, 8, 1, 1).getFirst());
        return ps;
    }

    @Test
    void removingAtTheLastSlotShiftsTheRunBackAcrossTheEnd() {
        List<Policy> ps = wrappedRun();
        List<Spd.Entry> es = entries(ps);
        Spd spd = Spd.of(es);
        TrafficSelector ts = ps.getFirst().selector();
        assertEquals(8, spd.capacityOf(ts));
        assertEquals(List.of(7, 0, 1, 2), ps.stream().map(p -> spd.slotOf(p.selector())).toList());

        Spd less = spd.with(List.of(), List.of(es.getFirst()));
        assertEquals(8, less.capacityOf(ts));
        assertEquals(List.of(7, 0, 1), ps.subList(1, 4).stream().map(p -> less.slotOf(p.selector())).toList(),
                "both wrapped pairs move back, the second across the end; the one at home 0 follows");
        assertFinds(less, ps.subList(1, 4), ps.subList(0, 1));
        assertFinds(spd, ps, List.of()); // the old snapshot is untouched
    }

    @Test
    void removingAWrappedEntryShiftsOnlyWhatMayMove() {
        List<Policy> ps = wrappedRun();
        List<Spd.Entry> es = entries(ps);
        Spd less = Spd.of(es).with(List.of(), List.of(es.get(1))); // the one in slot 0, home 7
        assertEquals(List.of(7, 0, 1), List.of(less.slotOf(ps.get(0).selector()), less.slotOf(ps.get(2).selector()),
                less.slotOf(ps.get(3).selector())));
        assertFinds(less, List.of(ps.get(0), ps.get(2), ps.get(3)), List.of(ps.get(1)));
    }

    @Test
    void anEntryAtItsHomeDoesNotMoveIntoAHoleBeforeIt() {
        List<Policy> ps = new ArrayList<>(pairsAt(7, 8, 1, 1));
        ps.addAll(pairsAt(0, 8, 2, 1));
        ps.add(pairsAt(3, 8, 1, 1).getFirst());
        List<Spd.Entry> es = entries(ps);
        Spd spd = Spd.of(es);
        assertEquals(List.of(7, 0, 1, 3), ps.stream().map(p -> spd.slotOf(p.selector())).toList());
        Spd less = spd.with(List.of(), List.of(es.getFirst()));
        assertEquals(List.of(0, 1, 3), ps.subList(1, 4).stream().map(p -> less.slotOf(p.selector())).toList(),
                "homes after the hole: nothing moves");
        assertFinds(less, ps.subList(1, 4), ps.subList(0, 1));
    }

    @Test
    void bucketsSharedByAnAddressPairKeepRankOrder() {
        Policy any = policy("10.0.0.1/32", "10.1.0.1/32", -1, -1, PolicyAction.BYPASS, 1000);
        Policy udp53 = policy("10.0.0.1/32", "10.1.0.1/32", 17, 53, PolicyAction.DISCARD, 1000);
        Policy first = policy("10.0.0.1/32", "10.1.0.1/32", 17, -1, PolicyAction.PROTECT, 5);
        Spd.Entry eAny = new Spd.Entry(any, null, Spd.rank(any, 0));
        Spd.Entry e53 = new Spd.Entry(udp53, null, Spd.rank(udp53, 1));
        Spd.Entry eFirst = new Spd.Entry(first, null, Spd.rank(first, 2));
        Spd spd = Spd.EMPTY.with(List.of(eAny), List.of()).with(List.of(e53), List.of());
        spd.checkInvariants();
        assertEquals(udp53, spd.lookup(packetFor(any)).policy(), "protocol and port rank before any");
        Spd more = spd.with(List.of(eFirst), List.of());
        assertEquals(first, more.lookup(packetFor(any)).policy(), "a lower priority value ranks first");
        Spd less = more.with(List.of(), List.of(e53, eFirst));
        assertEquals(any, less.lookup(packetFor(any)).policy());
        assertSame(eAny, less.lookup(packetFor(any)));
        assertEquals(0, less.with(List.of(), List.of(eAny)).size());
        assertNull(less.with(List.of(), List.of(eAny)).lookup(packetFor(any)));
        assertThrows(IllegalArgumentException.class, () -> less.with(List.of(), List.of(e53)), "not in it any more");
        less.checkInvariants();
    }

    private static final int[] V4_LENGTHS = {0, 8, 16, 24, 28, 30, 31, 32, 32, 32};
    private static final int[] V6_LENGTHS = {0, 32, 64, 96, 120, 126, 128, 128};

    /** An address in a small space, so that random packets often hit random policies. */
    private static String address(Random r, boolean v4, int side) {
        return v4 ? "10." + side + "." + r.nextInt(4) + "." + r.nextInt(8)
                : "2001:db8:" + side + ":" + r.nextInt(4) + "::" + r.nextInt(8);
    }

    private static Policy randomPolicy(Random r) {
        boolean v4 = r.nextInt(3) > 0;
        int[] lengths = v4 ? V4_LENGTHS : V6_LENGTHS;
        Prefix src = Prefix.parse(address(r, v4, 0) + "/" + lengths[r.nextInt(lengths.length)]);
        Prefix dst = Prefix.parse(address(r, v4, 1) + "/" + lengths[r.nextInt(lengths.length)]);
        int proto = new int[] {-1, -1, 6, 17}[r.nextInt(4)];
        int dLow = 0;
        int dHigh = 65535;
        if (r.nextInt(4) == 0) {
            dLow = new int[] {53, 80, 443}[r.nextInt(3)];
            dHigh = r.nextBoolean() ? dLow : dLow + 100;
        }
        TrafficSelector ts = new TrafficSelector(src, dst, proto, 0, 65535, dLow, dHigh);
        int prio = new int[] {5, 100, 1000, 1000, 1000}[r.nextInt(5)];
        PolicyAction a = PolicyAction.values()[r.nextInt(PolicyAction.values().length)];
        return new Policy(Direction.OUT, ts, a, a == PolicyAction.PROTECT ? "sa" + r.nextInt(4) : null, prio);
    }

    private static PacketInfo randomPacket(Random r) {
        boolean v4 = r.nextInt(3) > 0;
        PacketInfo info = new PacketInfo();
        Prefix s = Prefix.parse(address(r, v4, r.nextInt(8) == 0 ? 2 : 0));
        Prefix d = Prefix.parse(address(r, v4, 1));
        info.version = v4 ? 4 : 6;
        info.srcHi = s.hi();
        info.srcLo = s.lo();
        info.dstHi = d.hi();
        info.dstLo = d.lo();
        info.upperProtocol = new int[] {1, 6, 17}[r.nextInt(3)];
        info.srcPort = info.upperProtocol == 1 ? -1 : 1024 + r.nextInt(100);
        info.dstPort = info.upperProtocol == 1 ? -1 : new int[] {53, 80, 443, 500, 22}[r.nextInt(5)];
        return info;
    }

    /**
     * Thousands of random changes through {@link Spd#with}: policies of both families, many
     * prefix lengths (so groups come and go), ports, protocols and priorities; SAs appearing and
     * disappearing under protect policies (their entries refreshed). After each step the
     * structure is checked, and every few steps lookups of random packets are compared with a
     * snapshot built from scratch and with a linear scan.
     */
    @Test
    void randomChangesAgreeWithASnapshotBuiltFromScratch() {
        Random r = new Random(2024);
        List<SecurityAssociation> sas = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            sas.add(SaTableTest.sa("sa" + i, SecurityProtocol.ESP, 0x1000 + i));
        }
        Map<String, SecurityAssociation> installed = new HashMap<>();
        LinkedHashMap<Policy, Spd.Entry> current = new LinkedHashMap<>(); // in installation order
        long order = 0;
        Spd spd = Spd.EMPTY;
        int checks = 0;
        for (int step = 0; step < 3000; step++) {
            boolean growing = (step / 400) % 2 == 0;
            List<Spd.Entry> added = new ArrayList<>();
            List<Spd.Entry> removed = new ArrayList<>();
            int n = r.nextInt(8) == 0 ? 1 + r.nextInt(30) : 1;
            for (int i = 0; i < n; i++) {
                int op = r.nextInt(100);
                if (op < 10) {
                    // An SA comes or goes: the entries of the policies naming it are refreshed.
                    SecurityAssociation sa = sas.get(r.nextInt(sas.size()));
                    SecurityAssociation now = installed.get(sa.name()) == null ? sa : null;
                    installed.put(sa.name(), now);
                    for (var e : current.entrySet()) {
                        if (sa.name().equals(e.getKey().saName())) {
                            Spd.Entry fresh = new Spd.Entry(e.getKey(), now, e.getValue().rank());
                            change(added, removed, e.getValue(), fresh);
                            e.setValue(fresh);
                        }
                    }
                } else if (op < (growing ? 75 : 35) || current.isEmpty()) {
                    Policy p = randomPolicy(r);
                    if (!current.containsKey(p)) {
                        Spd.Entry e = new Spd.Entry(p, p.saName() == null ? null : installed.get(p.saName()),
                                Spd.rank(p, order++));
                        current.put(p, e);
                        change(added, removed, null, e);
                    }
                } else {
                    List<Policy> ps = new ArrayList<>(current.keySet());
                    Policy p = ps.get(r.nextInt(ps.size()));
                    change(added, removed, current.remove(p), null);
                }
            }
            spd = spd.with(added, removed);
            spd.checkInvariants();
            assertEquals(current.size(), spd.size());
            if (step % 5 == 0 || current.size() < 10) {
                List<Policy> ps = new ArrayList<>(current.keySet());
                Spd scratch = Spd.build(ps, installed);
                for (int i = 0; i < 300; i++) {
                    PacketInfo p = randomPacket(r);
                    Spd.Entry got = spd.lookup(p);
                    Spd.Entry expected = scratch.lookup(p);
                    assertEquals(expected == null ? null : expected.policy(), got == null ? null : got.policy(),
                            "step " + step);
                    assertEquals(linear(ps, p), got == null ? null : got.policy());
                    if (got != null) {
                        assertSame(expected.sa(), got.sa());
                        assertSame(current.get(got.policy()), got);
                    }
                    checks++;
                }
            }
        }
        assertTrue(checks > 100_000);
    }

    /** Records one entry replaced by another (either may be null) as a change to a pending batch. */
    private static void change(List<Spd.Entry> added, List<Spd.Entry> removed, Spd.Entry before, Spd.Entry after) {
        if (before != null && !added.remove(before)) {
            removed.add(before);
        }
        if (after != null) {
            added.add(after);
        }
    }
}
