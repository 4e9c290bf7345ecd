package io.ipsecmesh.ike;

import java.util.Optional;

/** IKEv2 exchange types (RFC 7296 §3.1). */
public enum ExchangeType {
    IKE_SA_INIT(34),
    IKE_AUTH(35),
    CREATE_CHILD_SA(36),
    INFORMATIONAL(37);

    private final int value;

    ExchangeType(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }

    public static Optional<ExchangeType> of(int value) {
        for (ExchangeType t : values()) {
            if (t.value == value) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
