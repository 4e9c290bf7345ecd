package io.ipsecmesh.dataplane;

import io.ipsecmesh.sa.DropReason;

import java.util.concurrent.atomic.LongAdder;

/** Data-plane counters, cheap to bump from several workers. */
public final class Counters {
    private final LongAdder[] drops = new LongAdder[DropReason.values().length];
    /** Outbound packets protected with ESP/AH. */
    public final LongAdder protectedOut = new LongAdder();
    /** Inbound packets that passed ESP/AH processing. */
    public final LongAdder unprotectedIn = new LongAdder();
    /** Packets passed unchanged by a bypass policy or no policy. */
    public final LongAdder bypassed = new LongAdder();
    /** Fragments held for reassembly, and datagrams reassembled from them. */
    public final LongAdder fragmentsHeld = new LongAdder();
    public final LongAdder reassembled = new LongAdder();
    /** Packets we wrote as fragments because they exceeded the MTU after processing. */
    public final LongAdder fragmentsOut = new LongAdder();
    /** Reads from and writes to the TUN (a super-packet is one read or write). */
    public final LongAdder tunReads = new LongAdder();
    public final LongAdder tunWrites = new LongAdder();
    /**
     * Packets on which the pipeline itself failed (an exception: a bug). They are dropped and
     * also counted as malformed; tests require this to stay zero.
     */
    public final LongAdder internalErrors = new LongAdder();

    public Counters() {
        for (int i = 0; i < drops.length; i++) {
            drops[i] = new LongAdder();
        }
    }

    public void drop(DropReason r) {
        drops[r.ordinal()].increment();
    }

    public long drops(DropReason r) {
        return drops[r.ordinal()].sum();
    }
}
