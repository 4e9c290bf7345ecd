package io.ipsecmesh.ike;

import java.util.Optional;

/**
 * Transform types (RFC 7296 §3.3.2). Transform IDs of types 1 and 3 are those of
 * {@link io.ipsecmesh.crypto.EncryptionAlgorithm#ikeTransformId()} and
 * {@link io.ipsecmesh.crypto.IntegrityAlgorithm#ikeTransformId()}; type 2 IDs are
 * {@link PrfAlgorithm#ikeTransformId()}.
 */
public enum TransformType {
    /** Encryption algorithm (ENCR). */
    ENCR(1),
    /** Pseudorandom function (PRF). */
    PRF(2),
    /** Integrity algorithm (INTEG). */
    INTEG(3),
    /** Diffie-Hellman group (D-H), "Key Exchange Method" since RFC 9370. */
    KE(4),
    /** Extended sequence numbers (ESN): ID 0 = no, 1 = yes. */
    ESN(5);

    private final int value;

    TransformType(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }

    public static Optional<TransformType> of(int value) {
        for (TransformType t : values()) {
            if (t.value == value) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
