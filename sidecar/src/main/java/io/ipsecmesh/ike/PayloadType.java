package io.ipsecmesh.ike;

import java.util.Optional;

/**
 * IKEv2 payload types (RFC 7296 §3.2, IANA "IKEv2 Payload Types") that this codec decodes into
 * their own classes. Any other type is kept as an {@link UnknownPayload} when its critical bit
 * is clear and rejects the message when it is set (§2.5); that includes Configuration (47)
 * and EAP (48), which ipsec-mesh does not use.
 */
public enum PayloadType {
    /** Next Payload value ending a chain. */
    NONE(0),
    SA(33),
    KE(34),
    IDI(35),
    IDR(36),
    CERT(37),
    CERTREQ(38),
    AUTH(39),
    NONCE(40),
    NOTIFY(41),
    DELETE(42),
    VENDOR_ID(43),
    TSI(44),
    TSR(45),
    ENCRYPTED(46),
    /** Encrypted Fragment, SKF (RFC 7383 §2.5). */
    ENCRYPTED_FRAGMENT(53);

    private final int value;

    PayloadType(int value) {
        this.value = value;
    }

    public int value() {
        return value;
    }

    /** The known payload type with this code, if any. */
    public static Optional<PayloadType> of(int value) {
        for (PayloadType t : values()) {
            if (t.value == value) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
