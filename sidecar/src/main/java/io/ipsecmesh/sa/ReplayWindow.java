package io.ipsecmesh.sa;

/**
 * Inbound anti-replay window with extended sequence number support (RFC 4303 §3.4.3 and
 * Appendix A2). A bitmap of {@code size} bits, kept as a ring of longs so that sliding costs
 * only the words that leave the window.
 *
 * <p>The check happens before the ICV is verified (cheap rejection), the update only after it
 * verified, re-checked under the lock because two workers may race on one SA.
 */
public final class ReplayWindow {
    private final int size;
    private final boolean esn;
    private final long[] bits;
    /** Highest authenticated sequence number (64-bit with ESN); 0 before the first packet. */
    private long top;

    public ReplayWindow(int size, boolean esn) {
        if (size < 0 || size > SaConfig.MAX_REPLAY_WINDOW) {
            throw new IllegalArgumentException("replay window size " + size);
        }
        this.size = size;
        this.esn = esn;
        // A ring of at least size+64 bits so that the word holding 'top' never overlaps the oldest.
        this.bits = new long[(size + 63) / 64 + 1];
    }

    public int size() {
        return size;
    }

    public synchronized long top() {
        return top;
    }

    /**
     * The full sequence number a received low 32-bit value stands for (RFC 4303 Appendix A2.2).
     * Without ESN this is just the 32-bit value.
     */
    public synchronized long estimate(int seqLow) {
        long low = seqLow & 0xffffffffL;
        if (!esn) {
            return low;
        }
        long th = top >>> 32;
        long tl = top & 0xffffffffL;
        int w = Math.max(size, 1);
        long bottomLow = (tl - w + 1) & 0xffffffffL;
        if (tl >= w - 1) {
            // Window within one subspace: Case A.
            return (low >= bottomLow ? th : th + 1) << 32 | low;
        }
        // Window spans two subspaces: Case B.
        return (low >= bottomLow ? th - 1 : th) << 32 | low;
    }

    /** Whether {@code seq} may be new: not zero, not below the window, not yet seen. */
    public synchronized boolean check(long seq) {
        if (seq == 0) {
            return false; // sequence numbers start at 1 (RFC 4303 §3.3.3)
        }
        if (size == 0) {
            return true;
        }
        if (Long.compareUnsigned(seq, top) > 0) {
            return true;
        }
        long diff = top - seq;
        if (diff >= size) {
            return false;
        }
        return !isSet(seq);
    }

    /** Marks {@code seq} as received after its ICV verified; false if it turned out to be a replay. */
    public synchronized boolean update(long seq) {
        if (!check(seq)) {
            return false;
        }
        if (size == 0) {
            if (Long.compareUnsigned(seq, top) > 0) {
                top = seq;
            }
            return true;
        }
        if (Long.compareUnsigned(seq, top) > 0) {
            long shift = seq - top;
            if (shift >= (long) bits.length * 64) {
                java.util.Arrays.fill(bits, 0L);
            } else {
                // Clear the bits of the numbers that enter the window above the old top.
                for (long s = top + 1; s != seq + 1; s++) {
                    if ((s & 63) == 0 && seq - s >= 63) {
                        bits[word(s)] = 0L;
                        s += 63;
                    } else {
                        bits[word(s)] &= ~(1L << (s & 63));
                    }
                }
            }
            top = seq;
        }
        bits[word(seq)] |= 1L << (seq & 63);
        return true;
    }

    private boolean isSet(long seq) {
        return (bits[word(seq)] & (1L << (seq & 63))) != 0;
    }

    private int word(long seq) {
        return (int) Long.remainderUnsigned(seq >>> 6, bits.length);
    }
}
