package io.ipsecmesh.dataplane;

import io.ipsecmesh.dataplane.UserspaceDataPlane.State;
import io.ipsecmesh.sa.Direction;
import io.ipsecmesh.sa.Policy;
import io.ipsecmesh.sa.SaConfig;
import io.ipsecmesh.sa.SaTable;
import io.ipsecmesh.sa.SecurityAssociation;
import io.ipsecmesh.sa.Spd;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The SAs and policies of a {@link UserspaceDataPlane} as the control side sees them, and what
 * changed since the last published snapshot, from which it derives the next {@link State}.
 *
 * <p>Each change costs O(1), plus one entry per policy that names an SA being installed or
 * removed. Publishing applies the changes to the previous snapshot ({@link SaTable#with},
 * {@link Spd#with}): the cost is that of the change plus copying the touched tables' arrays,
 * not a rebuild, which matters once thousands of SAs are installed one CHILD_SA at a time. A
 * table is rebuilt from scratch only when that is no dearer: when the changes since the last
 * snapshot are many compared with its size, or after {@link #replacePolicies}.
 *
 * <p>Policies are a set: installing a policy equal to an installed one changes nothing (the
 * installed one keeps its rank; an equal copy could never win a lookup against it), and
 * removing it removes it. Policies rank in installation order among equals (see
 * {@link Spd#rank}); the order is a counter, renumbered when it would overflow the rank.
 *
 * <p>Not thread-safe: the data plane calls it under its lock.
 */
final class SnapshotBuilder {

    /** Changes since the last snapshot above this many, and above a quarter of the table: rebuild. */
    static final int REBUILD_MIN_CHANGES = 64;

    private final Map<String, SecurityAssociation> sas = new LinkedHashMap<>();
    /** Inbound SAs by protocol and SPI: a duplicate is refused when installed, not when published. */
    private final Map<Long, SecurityAssociation> inboundByKey = new HashMap<>();
    private int udpEncapInbound;
    /** Every policy and its current entry (rank fixed at installation, SA resolved by name), in installation order. */
    private final Map<Policy, Spd.Entry> policies = new LinkedHashMap<>();
    /** The installed protect policies that name each SA, installed or not: their entries change with it. */
    private final Map<String, Set<Policy>> policiesBySa = new HashMap<>();
    private long nextOrder;

    private final Delta<SecurityAssociation> inboundSas = new Delta<>();
    private final Delta<Spd.Entry> inPolicies = new Delta<>();
    private final Delta<Spd.Entry> outPolicies = new Delta<>();
    private boolean rebuildPolicies;

    /**
     * The changes to one table since the last snapshot: what to add to it and what to remove.
     * Adding an element whose removal is pending cancels the removal and vice versa (equal
     * elements are interchangeable in a table), so what a batch installs and removes again
     * costs nothing at publication.
     */
    private static final class Delta<T> {
        final Set<T> added = new LinkedHashSet<>();
        final Set<T> removed = new LinkedHashSet<>();

        void add(T t) {
            if (!removed.remove(t)) {
                added.add(t);
            }
        }

        void remove(T t) {
            if (!added.remove(t)) {
                removed.add(t);
            }
        }

        int size() {
            return added.size() + removed.size();
        }

        void clear() {
            added.clear();
            removed.clear();
        }
    }

    Map<String, SecurityAssociation> sas() {
        return Collections.unmodifiableMap(sas);
    }

    /** The installed policies, in installation order. */
    List<Policy> policies() {
        return List.copyOf(policies.keySet());
    }

    /** Throws IllegalArgumentException if the SA's name, or for an inbound SA its protocol and SPI, is taken. */
    void checkInstallable(SaConfig c) {
        if (sas.containsKey(c.name())) {
            throw new IllegalArgumentException("an SA named '" + c.name() + "' is installed already");
        }
        if (c.direction() == Direction.IN && inboundByKey.containsKey(key(c))) {
            throw new IllegalArgumentException("two inbound SAs with SPI 0x" + Integer.toHexString(c.spi()));
        }
    }

    /** Installs an SA that {@link #checkInstallable} accepted. */
    void addSa(SecurityAssociation sa) {
        checkInstallable(sa.config());
        sas.put(sa.name(), sa);
        if (sa.config().direction() == Direction.IN) {
            inboundByKey.put(key(sa.config()), sa);
            udpEncapInbound += sa.config().udpEncap() != null ? 1 : 0;
            inboundSas.add(sa);
        }
        refreshPoliciesNaming(sa.name());
    }

    /** Removes the named SA; returns it, or null if there was none. */
    SecurityAssociation removeSa(String name) {
        SecurityAssociation sa = sas.remove(name);
        if (sa == null) {
            return null;
        }
        if (sa.config().direction() == Direction.IN) {
            inboundByKey.remove(key(sa.config()));
            udpEncapInbound -= sa.config().udpEncap() != null ? 1 : 0;
            inboundSas.remove(sa);
        }
        refreshPoliciesNaming(name);
        return sa;
    }

    /** Adds a policy; false (and nothing changes) if an equal one is installed. */
    boolean addPolicy(Policy p) {
        if (policies.containsKey(p)) {
            return false;
        }
        if (nextOrder > Spd.MAX_ORDER) {
            renumber();
        }
        Spd.Entry e = new Spd.Entry(p, p.saName() == null ? null : sas.get(p.saName()), Spd.rank(p, nextOrder++));
        policies.put(p, e);
        if (p.saName() != null) {
            policiesBySa.computeIfAbsent(p.saName(), k -> new LinkedHashSet<>()).add(p);
        }
        deltaOf(p).add(e);
        return true;
    }

    /** Removes the policy equal to {@code p}; false if there was none. */
    boolean removePolicy(Policy p) {
        Spd.Entry e = policies.remove(p);
        if (e == null) {
            return false;
        }
        if (p.saName() != null) {
            Set<Policy> naming = policiesBySa.get(p.saName());
            naming.remove(p);
            if (naming.isEmpty()) {
                policiesBySa.remove(p.saName());
            }
        }
        deltaOf(p).remove(e);
        return true;
    }

    /** Replaces every policy (equal ones once); both SPDs are rebuilt at the next snapshot. */
    void replacePolicies(List<Policy> ps) {
        policies.clear();
        policiesBySa.clear();
        inPolicies.clear();
        outPolicies.clear();
        nextOrder = 0;
        rebuildPolicies = true;
        for (Policy p : ps) {
            addPolicy(p);
        }
    }

    /** Whether anything changed since the last snapshot. */
    boolean hasChanges() {
        return rebuildPolicies || inboundSas.size() + inPolicies.size() + outPolicies.size() > 0;
    }

    /** The next snapshot: {@code previous} with the changes since applied. Clears the changes. */
    State next(State previous) {
        SaTable table = isLarge(inboundSas, previous.inbound().size())
                ? new SaTable(inboundSasNow())
                : previous.inbound().with(inboundSas.added, inboundSas.removed);
        Spd in = next(previous.inboundPolicies(), inPolicies, Direction.IN);
        Spd out = next(previous.outbound(), outPolicies, Direction.OUT);
        inboundSas.clear();
        inPolicies.clear();
        outPolicies.clear();
        rebuildPolicies = false;
        return new State(table, out, in, udpEncapInbound > 0);
    }

    /** Forgets everything (the caller zeroes the SAs). */
    void clear() {
        sas.clear();
        inboundByKey.clear();
        udpEncapInbound = 0;
        policies.clear();
        policiesBySa.clear();
        nextOrder = 0;
        inboundSas.clear();
        inPolicies.clear();
        outPolicies.clear();
        rebuildPolicies = false;
    }

    private Spd next(Spd previous, Delta<Spd.Entry> delta, Direction d) {
        if (rebuildPolicies || isLarge(delta, previous.size())) {
            List<Spd.Entry> entries = new ArrayList<>();
            for (Spd.Entry e : policies.values()) {
                if (e.policy().direction() == d) {
                    entries.add(e);
                }
            }
            return Spd.of(entries);
        }
        return previous.with(delta.added, delta.removed);
    }

    private static boolean isLarge(Delta<?> delta, int size) {
        return delta.size() > REBUILD_MIN_CHANGES && delta.size() > size / 4;
    }

    private List<SecurityAssociation> inboundSasNow() {
        return List.copyOf(inboundByKey.values());
    }

    private Delta<Spd.Entry> deltaOf(Policy p) {
        return p.direction() == Direction.IN ? inPolicies : outPolicies;
    }

    /** The SA named {@code name} came or went: the entries of the policies naming it now resolve to what is there. */
    private void refreshPoliciesNaming(String name) {
        Set<Policy> naming = policiesBySa.get(name);
        if (naming == null) {
            return;
        }
        SecurityAssociation sa = sas.get(name);
        for (Policy p : naming) {
            Spd.Entry old = policies.get(p);
            Spd.Entry now = new Spd.Entry(p, sa, old.rank());
            policies.put(p, now);
            deltaOf(p).remove(old);
            deltaOf(p).add(now);
        }
    }

    /**
     * Gives the policies orders 0, 1, ... again, in installation order (so no lookup changes),
     * once the counter has used up the order bits of a rank; the next snapshot rebuilds both SPDs.
     */
    private void renumber() {
        if (policies.size() > Spd.MAX_ORDER) {
            throw new IllegalStateException("more than " + Spd.MAX_ORDER + " policies");
        }
        nextOrder = 0;
        for (Map.Entry<Policy, Spd.Entry> e : policies.entrySet()) {
            Spd.Entry old = e.getValue();
            e.setValue(new Spd.Entry(old.policy(), old.sa(), Spd.rank(old.policy(), nextOrder++)));
        }
        inPolicies.clear();
        outPolicies.clear();
        rebuildPolicies = true;
    }

    private static long key(SaConfig c) {
        return (long) c.protocol().ipProtocol() << 32 | (c.spi() & 0xffffffffL);
    }

    /** For tests: start the installation order at {@code order}, to reach the renumbering soon. */
    void setNextOrder(long order) {
        nextOrder = order;
    }
}
