package io.ipsecmesh.ike;

import java.util.Optional;

/**
 * Security protocol identifiers used in Proposal, Notify and Delete payloads (RFC 7296
 * §3.3.1), with the SPI size each one uses in a proposal.
 */
public enum ProtocolId {
    IKE(1, 8),
    AH(2, 4),
    ESP(3, 4);

    private final int value;
    private final int spiSize;

    ProtocolId(int value, int spiSize) {
        this.value = value;
        this.spiSize = spiSize;
    }

    public int value() {
        return value;
    }

    /**
     * SPI size in a Proposal: 8 for IKE (only when rekeying; 0 in IKE_SA_INIT), 4 for AH/ESP.
     */
    public int spiSize() {
        return spiSize;
    }

    public static Optional<ProtocolId> of(int value) {
        for (ProtocolId p : values()) {
            if (p.value == value) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
