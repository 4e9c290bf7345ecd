package io.ipsecmesh.sa;

import io.ipsecmesh.packet.PacketInfo;

/**
 * Events from the data plane to whoever manages keys (IKE, or the manual-keying command, which
 * only logs them). Called on data-plane threads: implementations must return quickly.
 */
public interface SaListener {

    /** Why an SA reached a limit. */
    enum Limit { BYTES, PACKETS, SECONDS, SEQUENCE_NUMBERS }

    /** The SA passed a soft limit: time to rekey (make-before-break). Raised once per SA. */
    default void softExpired(SecurityAssociation sa, Limit limit) {
    }

    /** The SA passed a hard limit and no longer passes traffic. Raised once per SA. */
    default void hardExpired(SecurityAssociation sa, Limit limit) {
    }

    /**
     * Outbound traffic matched a protect policy whose SA is missing or dead (an "acquire"):
     * IKE should negotiate one. {@code packet} is only valid during the call.
     */
    default void acquire(String policySaName, PacketInfo packet) {
    }

    SaListener NONE = new SaListener() {
    };
}
