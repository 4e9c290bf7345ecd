package io.ipsecmesh.dataplane;

import io.ipsecmesh.ah.AhProcessor;
import io.ipsecmesh.esp.EspProcessor;
import io.ipsecmesh.packet.Bytes;
import io.ipsecmesh.packet.IpPacket;
import io.ipsecmesh.packet.IpProtocols;
import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.packet.PacketInfo;
import io.ipsecmesh.packet.ParseStatus;
import io.ipsecmesh.packet.Reassembler;
import io.ipsecmesh.sa.DropReason;
import io.ipsecmesh.sa.Policy;
import io.ipsecmesh.sa.PolicyAction;
import io.ipsecmesh.sa.SaConfig;
import io.ipsecmesh.sa.SaListener;
import io.ipsecmesh.sa.SaTable;
import io.ipsecmesh.sa.SecurityAssociation;
import io.ipsecmesh.sa.SecurityProtocol;
import io.ipsecmesh.sa.Spd;
import io.ipsecmesh.sa.UdpEncap;
import io.ipsecmesh.sa.WorkerContext;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The userspace data plane: SAD, SPD and the per-packet pipeline that workers run on packets
 * read from the TUN device.
 *
 * <p>{@link #process} decides for one packet:
 * <ol>
 *   <li>parse it (malformed: drop);</li>
 *   <li>ESP, AH, or ESP in UDP whose SPI is one of our inbound SAs: inbound. Find the SA by SPI
 *       (none: drop {@code no_sa}), check replay, ICV, padding, decapsulate, and check the inner
 *       packet against the SA's selectors;</li>
 *   <li>otherwise plaintext. If an inbound protect policy covers it, it should have arrived
 *       protected: drop ({@code policy}). Then the outbound SPD: protect (encapsulate with the
 *       policy's SA, or drop {@code no_sa} and raise an acquire when the SA is missing or dead),
 *       bypass, or discard. No policy at all: bypass.</li>
 * </ol>
 * On {@link DropReason#NONE} the buffer holds the packet to write back into the TUN.
 *
 * <p>Control calls are serialized and publish a new immutable {@link State}; workers read the
 * current state once per packet without locks. A new state is derived from the previous one
 * (see {@link SnapshotBuilder}), so a change costs about its own size, not a rebuild of every
 * table.
 */
public final class UserspaceDataPlane implements DataPlane {

    /**
     * What the workers read: one consistent snapshot.
     *
     * @param udpEncap whether any inbound SA is UDP-encapsulated (else UDP 4500 is not looked at)
     */
    record State(SaTable inbound, Spd outbound, Spd inboundPolicies, boolean udpEncap) {
        static final State EMPTY = new State(SaTable.EMPTY, Spd.EMPTY, Spd.EMPTY, false);
    }

    private final int workers;
    private final RandomGenerator random;
    private final Counters counters = new Counters();
    /** The SAs and policies, and the changes not yet published; guarded by {@code this}. */
    private final SnapshotBuilder control = new SnapshotBuilder();
    private volatile State state = State.EMPTY;
    private volatile SaListener listener = SaListener.NONE;
    /** Nesting depth of {@link #hold}: changes are published when it drops to 0. */
    private int holds;
    /**
     * Removed SAs, kept intact (but out of every snapshot) until no worker can still be using
     * them: a worker that read the previous snapshot may be encrypting with one right now.
     * {@link #housekeeping} zeroes them once they have been retired for {@link #RETIRE_NANOS}.
     */
    private final java.util.ArrayDeque<Retired> retired = new java.util.ArrayDeque<>();
    static final long RETIRE_NANOS = 1_000_000_000L;

    private record Retired(SecurityAssociation sa, long since) {
    }

    /**
     * @param workers number of worker threads that will call {@link #process}, each with its own
     *                {@link WorkerContext} index
     * @param random  randomness for unpredictable IVs (a SecureRandom in production)
     */
    public UserspaceDataPlane(int workers, RandomGenerator random) {
        this.workers = workers;
        this.random = random;
    }

    @Override
    public synchronized void installSa(SaConfig config) {
        update(List.of(config), List.of(), List.of(), List.of());
    }

    @Override
    public synchronized boolean removeSa(String name) {
        SecurityAssociation sa = control.removeSa(name);
        if (sa == null) {
            return false;
        }
        publish();
        retire(sa);
        return true;
    }

    @Override
    public synchronized void installPolicy(Policy policy) {
        if (control.addPolicy(policy)) {
            publish();
        }
    }

    @Override
    public synchronized boolean removePolicy(Policy policy) {
        boolean removed = control.removePolicy(policy);
        if (removed) {
            publish();
        }
        return removed;
    }

    @Override
    public synchronized void update(List<SaConfig> installSas, List<Policy> addPolicies, List<Policy> removePolicies,
                                    List<String> removeSas) {
        List<SecurityAssociation> added = new ArrayList<>();
        try {
            for (SaConfig c : installSas) {
                control.checkInstallable(c);
                SecurityAssociation sa = new SecurityAssociation(c, workers, random);
                sa.setListener(listener);
                control.addSa(sa);
                added.add(sa);
            }
        } catch (IllegalArgumentException e) {
            for (SecurityAssociation sa : added) {
                control.removeSa(sa.name());
                sa.destroy();
            }
            throw e;
        }
        addPolicies.forEach(control::addPolicy);
        removePolicies.forEach(control::removePolicy);
        List<SecurityAssociation> removed = new ArrayList<>();
        for (String name : removeSas) {
            SecurityAssociation sa = control.removeSa(name);
            if (sa != null) {
                removed.add(sa);
            }
        }
        publish();
        removed.forEach(this::retire);
    }

    private void retire(SecurityAssociation sa) {
        retired.add(new Retired(sa, System.nanoTime()));
    }

    /** {@inheritDoc} Equal policies in the list are installed once. */
    @Override
    public synchronized void replacePolicies(List<Policy> newPolicies) {
        control.replacePolicies(newPolicies);
        publish();
    }

    @Override
    public synchronized void setListener(SaListener l) {
        listener = l == null ? SaListener.NONE : l;
        control.sas().values().forEach(sa -> sa.setListener(listener));
    }

    @Override
    public synchronized List<SecurityAssociation> securityAssociations() {
        return List.copyOf(control.sas().values());
    }

    @Override
    public synchronized List<Policy> policies() {
        return control.policies();
    }

    @Override
    public Counters counters() {
        return counters;
    }

    /** Checks time lifetimes and zeroes retired SAs; call about once a second. */
    public void housekeeping() {
        long now = System.nanoTime();
        for (SecurityAssociation sa : securityAssociations()) {
            sa.checkTime(now);
        }
        synchronized (this) {
            while (!retired.isEmpty() && now - retired.peek().since() >= RETIRE_NANOS) {
                retired.poll().sa().destroy();
            }
        }
    }

    /** Removes every SA and zeroes all keys. */
    public synchronized void shutdown() {
        state = State.EMPTY;
        control.sas().values().forEach(SecurityAssociation::destroy);
        control.clear();
        retired.forEach(r -> r.sa().destroy());
        retired.clear();
    }

    /** Publishes the changes made so far as a new snapshot, unless held. */
    private void publish() {
        if (holds == 0 && control.hasChanges()) {
            state = control.next(state);
        }
    }

    @Override
    public synchronized void hold() {
        holds++;
    }

    @Override
    public synchronized void release() {
        if (holds == 0) {
            throw new IllegalStateException("release without hold");
        }
        holds--;
        publish();
    }

    /** The snapshot the workers read now (for tests). */
    State snapshot() {
        return state;
    }

    /** The control side's state (for tests). */
    SnapshotBuilder control() {
        return control;
    }

    /**
     * Runs the pipeline on one packet read from the TUN.
     *
     * @return {@link DropReason#NONE} to write {@code pb} back into the TUN; otherwise the packet
     *         is dropped, and the reason has been counted
     */
    public DropReason process(WorkerContext w, PacketBuffer pb) {
        w.builtIpsec = false;
        DropReason r;
        try {
            r = classifyAndProcess(w, pb);
        } catch (RuntimeException e) {
            // A bug must not kill a worker or let a packet through: drop and count it.
            if (counters.internalErrors.sum() == 0) {
                System.err.println("ipsec-mesh: internal error in the pipeline (packet dropped): " + e);
            }
            counters.internalErrors.increment();
            r = DropReason.MALFORMED;
        }
        if (r != DropReason.NONE && r != DropReason.HELD) {
            counters.drop(r);
        }
        return r;
    }

    private DropReason classifyAndProcess(WorkerContext w, PacketBuffer pb) {
        PacketInfo pi = w.info;
        byte[] b = pb.buf;
        if (IpPacket.parse(b, pb.off, pb.len, pi) != ParseStatus.OK) {
            return DropReason.MALFORMED;
        }
        if (pi.fragment) {
            DropReason r = reassemble(w, pb);
            if (r != DropReason.NONE) {
                return r;
            }
        }
        State s = state;
        switch (pi.upperProtocol) {
            case IpProtocols.ESP -> {
                return inboundEsp(s, w, pb, pi.upperOff);
            }
            case IpProtocols.AH -> {
                if (pb.off + pi.length - pi.upperOff < AhProcessor.AH_FIXED) {
                    return DropReason.MALFORMED;
                }
                SecurityAssociation sa = s.inbound().find(SecurityProtocol.AH, Bytes.i32(b, pi.upperOff + 4));
                if (sa == null) {
                    return DropReason.NO_SA;
                }
                return finishInbound(AhProcessor.unprotect(sa, w, pb, pi.upperOff));
            }
            case IpProtocols.UDP -> {
                if (s.udpEncap() && pi.dstPort == UdpEncap.IKE_NATT_PORT && !pi.fragment) {
                    int espOff = pi.upperOff + 8;
                    int avail = pb.off + pi.length - espOff;
                    // RFC 3948 §2.2: a zero "non-ESP marker" means IKE, a single 0xff byte a keepalive.
                    if (avail >= 8 && Bytes.i32(b, espOff) != 0) {
                        SecurityAssociation sa = s.inbound().find(SecurityProtocol.ESP, Bytes.i32(b, espOff));
                        if (sa != null && sa.config().udpEncap() != null) {
                            return finishInbound(EspProcessor.unprotect(sa, w, pb, espOff));
                        }
                    }
                }
                return outbound(s, w, pb);
            }
            default -> {
                return outbound(s, w, pb);
            }
        }
    }

    /**
     * Holds a fragment until its datagram is complete, then puts the whole datagram in
     * {@code pb} (parsed into {@code w.info}). Every fragment read is reassembled, as Linux's
     * defragmentation does for connection tracking: policy is decided on whole datagrams.
     */
    private DropReason reassemble(WorkerContext w, PacketBuffer pb) {
        long now = System.nanoTime();
        w.reassembler.expire(now);
        PacketBuffer out = w.assembled;
        int n = w.reassembler.offer(pb.buf, pb.off, w.info.length, now, out.buf, PacketBuffer.HEADROOM);
        if (n == Reassembler.NEED_MORE || n == Reassembler.DUPLICATE) {
            counters.fragmentsHeld.increment();
            return DropReason.HELD;
        }
        if (n < 0) {
            return DropReason.FRAGMENT;
        }
        System.arraycopy(out.buf, PacketBuffer.HEADROOM, pb.buf, PacketBuffer.HEADROOM, n);
        pb.off = PacketBuffer.HEADROOM;
        pb.len = n;
        counters.reassembled.increment();
        if (IpPacket.parse(pb.buf, pb.off, pb.len, w.info) != ParseStatus.OK || w.info.fragment) {
            return DropReason.MALFORMED;
        }
        return DropReason.NONE;
    }

    private DropReason inboundEsp(State s, WorkerContext w, PacketBuffer pb, int espOff) {
        if (pb.off + w.info.length - espOff < EspProcessor.ESP_HEADER) {
            return DropReason.MALFORMED;
        }
        SecurityAssociation sa = s.inbound().find(SecurityProtocol.ESP, EspProcessor.spi(pb.buf, espOff));
        if (sa == null) {
            return DropReason.NO_SA;
        }
        return finishInbound(EspProcessor.unprotect(sa, w, pb, espOff));
    }

    private DropReason finishInbound(DropReason r) {
        if (r == DropReason.NONE) {
            counters.unprotectedIn.increment();
        }
        return r;
    }

    private DropReason outbound(State s, WorkerContext w, PacketBuffer pb) {
        PacketInfo pi = w.info;
        Spd.Entry in = s.inboundPolicies().lookup(pi);
        if (in != null && in.policy().action() == PolicyAction.PROTECT) {
            return DropReason.POLICY; // plaintext where the inbound policy requires protection
        }
        Spd.Entry e = s.outbound().lookup(pi);
        if (e == null || e.policy().action() == PolicyAction.BYPASS) {
            counters.bypassed.increment();
            return DropReason.NONE;
        }
        if (e.policy().action() == PolicyAction.DISCARD) {
            return DropReason.DISCARD;
        }
        SecurityAssociation sa = e.sa();
        if (sa == null || !sa.isAlive()) {
            listener.acquire(e.policy().saName(), pi);
            return DropReason.NO_SA;
        }
        DropReason r = sa.config().protocol() == SecurityProtocol.ESP
                ? EspProcessor.protect(sa, w, pb)
                : AhProcessor.protect(sa, w, pb);
        if (r == DropReason.NONE) {
            counters.protectedOut.increment();
            w.builtIpsec = true;
            w.builtUdp = sa.config().udpEncap() != null;
        }
        return r;
    }
}
