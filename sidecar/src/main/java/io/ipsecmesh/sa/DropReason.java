package io.ipsecmesh.sa;

/**
 * Why the data plane did not pass a packet. Each has a counter, exported as
 * {@code ipsec_drops_total{reason="..."}}.
 */
public enum DropReason {
    /** Not dropped. */
    NONE("none"),
    /** Sequence number outside or already seen in the anti-replay window (RFC 4303 §3.4.3). */
    REPLAY("replay"),
    /** ICV did not verify (RFC 4303 §3.4.4, RFC 4302 §3.4.4). */
    INTEGRITY("integrity"),
    /** No SA for the SPI, or no usable SA for a protect policy. */
    NO_SA("no_sa"),
    /** Violates policy: plaintext where protection is required, or inner packet outside the SA's selectors. */
    POLICY("policy"),
    /** Bad lengths, padding, headers, next header. */
    MALFORMED("malformed"),
    /** Matched a discard policy. */
    DISCARD("discard"),
    /** SA past its hard lifetime or out of sequence numbers. */
    EXPIRED("expired"),
    /** A fragment that could not be reassembled (overlap, too big, timed out), or one that transport mode cannot take. */
    FRAGMENT("fragment"),
    /** A TFC dummy packet (next header 59, RFC 4303 §2.6): consumed, not an error. */
    DUMMY("dummy"),
    /** A fragment held until its datagram is complete: not an error, and not counted as a drop. */
    HELD("held");

    private final String label;

    DropReason(String label) {
        this.label = label;
    }

    /** The Prometheus label value. */
    public String label() {
        return label;
    }
}
