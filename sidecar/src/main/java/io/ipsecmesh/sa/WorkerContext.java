package io.ipsecmesh.sa;

import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.packet.PacketInfo;
import io.ipsecmesh.packet.Reassembler;

/**
 * Per-thread scratch state of a data-plane worker: its index (which selects the SA's cipher
 * instance), a reusable {@link PacketInfo}, and the IPv4 identification counter for outer
 * headers it builds.
 */
public final class WorkerContext {
    public final int index;
    public final PacketInfo info = new PacketInfo();
    /** Scratch for a second parse (the inner packet after decapsulation). */
    public final PacketInfo inner = new PacketInfo();
    /**
     * Fragments of one datagram, reassembled before ESP/AH processing: transport mode protects
     * whole datagrams only (RFC 4303 §3.1.1), and a receiver reassembles before it decrypts
     * (§3.4.1). A multi-queue TUN hashes fragments by addresses and protocol only, so all
     * fragments of a datagram reach the same worker.
     */
    public final Reassembler reassembler = new Reassembler();
    /** Where a reassembled datagram is built before it replaces the fragment. */
    public final PacketBuffer assembled = new PacketBuffer();
    /** Scratch for headers saved while an AH ICV is computed over zeroed mutable fields. */
    public final byte[] scratch = new byte[4096];
    /** Set by the pipeline: whether the last packet it passed is an ESP/AH packet it built. */
    public boolean builtIpsec;
    /** Whether that packet is ESP in UDP (RFC 3948). */
    public boolean builtUdp;
    private int ipId;

    public WorkerContext(int index) {
        this.index = index;
        this.ipId = index << 12;
    }

    /** Next IPv4 identification value for an outer header (RFC 6864: unique per flow in time). */
    public int nextIpId() {
        return ipId++ & 0xffff;
    }
}
