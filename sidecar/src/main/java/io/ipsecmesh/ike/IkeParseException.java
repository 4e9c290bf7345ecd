package io.ipsecmesh.ike;

import java.io.Serial;

/**
 * An IKE message or payload that cannot be decoded: truncated, with inconsistent lengths, a
 * broken payload chain, a value the syntax forbids, an unsupported major version or an
 * unknown payload marked critical.
 *
 * <p>It names the error notification the engine may answer with (RFC 7296 §2.21, §3.10.1):
 * {@link NotifyType#INVALID_SYNTAX} for malformed input, {@link NotifyType#INVALID_MAJOR_VERSION}
 * for a version other than 2, and {@link NotifyType#UNSUPPORTED_CRITICAL_PAYLOAD} (with the
 * one-octet payload type as notification data, §2.5) for an unknown critical payload. Whether
 * to answer at all is the engine's decision: §2.21 forbids answering unauthenticated
 * IKE_SA_INIT garbage with anything but silence in most cases.
 */
public final class IkeParseException extends Exception {

    @Serial
    private static final long serialVersionUID = 1L;

    private final NotifyType errorNotify;
    private final int unsupportedPayloadType;

    /** A syntax error: answered, if at all, with INVALID_SYNTAX. */
    public IkeParseException(String message) {
        this(message, NotifyType.INVALID_SYNTAX, -1);
    }

    private IkeParseException(String message, NotifyType errorNotify, int unsupportedPayloadType) {
        super(message);
        this.errorNotify = errorNotify;
        this.unsupportedPayloadType = unsupportedPayloadType;
    }

    static IkeParseException invalidMajorVersion(int major, int minor) {
        return new IkeParseException("unsupported IKE version " + major + "." + minor + ", only 2.x is spoken",
                NotifyType.INVALID_MAJOR_VERSION, -1);
    }

    static IkeParseException unsupportedCritical(int payloadType, int offset) {
        return new IkeParseException("unknown payload type " + payloadType + " at offset " + offset
                + " is marked critical; the message must be rejected (RFC 7296 §2.5)",
                NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD, payloadType);
    }

    /** The error notification matching this failure. */
    public NotifyType errorNotify() {
        return errorNotify;
    }

    /**
     * Notification data for {@link #errorNotify()}: the one-octet payload type for
     * UNSUPPORTED_CRITICAL_PAYLOAD (RFC 7296 §3.10.1), empty otherwise.
     */
    public byte[] errorNotifyData() {
        return unsupportedPayloadType < 0 ? new byte[0] : new byte[] {(byte) unsupportedPayloadType};
    }
}
