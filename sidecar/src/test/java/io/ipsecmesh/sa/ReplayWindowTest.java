package io.ipsecmesh.sa;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplayWindowTest {

    @Test
    void acceptsEachNumberOnceWithinTheWindow() {
        ReplayWindow w = new ReplayWindow(4096, false);
        assertFalse(w.check(0), "0 is never valid");
        for (long s = 1; s <= 10_000; s++) {
            assertTrue(w.update(s));
            assertFalse(w.update(s), "second copy of " + s);
        }
        assertEquals(10_000, w.top());
        assertFalse(w.check(10_000 - 4096), "just below the window");
        assertFalse(w.check(9_000), "seen");
    }

    @Test
    void outOfOrderWithinTheWindowIsAcceptedOnce() {
        ReplayWindow w = new ReplayWindow(8192, false);
        assertTrue(w.update(9000));
        for (long s = 9000 - 8191; s < 9000; s += 3) {
            assertTrue(w.check(s), "in window " + s);
            assertTrue(w.update(s));
            assertFalse(w.check(s));
        }
        assertFalse(w.check(9000 - 8192), "oldest falls out");
        assertTrue(w.update(100_000), "a big jump clears the bitmap");
        assertTrue(w.check(100_000 - 1));
        assertFalse(w.check(100_000));
    }

    @Test
    void randomOrderAgainstAModel() {
        Random r = new Random(9);
        ReplayWindow w = new ReplayWindow(300, false);
        java.util.Set<Long> seen = new java.util.HashSet<>();
        long top = 0;
        for (int i = 0; i < 200_000; i++) {
            long s = Math.max(1, top + r.nextInt(400) - 350);
            boolean expected = !seen.contains(s) && (s > top || top - s < 300);
            assertEquals(expected, w.update(s), "seq " + s + " top " + top);
            if (expected) {
                seen.add(s);
                top = Math.max(top, s);
            }
        }
    }

    @Test
    void esnEstimatesTheHighBitsAcrossTheWrap() {
        ReplayWindow w = new ReplayWindow(64, true);
        long base = 0xffff_fff0L;
        assertTrue(w.update(base));
        // Low numbers after the wrap belong to the next 2^32 block (RFC 4303 Appendix A2.2, case A).
        assertEquals(0x1_0000_0005L, w.estimate(5));
        assertEquals(base + 3, w.estimate((int) (base + 3)));
        assertTrue(w.update(0x1_0000_0005L));
        // Now the window spans both blocks (case B): a number just below the wrap is still the old block.
        assertEquals(0xffff_fff8L, w.estimate(0xffff_fff8));
        assertTrue(w.update(0xffff_fff8L));
        assertFalse(w.update(0xffff_fff8L));
        assertEquals(0x1_0000_0006L, w.estimate(6));
    }

    @Test
    void windowZeroDisablesReplayChecks() {
        ReplayWindow w = new ReplayWindow(0, false);
        assertTrue(w.update(5));
        assertTrue(w.update(5));
        assertTrue(w.update(1));
        assertFalse(w.check(0));
    }
}
