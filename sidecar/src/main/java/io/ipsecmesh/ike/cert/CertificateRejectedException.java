package io.ipsecmesh.ike.cert;

import io.ipsecmesh.ike.NotifyType;
import java.io.Serial;
import java.util.Objects;

/**
 * The peer's certificates do not authenticate the identity it claims (RFC 7296 §2.15, §3.6;
 * RFC 5280 §6). {@link #reason()} says which check failed, the message says it for a person:
 * which certificate (subject and issuer) and what was wrong. RFC 7296 §2.21.2 answers all of
 * these with AUTHENTICATION_FAILED.
 */
public final class CertificateRejectedException extends Exception {

    @Serial
    private static final long serialVersionUID = 1L;

    /** Which check rejected the certificates. */
    public enum Reason {
        /** A CERT payload, extension, CRL or ID is not valid DER of what it should be. */
        BAD_ENCODING,
        /** No CERT payload with an X.509 certificate (encoding 4). */
        NO_CERTIFICATE,
        /** No chain to a configured CA: unknown issuer, bad signature, unsupported critical extension. */
        UNTRUSTED,
        /** A certificate of the chain is past its notAfter. */
        EXPIRED,
        /** A certificate of the chain is before its notBefore. */
        NOT_YET_VALID,
        /** A CRL of the issuer lists the certificate. */
        REVOKED,
        /** An issuing certificate is not a CA (basicConstraints) or exceeds its path length. */
        NOT_A_CA,
        /** keyUsage forbids the use: digitalSignature for the end entity, keyCertSign or cRLSign for an issuer. */
        BAD_KEY_USAGE,
        /** The end-entity certificate does not carry the identity of the peer's ID payload. */
        ID_MISMATCH
    }

    private final Reason reason;

    public CertificateRejectedException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason);
    }

    public CertificateRejectedException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason);
    }

    public Reason reason() {
        return reason;
    }

    /** The notification to answer with (RFC 7296 §2.21.2). */
    public NotifyType errorNotify() {
        return NotifyType.AUTHENTICATION_FAILED;
    }

    @Override
    public String getMessage() {
        return reason + ": " + super.getMessage();
    }
}
