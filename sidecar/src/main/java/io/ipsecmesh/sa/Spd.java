package io.ipsecmesh.sa;

import io.ipsecmesh.packet.PacketInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable snapshot of the security policy database for one direction, read lock-free by
 * the workers.
 *
 * <p>Lookup is a tuple-space search (as in Open vSwitch's classifier): entries are grouped by
 * (family, source prefix length, destination prefix length); each group is a hash table keyed by
 * the masked address pair. A lookup costs one hash probe per group, whatever the number of
 * entries: a mesh with thousands of pod-pair policies has one group. Within a bucket, entries are
 * ordered by rank (priority, specificity, installation order), and groups are visited in order of
 * their best rank, so the search stops as soon as no later group can win.
 *
 * <p>A snapshot is made from scratch by {@link #build} or {@link #of}, or derived from the
 * previous one by {@link #with}: that shares every group the change does not touch and copies
 * the arrays of a touched group once, so a change of a few entries costs O(change) plus an array
 * copy instead of a rebuild. This is safe because nothing reachable from a published snapshot is
 * ever written again: a group is changed only while it is a fresh copy, and a bucket (an
 * {@code Entry[]}) is replaced, never modified, so old and new snapshots share buckets.
 */
public final class Spd {
    /** A resolved entry: the policy, its SA (for protect; may be null when not installed), and its rank. */
    public record Entry(Policy policy, SecurityAssociation sa, long rank) {
    }

    /** How many low bits of a rank hold the installation order. */
    public static final int ORDER_BITS = 28;
    /** The largest installation order a rank can hold. */
    public static final long MAX_ORDER = (1L << ORDER_BITS) - 1;

    private static final Comparator<Entry> BY_RANK = Comparator.comparingLong(Entry::rank);
    private static final Comparator<Group> BY_BEST_RANK = Comparator.comparingLong(g -> g.bestRank);

    private final Group[] groups;
    private final int size;

    private Spd(Group[] groups, int size) {
        this.groups = groups;
        this.size = size;
    }

    public static final Spd EMPTY = new Spd(new Group[0], 0);

    /**
     * The rank of a policy installed as the {@code order}-th (0 first): lower wins. Priority
     * first, then longer prefixes, then protocol/ports, then installation order.
     */
    public static long rank(Policy p, long order) {
        if (order < 0 || order > MAX_ORDER) {
            throw new IllegalArgumentException("installation order out of range: " + order);
        }
        TrafficSelector ts = p.selector();
        int specific = ts.src().totalBits() + ts.dst().totalBits();
        int l4 = (ts.protocol() >= 0 ? 2 : 0) + (ts.anyPorts() ? 0 : 1);
        return ((long) p.priority() << 40) | ((long) (256 - specific) << 30) | ((long) (3 - l4) << ORDER_BITS) | order;
    }

    /** Builds a snapshot, the policies ranked in list order; {@code sas} resolves protect policies' SA names. */
    public static Spd build(List<Policy> policies, Map<String, SecurityAssociation> sas) {
        List<Entry> entries = new ArrayList<>(policies.size());
        long order = 0;
        for (Policy p : policies) {
            SecurityAssociation sa = p.saName() == null ? null : sas.get(p.saName());
            entries.add(new Entry(p, sa, rank(p, order++)));
        }
        return of(entries);
    }

    /** Builds a snapshot of entries already ranked (see {@link #rank}). */
    public static Spd of(Collection<Entry> entries) {
        return EMPTY.with(entries, List.of());
    }

    /**
     * This snapshot with {@code removed} taken out and then {@code added} put in; this one is
     * left as it is. Groups the change does not touch are shared with this snapshot.
     *
     * @param added   entries not in this snapshot
     * @param removed entries in this snapshot (equal by {@link Entry#equals})
     * @throws IllegalArgumentException if a removed entry is not in this snapshot
     */
    public Spd with(Collection<Entry> added, Collection<Entry> removed) {
        if (added.isEmpty() && removed.isEmpty()) {
            return this;
        }
        Map<Long, List<Entry>> adds = byShape(added);
        Map<Long, List<Entry>> removes = byShape(removed);
        Set<Long> touched = new LinkedHashSet<>(removes.keySet());
        touched.addAll(adds.keySet());
        List<Group> next = new ArrayList<>(Arrays.asList(groups));
        for (long shape : touched) {
            List<Entry> in = adds.getOrDefault(shape, List.of());
            List<Entry> out = removes.getOrDefault(shape, List.of());
            int i = indexOf(next, shape);
            if (i < 0) {
                if (!out.isEmpty()) {
                    throw notFound(out.getFirst());
                }
                next.add(Group.build(shape, in));
                continue;
            }
            Group g = next.get(i).with(in, out);
            if (g == null) {
                next.remove(i);
            } else {
                next.set(i, g);
            }
        }
        next.sort(BY_BEST_RANK);
        return new Spd(next.toArray(new Group[0]), size + added.size() - removed.size());
    }

    public int size() {
        return size;
    }

    /** The winning entry for the packet, or null when no policy covers it. */
    public Entry lookup(PacketInfo p) {
        boolean v4 = p.version == 4;
        Entry best = null;
        for (Group g : groups) {
            // g.bestRank is at most the rank of any entry in g, and later groups' are larger still:
            // once it exceeds the best found, nothing left can win.
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

    /** A group's key: family, source and destination prefix lengths (over the 128-bit form). */
    private static long shapeOf(TrafficSelector ts) {
        return (ts.src().v4() ? 1L << 16 : 0) | (long) ts.src().totalBits() << 8 | ts.dst().totalBits();
    }

    private static Map<Long, List<Entry>> byShape(Collection<Entry> entries) {
        Map<Long, List<Entry>> out = new LinkedHashMap<>();
        for (Entry e : entries) {
            out.computeIfAbsent(shapeOf(e.policy().selector()), k -> new ArrayList<>()).add(e);
        }
        return out;
    }

    private static int indexOf(List<Group> groups, long shape) {
        for (int i = 0; i < groups.size(); i++) {
            if (groups.get(i).shape == shape) {
                return i;
            }
        }
        return -1;
    }

    private static IllegalArgumentException notFound(Entry e) {
        return new IllegalArgumentException("not in this SPD: " + e.policy() + " (rank " + e.rank() + ")");
    }

    // ---- for tests: the layout of the hash tables ----

    /** The slot where the selector's address pair would be looked up first, in a table of that capacity. */
    static int homeSlot(TrafficSelector ts, int capacity) {
        return Group.hash(ts.src().hi(), ts.src().lo(), ts.dst().hi(), ts.dst().lo()) & (capacity - 1);
    }

    /** The capacity of the group the selector belongs to, 0 if there is none. */
    int capacityOf(TrafficSelector ts) {
        for (Group g : groups) {
            if (g.shape == shapeOf(ts)) {
                return g.values.length;
            }
        }
        return 0;
    }

    /** The slot holding the selector's address pair, -1 if none. */
    int slotOf(TrafficSelector ts) {
        for (Group g : groups) {
            if (g.shape == shapeOf(ts)) {
                int slot = g.slotFor(ts.src().hi(), ts.src().lo(), ts.dst().hi(), ts.dst().lo());
                return g.values[slot] == null ? -1 : slot;
            }
        }
        return -1;
    }

    /** Throws IllegalStateException unless every structural invariant holds. */
    void checkInvariants() {
        int total = 0;
        for (int i = 0; i < groups.length; i++) {
            if (i > 0 && groups[i - 1].bestRank > groups[i].bestRank) {
                throw new IllegalStateException("groups out of order at " + i);
            }
            total += groups[i].checkInvariants();
        }
        if (total != size) {
            throw new IllegalStateException("size " + size + " but " + total + " entries");
        }
    }

    /**
     * One (family, source length, destination length) shape: an open-addressing hash table with
     * linear probing, kept at most half full.
     *
     * <p>The counters are written only while a group is being made (built, copied, rehashed)
     * and not yet in a published snapshot; the snapshot reaches the workers through a volatile
     * write, which publishes them along with the arrays.
     */
    private static final class Group {
        private static final Entry[] NO_ENTRIES = new Entry[0];

        final long shape;
        final boolean v4;
        final long mSrcHi, mSrcLo, mDstHi, mDstLo;
        final long[] keys; // 4 longs per slot: masked source hi, lo, destination hi, lo
        /** Per slot: null (free) or the bucket of entries for that address pair, sorted by rank. */
        final Entry[][] values;
        final int mask;
        /**
         * At most the rank of every entry in the group: exact after a build or a rehash, and
         * lowered by additions; a removal leaves it as it is, possibly below every remaining
         * rank. A lower bound is enough for {@link Spd#lookup}: it skips a group only when this
         * bound, and so every rank in the group, is above the best entry found, and groups
         * sorted by their bounds keep that true for every later group. A stale bound only makes
         * a lookup probe a group it could have skipped, until the group is next rehashed.
         */
        long bestRank = Long.MAX_VALUE;
        int buckets;
        int entries;

        /** An empty group: its shape, the masks of that shape, and a capacity (a power of two). */
        private Group(long shape, boolean v4, long mSrcHi, long mSrcLo, long mDstHi, long mDstLo, int capacity) {
            this.shape = shape;
            this.v4 = v4;
            this.mSrcHi = mSrcHi;
            this.mSrcLo = mSrcLo;
            this.mDstHi = mDstHi;
            this.mDstLo = mDstLo;
            keys = new long[capacity * 4];
            values = new Entry[capacity][];
            mask = capacity - 1;
        }

        /** An exact copy of {@code g}, its arrays cloned (the buckets are shared: never written). */
        private Group(Group g) {
            shape = g.shape;
            v4 = g.v4;
            mSrcHi = g.mSrcHi;
            mSrcLo = g.mSrcLo;
            mDstHi = g.mDstHi;
            mDstLo = g.mDstLo;
            keys = g.keys.clone();
            values = g.values.clone();
            mask = g.mask;
            bestRank = g.bestRank;
            buckets = g.buckets;
            entries = g.entries;
        }

        /** Capacity for {@code n} buckets: a power of two at least 2n (load at most 1/2), at least 8. */
        static int capacityFor(int n) {
            return Integer.highestOneBit(Math.max(4, n * 2 - 1)) << 1;
        }

        static int hash(long a, long b, long c, long d) {
            long h = a * 0x9E3779B97F4A7C15L ^ b * 0xC2B2AE3D27D4EB4FL ^ c * 0x165667B19E3779F9L ^ d * 0x27D4EB2F165667C5L;
            h ^= h >>> 29;
            return (int) h;
        }

        /**
         * A group from scratch. Entries are placed in rank order after counting each bucket, so
         * every bucket array is allocated once, at its size, and comes out sorted.
         */
        static Group build(long shape, List<Entry> entries) {
            Entry[] sorted = entries.toArray(new Entry[0]);
            Arrays.sort(sorted, BY_RANK);
            TrafficSelector ts = sorted[0].policy().selector();
            Group g = new Group(shape, ts.src().v4(), ts.src().maskHi(), ts.src().maskLo(), ts.dst().maskHi(),
                    ts.dst().maskLo(), capacityFor(sorted.length));
            int[] slotOf = new int[sorted.length];
            int[] count = new int[g.values.length];
            for (int i = 0; i < sorted.length; i++) {
                int slot = g.slotFor(sorted[i]);
                if (g.values[slot] == null) {
                    g.claim(slot, sorted[i], NO_ENTRIES);
                }
                slotOf[i] = slot;
                count[slot]++;
            }
            int[] filled = new int[g.values.length];
            for (int i = 0; i < sorted.length; i++) {
                int slot = slotOf[i];
                if (filled[slot] == 0) {
                    g.values[slot] = new Entry[count[slot]];
                }
                g.values[slot][filled[slot]++] = sorted[i];
            }
            g.entries = sorted.length;
            g.bestRank = sorted[0].rank();
            return g;
        }

        /**
         * A new group: this one with {@code removes} taken out and {@code adds} put in, or null
         * when nothing is left. The arrays are copied once (into a larger table if the additions
         * could take the load above 1/2), changed in place, and shrunk if mostly empty.
         */
        Group with(List<Entry> adds, List<Entry> removes) {
            int room = buckets + adds.size();
            Group g = room * 2 > values.length ? rehashed(capacityFor(room)) : new Group(this);
            for (Entry e : removes) {
                g.remove(e);
            }
            for (Entry e : adds) {
                g.add(e);
            }
            if (g.entries == 0) {
                return null;
            }
            boolean sparse = g.buckets * 8 < g.values.length && capacityFor(g.buckets) < g.values.length;
            return sparse ? g.rehashed(capacityFor(g.buckets)) : g;
        }

        /** A copy in a table of {@code capacity} slots, its best rank made exact again. */
        private Group rehashed(int capacity) {
            Group g = new Group(shape, v4, mSrcHi, mSrcLo, mDstHi, mDstLo, capacity);
            for (int slot = 0; slot < values.length; slot++) {
                Entry[] bucket = values[slot];
                if (bucket != null) {
                    int to = g.slotFor(keys[slot * 4], keys[slot * 4 + 1], keys[slot * 4 + 2], keys[slot * 4 + 3]);
                    System.arraycopy(keys, slot * 4, g.keys, to * 4, 4);
                    g.values[to] = bucket;
                    g.bestRank = Math.min(g.bestRank, bucket[0].rank());
                }
            }
            g.buckets = buckets;
            g.entries = entries;
            return g;
        }

        private void add(Entry e) {
            int slot = slotFor(e);
            Entry[] bucket = values[slot];
            if (bucket == null) {
                claim(slot, e, new Entry[] {e});
            } else {
                values[slot] = inserted(bucket, e);
            }
            entries++;
            bestRank = Math.min(bestRank, e.rank());
        }

        private void remove(Entry e) {
            int slot = slotFor(e);
            Entry[] bucket = values[slot];
            int i = bucket == null ? -1 : Arrays.asList(bucket).indexOf(e);
            if (i < 0) {
                throw notFound(e);
            }
            if (bucket.length == 1) {
                free(slot);
                buckets--;
            } else {
                values[slot] = removed(bucket, i);
            }
            entries--;
        }

        /** A new bucket: {@code bucket} with {@code e} inserted after the entries that rank before or with it. */
        private static Entry[] inserted(Entry[] bucket, Entry e) {
            int at = 0;
            int hi = bucket.length;
            while (at < hi) {
                int mid = (at + hi) >>> 1;
                if (bucket[mid].rank() <= e.rank()) {
                    at = mid + 1;
                } else {
                    hi = mid;
                }
            }
            Entry[] out = new Entry[bucket.length + 1];
            System.arraycopy(bucket, 0, out, 0, at);
            out[at] = e;
            System.arraycopy(bucket, at, out, at + 1, bucket.length - at);
            return out;
        }

        private static Entry[] removed(Entry[] bucket, int i) {
            Entry[] out = new Entry[bucket.length - 1];
            System.arraycopy(bucket, 0, out, 0, i);
            System.arraycopy(bucket, i + 1, out, i, out.length - i);
            return out;
        }

        private void claim(int slot, Entry e, Entry[] bucket) {
            Prefix s = e.policy().selector().src();
            Prefix d = e.policy().selector().dst();
            int k = slot * 4;
            keys[k] = s.hi();
            keys[k + 1] = s.lo();
            keys[k + 2] = d.hi();
            keys[k + 3] = d.lo();
            values[slot] = bucket;
            buckets++;
        }

        /**
         * Empties a slot without breaking any probe sequence (backward-shift deletion for linear
         * probing): walks the run of occupied slots after the hole, and moves back into the hole
         * each bucket whose home slot is not cyclically between the hole and where it sits (a
         * lookup for it starts at or before the hole, so it would otherwise stop at the hole).
         * The slot it leaves becomes the hole. No tombstones, so lookups never slow down.
         */
        private void free(int hole) {
            int j = hole;
            while (true) {
                j = (j + 1) & mask;
                if (values[j] == null) {
                    break;
                }
                int k = j * 4;
                int home = hash(keys[k], keys[k + 1], keys[k + 2], keys[k + 3]) & mask;
                if (((j - home) & mask) >= ((j - hole) & mask)) {
                    System.arraycopy(keys, k, keys, hole * 4, 4);
                    values[hole] = values[j];
                    hole = j;
                }
            }
            Arrays.fill(keys, hole * 4, hole * 4 + 4, 0);
            values[hole] = null;
        }

        private int slotFor(Entry e) {
            Prefix s = e.policy().selector().src();
            Prefix d = e.policy().selector().dst();
            return slotFor(s.hi(), s.lo(), d.hi(), d.lo());
        }

        /** The slot holding the address pair, or the free slot where it would go. */
        int slotFor(long sh, long sl, long dh, long dl) {
            int slot = hash(sh, sl, dh, dl) & mask;
            while (values[slot] != null && !keyAt(slot, sh, sl, dh, dl)) {
                slot = (slot + 1) & mask;
            }
            return slot;
        }

        private boolean keyAt(int slot, long sh, long sl, long dh, long dl) {
            int k = slot * 4;
            return keys[k] == sh && keys[k + 1] == sl && keys[k + 2] == dh && keys[k + 3] == dl;
        }

        /** The packet path: allocation-free. */
        Entry find(PacketInfo p, long rankToBeat) {
            long sh = p.srcHi & mSrcHi, sl = p.srcLo & mSrcLo, dh = p.dstHi & mDstHi, dl = p.dstLo & mDstLo;
            int slot = hash(sh, sl, dh, dl) & mask;
            while (true) {
                Entry[] v = values[slot];
                if (v == null) {
                    return null;
                }
                if (keyAt(slot, sh, sl, dh, dl)) {
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

        /** Checks the table (see {@link Spd#checkInvariants}); returns the number of entries. */
        int checkInvariants() {
            int seenBuckets = 0;
            int seenEntries = 0;
            for (int slot = 0; slot < values.length; slot++) {
                Entry[] bucket = values[slot];
                if (bucket == null) {
                    continue;
                }
                seenBuckets++;
                seenEntries += bucket.length;
                if (bucket.length == 0) {
                    throw new IllegalStateException("empty bucket at " + slot);
                }
                for (int i = 0; i < bucket.length; i++) {
                    Entry e = bucket[i];
                    if (shapeOf(e.policy().selector()) != shape || slotFor(e) != slot) {
                        throw new IllegalStateException(e.policy() + " is not reachable at slot " + slot);
                    }
                    if (i > 0 && bucket[i - 1].rank() > e.rank()) {
                        throw new IllegalStateException("bucket at " + slot + " out of rank order");
                    }
                    if (e.rank() < bestRank) {
                        throw new IllegalStateException("best rank " + bestRank + " above " + e.rank());
                    }
                }
            }
            if (seenBuckets != buckets || seenEntries != entries || buckets * 2 > values.length) {
                throw new IllegalStateException("counts: " + buckets + "/" + seenBuckets + " buckets, "
                        + entries + "/" + seenEntries + " entries, capacity " + values.length);
            }
            return entries;
        }
    }
}
