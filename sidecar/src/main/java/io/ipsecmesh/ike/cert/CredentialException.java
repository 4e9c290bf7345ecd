package io.ipsecmesh.ike.cert;

import java.io.Serial;
import java.security.GeneralSecurityException;

/**
 * A key, certificate or CRL file that cannot be used: not PEM or DER of a supported kind, an
 * encrypted key, a key that does not belong to the certificate, a chain that does not chain.
 * The message names the file and the problem, never key material.
 */
public final class CredentialException extends GeneralSecurityException {

    @Serial
    private static final long serialVersionUID = 1L;

    public CredentialException(String message) {
        super(message);
    }

    public CredentialException(String message, Throwable cause) {
        super(message, cause);
    }
}
