package io.ipsecmesh.dataplane;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.packet.PacketInfo;
import io.ipsecmesh.sa.Direction;
import io.ipsecmesh.sa.Lifetime;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.Policy;
import io.ipsecmesh.sa.PolicyAction;
import io.ipsecmesh.sa.Prefix;
import io.ipsecmesh.sa.SaConfig;
import io.ipsecmesh.sa.SaTable;
import io.ipsecmesh.sa.SecurityAssociation;
import io.ipsecmesh.sa.SecurityProtocol;
import io.ipsecmesh.sa.Spd;
import io.ipsecmesh.sa.TrafficSelector;
import io.ipsecmesh.sa.UdpEncap;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The snapshots that {@link UserspaceDataPlane} publishes incrementally agree with tables built
 * from scratch out of what it reports installed ({@link Spd#build}, {@link SaTable}), after
 * random sequences of every kind of control call, held and not.
 */
class SnapshotPublishingTest {

    private static final int SAS = 40;

    /** SA {@code i} of the pool: direction, protocol and a SPI from a small range (so duplicates occur). */
    private static SaConfig sa(int i, int spi, boolean udp) {
        Direction d = i % 3 == 0 ? Direction.OUT : Direction.IN;
        boolean esp = i % 5 != 0;
        return new SaConfig("sa" + i, d, esp ? SecurityProtocol.ESP : SecurityProtocol.AH, spi, Mode.TUNNEL,
                Prefix.parseAddress("198.19.0.1"), Prefix.parseAddress("198.19.0.2"),
                esp ? EncryptionAlgorithm.AES_GCM_16_128 : null, esp ? new byte[20] : null,
                esp ? IntegrityAlgorithm.NONE : IntegrityAlgorithm.HMAC_SHA2_256_128, esp ? null : new byte[32],
                false, 64, udp && esp ? new UdpEncap(4500, 4500) : null, 0, Lifetime.UNLIMITED, List.of(), false);
    }

    private static SaConfig randomSa(Random r) {
        return sa(r.nextInt(SAS), 0x1000 + r.nextInt(30), r.nextInt(4) == 0);
    }

    private static final int[] V4_LENGTHS = {0, 16, 24, 30, 32, 32, 32};
    private static final int[] V6_LENGTHS = {0, 64, 120, 128, 128};

    private static String address(Random r, boolean v4, int side) {
        return v4 ? "10." + side + "." + r.nextInt(3) + "." + r.nextInt(6)
                : "2001:db8:" + side + ":" + r.nextInt(3) + "::" + r.nextInt(6);
    }

    private static Policy randomPolicy(Random r) {
        boolean v4 = r.nextInt(3) > 0;
        int[] lengths = v4 ? V4_LENGTHS : V6_LENGTHS;
        Prefix src = Prefix.parse(address(r, v4, 0) + "/" + lengths[r.nextInt(lengths.length)]);
        Prefix dst = Prefix.parse(address(r, v4, 1) + "/" + lengths[r.nextInt(lengths.length)]);
        int proto = new int[] {-1, -1, 6, 17}[r.nextInt(4)];
        int port = r.nextInt(4) == 0 ? new int[] {53, 443}[r.nextInt(2)] : -1;
        TrafficSelector ts = new TrafficSelector(src, dst, proto, 0, 65535, port < 0 ? 0 : port, port < 0 ? 65535 : port);
        PolicyAction a = r.nextInt(3) == 0 ? PolicyAction.values()[r.nextInt(3)] : PolicyAction.PROTECT;
        Direction d = r.nextBoolean() ? Direction.IN : Direction.OUT;
        return new Policy(d, ts, a, a == PolicyAction.PROTECT ? "sa" + r.nextInt(SAS) : null,
                new int[] {10, 1000, 1000}[r.nextInt(3)]);
    }

    private static PacketInfo randomPacket(Random r) {
        boolean v4 = r.nextInt(3) > 0;
        Prefix s = Prefix.parse(address(r, v4, 0));
        Prefix d = Prefix.parse(address(r, v4, 1));
        PacketInfo p = new PacketInfo();
        p.version = v4 ? 4 : 6;
        p.srcHi = s.hi();
        p.srcLo = s.lo();
        p.dstHi = d.hi();
        p.dstLo = d.lo();
        p.upperProtocol = r.nextBoolean() ? 6 : 17;
        p.srcPort = 40000;
        p.dstPort = r.nextBoolean() ? 53 : 443;
        return p;
    }

    /** What the data plane should hold, kept the simple way. */
    private static final class Model {
        final Map<String, SaConfig> sas = new LinkedHashMap<>();
        final List<Policy> policies = new ArrayList<>();

        boolean installable(SaConfig c) {
            return !sas.containsKey(c.name()) && (c.direction() == Direction.OUT || sas.values().stream().noneMatch(
                    o -> o.direction() == Direction.IN && o.protocol() == c.protocol() && o.spi() == c.spi()));
        }

        void add(Policy p) {
            if (!policies.contains(p)) {
                policies.add(p);
            }
        }
    }

    @Test
    void randomControlCallsPublishWhatAFromScratchBuildWould() {
        Random r = new Random(99);
        UserspaceDataPlane dp = new UserspaceDataPlane(1, new Random(1));
        Model m = new Model();
        int held = 0;
        UserspaceDataPlane.State atHold = null;
        int rejected = 0;
        int compared = 0;
        for (int step = 0; step < 5000; step++) {
            if (step % 1000 == 999) {
                // Run the installation order close to its end: renumbering must not change a lookup.
                dp.control().setNextOrder(Spd.MAX_ORDER - 40);
            }
            int op = r.nextInt(100);
            if (op < 15) {
                SaConfig c = randomSa(r);
                if (m.installable(c)) {
                    dp.installSa(c);
                    m.sas.put(c.name(), c);
                } else {
                    assertThrows(IllegalArgumentException.class, () -> dp.installSa(c));
                    rejected++;
                }
            } else if (op < 25) {
                String name = "sa" + r.nextInt(SAS);
                assertEquals(m.sas.remove(name) != null, dp.removeSa(name));
            } else if (op < 50) {
                Policy p = randomPolicy(r);
                dp.installPolicy(p);
                m.add(p);
            } else if (op < 65) {
                Policy p = m.policies.isEmpty() || r.nextInt(5) == 0 ? randomPolicy(r)
                        : m.policies.get(r.nextInt(m.policies.size()));
                assertEquals(m.policies.remove(p), dp.removePolicy(p));
            } else if (op < 85) {
                update(r, dp, m);
            } else if (op < 91) {
                if (held < 3) {
                    if (held == 0) {
                        atHold = dp.snapshot();
                    }
                    dp.hold();
                    held++;
                }
            } else if (op < 99) {
                if (held > 0) {
                    dp.release();
                    held--;
                }
            } else {
                List<Policy> ps = new ArrayList<>();
                for (int i = r.nextInt(150); i > 0; i--) {
                    ps.add(r.nextInt(10) == 0 && !ps.isEmpty() ? ps.getLast() : randomPolicy(r));
                }
                dp.replacePolicies(ps);
                m.policies.clear();
                ps.forEach(m::add);
            }
            assertEquals(m.policies, dp.policies(), "step " + step);
            assertEquals(List.copyOf(m.sas.keySet()), dp.securityAssociations().stream().map(SecurityAssociation::name).toList());
            if (held > 0) {
                assertSame(atHold, dp.snapshot(), "nothing is published while held");
            } else {
                compared += compareWithScratch(dp, r, step);
            }
        }
        while (held-- > 0) {
            dp.release();
        }
        compareWithScratch(dp, r, -1);
        assertTrue(rejected > 50, "duplicate names and SPIs were tried: " + rejected);
        assertTrue(compared > 80_000, "lookups compared: " + compared);
    }

    /** One update call of a few SAs and policies, sometimes a batch big enough to rebuild the tables. */
    private static void update(Random r, UserspaceDataPlane dp, Model m) {
        boolean big = r.nextInt(20) == 0;
        List<SaConfig> install = new ArrayList<>();
        Model next = new Model();
        next.sas.putAll(m.sas);
        next.policies.addAll(m.policies);
        boolean ok = true;
        for (int i = r.nextInt(3); i > 0; i--) {
            SaConfig c = randomSa(r);
            install.add(c);
            ok &= next.installable(c);
            next.sas.put(c.name(), c);
        }
        List<Policy> add = new ArrayList<>();
        for (int i = big ? 100 + r.nextInt(100) : r.nextInt(4); i > 0; i--) {
            add.add(randomPolicy(r));
        }
        List<Policy> remove = new ArrayList<>();
        for (int i = big ? r.nextInt(m.policies.size() + 1) : r.nextInt(3); i > 0 && !m.policies.isEmpty(); i--) {
            remove.add(m.policies.get(r.nextInt(m.policies.size())));
        }
        List<String> removeSas = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) {
            removeSas.add("sa" + r.nextInt(SAS));
        }
        if (!ok) {
            List<Policy> before = dp.policies();
            assertThrows(IllegalArgumentException.class, () -> dp.update(install, add, remove, removeSas));
            assertEquals(before, dp.policies(), "nothing changes");
            return;
        }
        dp.update(install, add, remove, removeSas);
        add.forEach(next::add);
        next.policies.removeAll(remove);
        removeSas.forEach(next.sas::remove);
        m.sas.clear();
        m.sas.putAll(next.sas);
        m.policies.clear();
        m.policies.addAll(next.policies);
    }

    /** Compares the published snapshot with one built from scratch; returns the number of lookups compared. */
    private static int compareWithScratch(UserspaceDataPlane dp, Random r, int step) {
        UserspaceDataPlane.State s = dp.snapshot();
        Map<String, SecurityAssociation> byName = new HashMap<>();
        List<SecurityAssociation> inbound = new ArrayList<>();
        for (SecurityAssociation sa : dp.securityAssociations()) {
            byName.put(sa.name(), sa);
            if (sa.config().direction() == Direction.IN) {
                inbound.add(sa);
            }
        }
        SaTable table = new SaTable(inbound);
        for (SecurityProtocol p : SecurityProtocol.values()) {
            for (int spi = 0x1000; spi < 0x1000 + 30; spi++) {
                assertSame(table.find(p, spi), s.inbound().find(p, spi), "step " + step);
            }
        }
        assertEquals(inbound.stream().anyMatch(sa -> sa.config().udpEncap() != null), s.udpEncap());
        Spd in = Spd.build(dp.policies().stream().filter(p -> p.direction() == Direction.IN).toList(), byName);
        Spd out = Spd.build(dp.policies().stream().filter(p -> p.direction() == Direction.OUT).toList(), byName);
        assertEquals(in.size(), s.inboundPolicies().size());
        assertEquals(out.size(), s.outbound().size());
        int n = 0;
        for (int i = 0; i < 40; i++) {
            PacketInfo p = randomPacket(r);
            assertSameEntry(in.lookup(p), s.inboundPolicies().lookup(p), step);
            assertSameEntry(out.lookup(p), s.outbound().lookup(p), step);
            n += 2;
        }
        return n;
    }

    private static void assertSameEntry(Spd.Entry expected, Spd.Entry got, int step) {
        if (expected == null) {
            assertNull(got, "step " + step);
            return;
        }
        assertEquals(expected.policy(), got.policy(), "step " + step);
        assertSame(expected.sa(), got.sa(), "step " + step + ": the SA the policy names, as installed now");
    }

    @Test
    void aDuplicateInboundSpiIsRefusedWhenInstalledEvenWhileHeld() {
        UserspaceDataPlane dp = new UserspaceDataPlane(1, new Random(1));
        dp.installSa(sa(1, 0x1000, false));
        dp.hold();
        SaConfig other = sa(2, 0x1001, false);
        SaConfig clash = sa(4, 0x1000, false);
        Policy p = new Policy(Direction.IN, TrafficSelector.between(Prefix.parse("10.0.0.0/24"), Prefix.parse("10.1.0.0/24")),
                PolicyAction.PROTECT, "sa2", 10);
        assertThrows(IllegalArgumentException.class, () -> dp.update(List.of(other, clash), List.of(p), List.of(), List.of()));
        assertEquals(List.of("sa1"), dp.securityAssociations().stream().map(SecurityAssociation::name).toList());
        assertEquals(List.of(), dp.policies());
        dp.installSa(sa(3, 0x1000, false)); // outbound: SPIs are the peer's, not looked up
        dp.release();
        assertEquals(List.of("sa1", "sa3"), dp.securityAssociations().stream().map(SecurityAssociation::name).toList());
        assertEquals("sa1", dp.snapshot().inbound().find(SecurityProtocol.ESP, 0x1000).name());
    }

    @Test
    void equalPoliciesAreOnePolicy() {
        UserspaceDataPlane dp = new UserspaceDataPlane(1, new Random(1));
        Policy p = new Policy(Direction.OUT, TrafficSelector.between(Prefix.parse("10.0.0.1"), Prefix.parse("10.1.0.1")),
                PolicyAction.DISCARD, null, 10);
        Policy copy = new Policy(p.direction(), p.selector(), p.action(), null, p.priority());
        dp.installPolicy(p);
        UserspaceDataPlane.State s = dp.snapshot();
        dp.installPolicy(copy);
        assertSame(s, dp.snapshot(), "nothing to publish");
        assertEquals(List.of(p), dp.policies());
        assertTrue(dp.removePolicy(copy));
        assertFalse(dp.removePolicy(p));
        assertEquals(0, dp.snapshot().outbound().size());
        dp.replacePolicies(List.of(p, copy, p));
        assertEquals(List.of(p), dp.policies());
        assertEquals(1, dp.snapshot().outbound().size());
    }

    @Test
    void aPolicyFollowsItsSaInAndOut() {
        UserspaceDataPlane dp = new UserspaceDataPlane(1, new Random(1));
        Policy p = new Policy(Direction.OUT, TrafficSelector.between(Prefix.parse("10.0.0.1"), Prefix.parse("10.1.0.1")),
                PolicyAction.PROTECT, "sa3", 10);
        PacketInfo packet = new PacketInfo();
        packet.version = 4;
        packet.srcLo = p.selector().src().lo();
        packet.dstLo = p.selector().dst().lo();
        packet.upperProtocol = 17;
        dp.installPolicy(p);
        assertNull(dp.snapshot().outbound().lookup(packet).sa(), "not installed yet: acquire");
        dp.installSa(sa(3, 0x1000, false));
        assertSame(dp.securityAssociations().getFirst(), dp.snapshot().outbound().lookup(packet).sa());
        UserspaceDataPlane.State before = dp.snapshot();
        assertTrue(dp.removeSa("sa3"));
        assertNull(dp.snapshot().outbound().lookup(packet).sa());
        assertTrue(dp.securityAssociations().isEmpty());
        assertEquals("sa3", before.outbound().lookup(packet).sa().name(), "the old snapshot keeps what it had");
    }

    @Test
    void whenTheInstallationOrderRunsOutPoliciesAreRenumberedKeepingTheirOrder() {
        UserspaceDataPlane dp = new UserspaceDataPlane(1, new Random(1));
        TrafficSelector wide = TrafficSelector.between(Prefix.parse("10.0.0.0/8"), Prefix.parse("10.0.0.0/8"));
        TrafficSelector narrow = TrafficSelector.between(Prefix.parse("10.0.0.0/24"), Prefix.parse("10.0.0.0/24"));
        Policy bypass = new Policy(Direction.OUT, wide, PolicyAction.BYPASS, null, 10);
        Policy discard = new Policy(Direction.OUT, wide, PolicyAction.DISCARD, null, 10);
        Policy protect = new Policy(Direction.OUT, narrow, PolicyAction.PROTECT, "sa3", 10);
        dp.installPolicy(bypass);
        dp.control().setNextOrder(Spd.MAX_ORDER);
        dp.installPolicy(discard); // the last order there is
        dp.installPolicy(protect); // renumbers: 0, 1, 2
        PacketInfo p = new PacketInfo();
        p.version = 4;
        p.srcLo = narrow.src().lo() | 1;
        p.dstLo = narrow.dst().lo() | 2;
        p.upperProtocol = 17;
        assertEquals(protect, dp.snapshot().outbound().lookup(p).policy());
        assertEquals(2, dp.snapshot().outbound().lookup(p).rank() & Spd.MAX_ORDER);
        dp.installSa(sa(3, 0x1000, false)); // refreshes the renumbered entry
        assertEquals("sa3", dp.snapshot().outbound().lookup(p).sa().name());
        assertTrue(dp.removePolicy(protect));
        assertEquals(bypass, dp.snapshot().outbound().lookup(p).policy(), "installed before the equal-ranked discard");
        assertTrue(dp.removePolicy(bypass));
        assertEquals(discard, dp.snapshot().outbound().lookup(p).policy());
        assertEquals(1, dp.snapshot().outbound().lookup(p).rank() & Spd.MAX_ORDER);
    }
}
