package io.ipsecmesh.ike;

import java.io.Serial;

/**
 * An SK payload whose ICV (or AEAD tag) does not verify. RFC 7296 §2.21: such a message is
 * discarded without reply and without any state change; it is not an INVALID_SYNTAX case.
 */
public final class SkIntegrityException extends Exception {

    @Serial
    private static final long serialVersionUID = 1L;

    public SkIntegrityException(String message) {
        super(message);
    }
}
