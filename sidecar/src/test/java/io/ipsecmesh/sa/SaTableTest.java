package io.ipsecmesh.sa;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SaTableTest {

    /** An inbound SA with throwaway keys (AES-GCM for ESP, HMAC-SHA-256 for AH). */
    static SecurityAssociation sa(String name, SecurityProtocol p, int spi) {
        boolean esp = p == SecurityProtocol.ESP;
        SaConfig c = new SaConfig(name, Direction.IN, p, spi, Mode.TRANSPORT,
                Prefix.parseAddress("198.18.1.2"), Prefix.parseAddress("198.18.2.2"),
                esp ? EncryptionAlgorithm.AES_GCM_16_128 : null, esp ? new byte[20] : null,
                esp ? IntegrityAlgorithm.NONE : IntegrityAlgorithm.HMAC_SHA2_256_128, esp ? null : new byte[32],
                false, 64, null, 0, Lifetime.UNLIMITED, List.of(), false);
        return new SecurityAssociation(c, 1, new Random(1));
    }

    /** {@code n} SPIs (above 255) whose lookups start at {@code home} in a table of {@code capacity}, skipping {@code not}. */
    static List<Integer> spisAt(int home, int capacity, int n, List<Integer> not) {
        List<Integer> out = new ArrayList<>();
        for (int spi = 0x1000; out.size() < n; spi++) {
            if (SaTable.homeSlot(SecurityProtocol.ESP, spi, capacity) == home && !not.contains(spi)) {
                out.add(spi);
            }
        }
        return out;
    }

    /**
     * Three SAs whose home is the last slot (so two wrap to slots 0 and 1) and one whose home
     * is slot 0 (pushed to slot 2): the layout where a backward shift has to cross the end.
     */
    private static List<SecurityAssociation> wrappedRun(int capacity) {
        List<Integer> last = spisAt(capacity - 1, capacity, 3, List.of());
        int first = spisAt(0, capacity, 1, last).getFirst();
        List<SecurityAssociation> out = new ArrayList<>();
        for (int spi : last) {
            out.add(sa("last-" + out.size(), SecurityProtocol.ESP, spi));
        }
        out.add(sa("first", SecurityProtocol.ESP, first));
        return out;
    }

    private static int slot(SaTable t, SecurityAssociation sa) {
        return t.slotOf(sa.config().protocol(), sa.spi());
    }

    private static void assertFinds(SaTable t, List<SecurityAssociation> present, List<SecurityAssociation> absent) {
        t.checkInvariants();
        for (SecurityAssociation sa : present) {
            assertSame(sa, t.find(sa.config().protocol(), sa.spi()), sa.name());
        }
        for (SecurityAssociation sa : absent) {
            assertNull(t.find(sa.config().protocol(), sa.spi()), sa.name());
        }
        assertEquals(present.size(), t.size());
    }

    @Test
    void removingAtTheLastSlotShiftsTheRunBackAcrossTheEnd() {
        List<SecurityAssociation> s = wrappedRun(16);
        SaTable t = SaTable.EMPTY.with(s, List.of());
        assertEquals(16, t.capacity());
        assertEquals(List.of(15, 0, 1, 2), s.stream().map(sa -> slot(t, sa)).toList());

        SaTable u = t.with(List.of(), List.of(s.get(0)));
        assertEquals(16, u.capacity());
        assertEquals(List.of(15, 0, 1), s.subList(1, 4).stream().map(sa -> slot(u, sa)).toList(),
                "both wrapped SAs move back, the second across the end; the one at home 0 follows");
        assertFinds(u, s.subList(1, 4), List.of(s.get(0)));
        assertFinds(t, s, List.of()); // the old snapshot is untouched
    }

    @Test
    void removingAWrappedEntryShiftsOnlyWhatMayMove() {
        List<SecurityAssociation> s = wrappedRun(16);
        SaTable t = SaTable.EMPTY.with(s, List.of());
        SaTable u = t.with(List.of(), List.of(s.get(1))); // the one in slot 0, home 15
        assertEquals(List.of(15, 0, 1), List.of(slot(u, s.get(0)), slot(u, s.get(2)), slot(u, s.get(3))));
        assertFinds(u, List.of(s.get(0), s.get(2), s.get(3)), List.of(s.get(1)));
    }

    @Test
    void anEntryAtItsHomeDoesNotMoveIntoAHoleBeforeIt() {
        int spiLast = spisAt(15, 16, 1, List.of()).getFirst();
        List<Integer> atZero = spisAt(0, 16, 2, List.of());
        SecurityAssociation a = sa("a", SecurityProtocol.ESP, spiLast);
        SecurityAssociation b = sa("b", SecurityProtocol.ESP, atZero.get(0));
        SecurityAssociation c = sa("c", SecurityProtocol.ESP, atZero.get(1));
        SaTable t = SaTable.EMPTY.with(List.of(a, b, c), List.of());
        assertEquals(List.of(15, 0, 1), List.of(slot(t, a), slot(t, b), slot(t, c)));
        SaTable u = t.with(List.of(), List.of(a));
        assertEquals(List.of(0, 1), List.of(slot(u, b), slot(u, c)), "homes after the hole: nothing moves");
        assertFinds(u, List.of(b, c), List.of(a));
    }

    @Test
    void aDuplicateSpiIsRejectedAndChangesNothing() {
        SecurityAssociation a = sa("a", SecurityProtocol.ESP, 0x1234);
        SecurityAssociation ah = sa("ah", SecurityProtocol.AH, 0x1234);
        SaTable t = SaTable.EMPTY.with(List.of(a, ah), List.of());
        assertFinds(t, List.of(a, ah), List.of());
        SecurityAssociation again = sa("again", SecurityProtocol.ESP, 0x1234);
        SecurityAssociation other = sa("other", SecurityProtocol.ESP, 0x5678);
        assertThrows(IllegalArgumentException.class, () -> t.with(List.of(other, again), List.of()));
        assertThrows(IllegalArgumentException.class, () -> t.with(List.of(other, other), List.of()));
        assertThrows(IllegalArgumentException.class, () -> new SaTable(List.of(a, again)));
        assertThrows(IllegalArgumentException.class, () -> t.with(List.of(), List.of(again)), "not in the table");
        assertFinds(t, List.of(a, ah), List.of(other));
        SaTable replaced = t.with(List.of(again), List.of(a));
        assertFinds(replaced, List.of(again, ah), List.of());
    }

    @Test
    void growsAndShrinksKeepingEverySa() {
        List<SecurityAssociation> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            all.add(sa("s" + i, SecurityProtocol.ESP, 0x1000 + i * 7919));
        }
        SaTable t = SaTable.EMPTY;
        for (int i = 0; i < all.size(); i++) {
            t = t.with(List.of(all.get(i)), List.of());
            assertFinds(t, all.subList(0, i + 1), all.subList(i + 1, all.size()));
        }
        assertEquals(512, t.capacity());
        for (int i = 0; i < all.size(); i++) {
            t = t.with(List.of(), List.of(all.get(i)));
            assertFinds(t, all.subList(i + 1, all.size()), all.subList(0, i + 1));
        }
        assertEquals(16, t.capacity(), "shrunk back once mostly empty");
    }

    /**
     * Thousands of random batches through {@link SaTable#with}, checked after each against a
     * map and against a table built from scratch. SPIs come from a small range, so ESP and AH
     * share SPIs, tables are crowded and duplicates are tried.
     */
    @Test
    void randomChangesAgreeWithATableBuiltFromScratch() {
        Random r = new Random(7);
        List<SecurityAssociation> pool = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            pool.add(sa("p" + i, r.nextBoolean() ? SecurityProtocol.ESP : SecurityProtocol.AH, 256 + r.nextInt(300)));
        }
        Map<Long, SecurityAssociation> oracle = new HashMap<>();
        SaTable t = SaTable.EMPTY;
        for (int step = 0; step < 4000; step++) {
            boolean growing = (step / 500) % 2 == 0;
            List<SecurityAssociation> added = new ArrayList<>();
            List<SecurityAssociation> removed = new ArrayList<>();
            Map<Long, SecurityAssociation> next = new HashMap<>(oracle);
            int n = r.nextInt(10) == 0 ? 1 + r.nextInt(20) : 1;
            for (int i = 0; i < n; i++) {
                if (r.nextInt(100) < (growing ? 70 : 30) || next.isEmpty()) {
                    SecurityAssociation sa = pool.get(r.nextInt(pool.size()));
                    if (next.putIfAbsent(key(sa), sa) == null) {
                        added.add(sa);
                    }
                } else {
                    List<SecurityAssociation> in = new ArrayList<>(next.values());
                    SecurityAssociation sa = in.get(r.nextInt(in.size()));
                    next.remove(key(sa));
                    if (!added.remove(sa)) {
                        removed.add(sa);
                    }
                }
            }
            if (r.nextInt(50) == 0 && !oracle.isEmpty()) {
                SecurityAssociation clash = clashWith(pool, oracle, next);
                if (clash != null) {
                    SaTable before = t;
                    List<SecurityAssociation> bad = new ArrayList<>(added);
                    bad.add(clash);
                    assertThrows(IllegalArgumentException.class, () -> before.with(bad, removed));
                }
            }
            t = t.with(added, removed);
            oracle = next;
            t.checkInvariants();
            SaTable scratch = new SaTable(oracle.values());
            for (SecurityAssociation sa : pool) {
                SecurityAssociation expected = oracle.get(key(sa));
                assertSame(expected, t.find(sa.config().protocol(), sa.spi()), "step " + step);
                assertSame(expected, scratch.find(sa.config().protocol(), sa.spi()));
            }
            assertEquals(oracle.size(), t.size());
        }
    }

    /** An SA of the pool whose key is taken in both {@code before} and {@code after}, by another SA. */
    private static SecurityAssociation clashWith(List<SecurityAssociation> pool, Map<Long, SecurityAssociation> before,
                                                 Map<Long, SecurityAssociation> after) {
        for (SecurityAssociation sa : pool) {
            SecurityAssociation a = before.get(key(sa));
            if (a != null && a != sa && after.get(key(sa)) == a) {
                return sa;
            }
        }
        return null;
    }

    private static long key(SecurityAssociation sa) {
        return (long) sa.config().protocol().ipProtocol() << 32 | (sa.spi() & 0xffffffffL);
    }

    @Test
    void theOldSnapshotStaysValidWhileTheNewOneChanges() {
        List<SecurityAssociation> s = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            s.add(sa("s" + i, SecurityProtocol.ESP, 0x2000 + i));
        }
        SaTable t1 = SaTable.EMPTY.with(s.subList(0, 3), List.of());
        SaTable t2 = t1.with(s.subList(3, 6), s.subList(0, 1));
        assertFinds(t1, s.subList(0, 3), s.subList(3, 6));
        assertFinds(t2, s.subList(1, 6), s.subList(0, 1));
        assertSame(t2, t2.with(List.of(), List.of()));
        assertTrue(t2.size() == 5);
    }
}
