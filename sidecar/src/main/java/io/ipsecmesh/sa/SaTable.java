package io.ipsecmesh.sa;

import java.util.Collection;

/**
 * An immutable snapshot of the inbound SAD: SAs by (protocol, SPI), in an open-addressing table
 * of primitive keys so that a lookup allocates nothing.
 */
public final class SaTable {
    private final long[] keys;
    private final SecurityAssociation[] values;
    private final int mask;

    public static final SaTable EMPTY = new SaTable(java.util.List.of());

    public SaTable(Collection<SecurityAssociation> inbound) {
        int cap = Integer.highestOneBit(Math.max(8, inbound.size() * 2 - 1)) << 1;
        mask = cap - 1;
        keys = new long[cap];
        values = new SecurityAssociation[cap];
        for (SecurityAssociation sa : inbound) {
            long key = key(sa.config().protocol(), sa.spi());
            int slot = slot(key);
            while (values[slot] != null) {
                if (keys[slot] == key) {
                    throw new IllegalArgumentException("two inbound SAs with SPI 0x" + Integer.toHexString(sa.spi()));
                }
                slot = (slot + 1) & mask;
            }
            keys[slot] = key;
            values[slot] = sa;
        }
    }

    private static long key(SecurityProtocol p, int spi) {
        return (long) p.ipProtocol() << 32 | (spi & 0xffffffffL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ h >>> 32) & mask;
    }

    /** The inbound SA for the SPI, or null. */
    public SecurityAssociation find(SecurityProtocol p, int spi) {
        long key = key(p, spi);
        int slot = slot(key);
        while (true) {
            SecurityAssociation sa = values[slot];
            if (sa == null || keys[slot] == key) {
                return sa;
            }
            slot = (slot + 1) & mask;
        }
    }
}
