package io.ipsecmesh.sa;

import java.util.Collection;
import java.util.List;

/**
 * An immutable snapshot of the inbound SAD: SAs by (protocol, SPI), in an open-addressing table
 * (linear probing, at most half full) of primitive keys so that a lookup allocates nothing.
 *
 * <p>{@link #with} derives the next snapshot from this one by copying the two arrays once and
 * changing the copy, so installing or removing an SA costs an array copy, not a rebuild. The
 * size is written only while a table is being made, before it is published.
 */
public final class SaTable {
    private final long[] keys;
    private final SecurityAssociation[] values;
    private final int mask;
    private int size;

    public static final SaTable EMPTY = new SaTable(List.of());

    /** @throws IllegalArgumentException if two SAs have the same protocol and SPI */
    public SaTable(Collection<SecurityAssociation> inbound) {
        this(capacityFor(inbound.size()));
        for (SecurityAssociation sa : inbound) {
            insert(sa);
        }
    }

    private SaTable(int capacity) {
        keys = new long[capacity];
        values = new SecurityAssociation[capacity];
        mask = capacity - 1;
    }

    /** A copy of {@code t}, its arrays cloned. */
    private SaTable(SaTable t) {
        keys = t.keys.clone();
        values = t.values.clone();
        mask = t.mask;
        size = t.size;
    }

    /** Capacity for {@code n} SAs: a power of two at least 2n (load at most 1/2), at least 16. */
    private static int capacityFor(int n) {
        return Integer.highestOneBit(Math.max(8, n * 2 - 1)) << 1;
    }

    /**
     * This table with {@code removed} taken out and then {@code added} put in; this one is left
     * as it is (also when this throws).
     *
     * @param removed SAs in this table (the same objects)
     * @throws IllegalArgumentException if an added SA has the protocol and SPI of another, or a
     *                                  removed one is not in this table
     */
    public SaTable with(Collection<SecurityAssociation> added, Collection<SecurityAssociation> removed) {
        if (added.isEmpty() && removed.isEmpty()) {
            return this;
        }
        int room = size + added.size();
        SaTable t = room * 2 > values.length ? rehashed(capacityFor(room)) : new SaTable(this);
        for (SecurityAssociation sa : removed) {
            t.remove(sa);
        }
        for (SecurityAssociation sa : added) {
            t.insert(sa);
        }
        boolean sparse = t.size * 8 < t.values.length && capacityFor(t.size) < t.values.length;
        return sparse ? t.rehashed(capacityFor(t.size)) : t;
    }

    public int size() {
        return size;
    }

    private SaTable rehashed(int capacity) {
        SaTable t = new SaTable(capacity);
        for (SecurityAssociation sa : values) {
            if (sa != null) {
                t.insert(sa);
            }
        }
        return t;
    }

    private static long key(SecurityProtocol p, int spi) {
        return (long) p.ipProtocol() << 32 | (spi & 0xffffffffL);
    }

    private static int hash(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ h >>> 32);
    }

    private static long key(SecurityAssociation sa) {
        return key(sa.config().protocol(), sa.spi());
    }

    /** The slot holding the key, or the free slot where it would go. */
    private int slotFor(long key) {
        int slot = hash(key) & mask;
        while (values[slot] != null && keys[slot] != key) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private void insert(SecurityAssociation sa) {
        long key = key(sa);
        int slot = slotFor(key);
        if (values[slot] != null) {
            throw new IllegalArgumentException("two inbound SAs with SPI 0x" + Integer.toHexString(sa.spi()));
        }
        keys[slot] = key;
        values[slot] = sa;
        size++;
    }

    private void remove(SecurityAssociation sa) {
        int slot = slotFor(key(sa));
        if (values[slot] != sa) {
            throw new IllegalArgumentException("not in this SA table: " + sa);
        }
        free(slot);
        size--;
    }

    /**
     * Empties a slot without breaking any probe sequence (backward-shift deletion for linear
     * probing): walks the run of occupied slots after the hole, and moves back into the hole
     * each SA whose home slot is not cyclically between the hole and where it sits (a lookup
     * for it starts at or before the hole, so it would otherwise stop at the hole). The slot it
     * leaves becomes the hole. No tombstones, so lookups never slow down.
     */
    private void free(int hole) {
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            if (values[j] == null) {
                break;
            }
            int home = hash(keys[j]) & mask;
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                keys[hole] = keys[j];
                values[hole] = values[j];
                hole = j;
            }
        }
        keys[hole] = 0;
        values[hole] = null;
    }

    /** The inbound SA for the SPI, or null. */
    public SecurityAssociation find(SecurityProtocol p, int spi) {
        long key = key(p, spi);
        int slot = hash(key) & mask;
        while (true) {
            SecurityAssociation sa = values[slot];
            if (sa == null || keys[slot] == key) {
                return sa;
            }
            slot = (slot + 1) & mask;
        }
    }

    // ---- for tests: the layout of the table ----

    int capacity() {
        return values.length;
    }

    /** The slot where a lookup for the key starts, in a table of that capacity. */
    static int homeSlot(SecurityProtocol p, int spi, int capacity) {
        return hash(key(p, spi)) & (capacity - 1);
    }

    /** The slot holding the SA of that key, -1 if none. */
    int slotOf(SecurityProtocol p, int spi) {
        int slot = slotFor(key(p, spi));
        return values[slot] == null ? -1 : slot;
    }

    /** Throws IllegalStateException unless every SA is reachable from its home slot and the counts agree. */
    void checkInvariants() {
        int seen = 0;
        for (int slot = 0; slot < values.length; slot++) {
            SecurityAssociation sa = values[slot];
            if (sa == null) {
                continue;
            }
            seen++;
            if (keys[slot] != key(sa) || slotFor(keys[slot]) != slot) {
                throw new IllegalStateException(sa + " is not reachable at slot " + slot);
            }
        }
        if (seen != size || size * 2 > values.length) {
            throw new IllegalStateException("size " + size + ", " + seen + " SAs, capacity " + values.length);
        }
    }
}
