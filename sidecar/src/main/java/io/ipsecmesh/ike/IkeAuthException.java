package io.ipsecmesh.ike;

import java.io.Serial;

/**
 * The peer's AUTH payload does not authenticate it: wrong method, malformed or truncated
 * authentication data, a signature algorithm that is not allowed or does not fit the peer's
 * key, or a MAC or signature that does not verify. RFC 7296 §2.21.2 answers all of these
 * with AUTHENTICATION_FAILED. The message names the reason, never key material.
 */
public final class IkeAuthException extends Exception {

    @Serial
    private static final long serialVersionUID = 1L;

    public IkeAuthException(String message) {
        super(message);
    }

    public IkeAuthException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The notification to answer with (RFC 7296 §2.21.2). */
    public NotifyType errorNotify() {
        return NotifyType.AUTHENTICATION_FAILED;
    }
}
