package io.ipsecmesh.sa;

import io.ipsecmesh.packet.PacketInfo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of the security policy database for one direction, built once per
 * change and read lock-free by the workers.
 *
 * <p>Lookup is a tuple-space search (as in Open vSwitch's classifier): entries are grouped by
 * (family, source prefix length, destination prefix length); each group is a hash table keyed by
 * the masked address pair. A lookup costs one hash probe per group, whatever the number of
 * entries: a mesh with thousands of pod-pair policies has one group. Within a bucket, entries are
 * ordered by rank (priority, specificity, installation order), and groups are visited in order of
 * their best rank, so the search stops as soon as no later group can win.
 */
public final class Spd {
    /** A resolved entry: the policy, its SA (for protect; may be null when not installed), and its rank. */
    public record Entry(Policy policy, SecurityAssociation sa, long rank) {
    }

    private final Group[] groups;
    private final int size;

    private Spd(Group[] groups, int size) {
        this.groups = groups;
        this.size = size;
    }

    public static final Spd EMPTY = new Spd(new Group[0], 0);

    /** Builds a snapshot; {@code sas} resolves protect policies' SA names. */
    public static Spd build(List<Policy> policies, Map<String, SecurityAssociation> sas) {
        Map<Long, List<Entry>> byShape = new HashMap<>();
        int order = 0;
        for (Policy p : policies) {
            TrafficSelector ts = p.selector();
            int specific = ts.src().totalBits() + ts.dst().totalBits();
            int l4 = (ts.protocol() >= 0 ? 2 : 0) + (ts.anyPorts() ? 0 : 1);
            // Lower rank wins: priority first, then longer prefixes, then protocol/ports, then order.
            long rank = ((long) p.priority() << 40) | ((long) (256 - specific) << 30) | ((long) (3 - l4) << 28) | order++;
            SecurityAssociation sa = p.saName() == null ? null : sas.get(p.saName());
            long shape = (ts.src().v4() ? 1L << 20 : 0) | (long) ts.src().totalBits() << 8 | ts.dst().totalBits();
            byShape.computeIfAbsent(shape, k -> new ArrayList<>()).add(new Entry(p, sa, rank));
        }
        List<Group> groups = new ArrayList<>();
        for (List<Entry> entries : byShape.values()) {
            groups.add(new Group(entries));
        }
        groups.sort(Comparator.comparingLong(g -> g.bestRank));
        return new Spd(groups.toArray(new Group[0]), policies.size());
    }

    public int size() {
        return size;
    }

    /** The winning entry for the packet, or null when no policy covers it. */
    public Entry lookup(PacketInfo p) {
        boolean v4 = p.version == 4;
        Entry best = null;
        for (Group g : groups) {
            if (best != null && g.bestRank > best.rank()) {
                break;
            }
            if (g.v4 != v4) {
                continue;
            }
            Entry e = g.find(p, best == null ? Long.MAX_VALUE : best.rank());
            if (e != null) {
                best = e;
            }
        }
        return best;
    }

    /** One (family, source length, destination length) shape: an open-addressing hash table. */
    private static final class Group {
        final boolean v4;
        final long mSrcHi, mSrcLo, mDstHi, mDstLo;
        final long bestRank;
        final long[] keys; // 4 longs per slot
        final Entry[][] values;
        final int mask;

        Group(List<Entry> entries) {
            TrafficSelector first = entries.getFirst().policy().selector();
            v4 = first.src().v4();
            mSrcHi = first.src().maskHi();
            mSrcLo = first.src().maskLo();
            mDstHi = first.dst().maskHi();
            mDstLo = first.dst().maskLo();
            Map<List<Long>, List<Entry>> buckets = new HashMap<>();
            long best = Long.MAX_VALUE;
            for (Entry e : entries) {
                TrafficSelector ts = e.policy().selector();
                buckets.computeIfAbsent(List.of(ts.src().hi(), ts.src().lo(), ts.dst().hi(), ts.dst().lo()),
                        k -> new ArrayList<>()).add(e);
                best = Math.min(best, e.rank());
            }
            bestRank = best;
            int cap = Integer.highestOneBit(Math.max(4, buckets.size() * 2 - 1)) << 1;
            mask = cap - 1;
            keys = new long[cap * 4];
            values = new Entry[cap][];
            for (var b : buckets.entrySet()) {
                List<Long> k = b.getKey();
                int slot = slot(k.get(0), k.get(1), k.get(2), k.get(3));
                while (values[slot] != null) {
                    slot = (slot + 1) & mask;
                }
                keys[slot * 4] = k.get(0);
                keys[slot * 4 + 1] = k.get(1);
                keys[slot * 4 + 2] = k.get(2);
                keys[slot * 4 + 3] = k.get(3);
                Entry[] sorted = b.getValue().toArray(new Entry[0]);
                java.util.Arrays.sort(sorted, Comparator.comparingLong(Entry::rank));
                values[slot] = sorted;
            }
        }

        private int slot(long a, long b, long c, long d) {
            long h = a * 0x9E3779B97F4A7C15L ^ b * 0xC2B2AE3D27D4EB4FL ^ c * 0x165667B19E3779F9L ^ d * 0x27D4EB2F165667C5L;
            h ^= h >>> 29;
            return (int) h & mask;
        }

        Entry find(PacketInfo p, long rankToBeat) {
            long sh = p.srcHi & mSrcHi, sl = p.srcLo & mSrcLo, dh = p.dstHi & mDstHi, dl = p.dstLo & mDstLo;
            int slot = slot(sh, sl, dh, dl);
            while (true) {
                Entry[] v = values[slot];
                if (v == null) {
                    return null;
                }
                int k = slot * 4;
                if (keys[k] == sh && keys[k + 1] == sl && keys[k + 2] == dh && keys[k + 3] == dl) {
                    for (Entry e : v) {
                        if (e.rank() >= rankToBeat) {
                            return null;
                        }
                        if (e.policy().selector().matchesUpperLayer(p)) {
                            return e;
                        }
                    }
                    return null;
                }
                slot = (slot + 1) & mask;
            }
        }
    }
}
