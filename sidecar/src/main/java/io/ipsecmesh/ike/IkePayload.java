package io.ipsecmesh.ike;

/**
 * One IKEv2 payload: its type code and its body, which follows the generic payload header
 * (RFC 7296 §3.2). The header itself (next payload, critical bit, length) belongs to the
 * chain and is written by {@link PayloadChain}.
 *
 * <p>Implementations are immutable values: byte arrays are copied in and out, and
 * {@code equals} compares content.
 */
public sealed interface IkePayload
        permits SaPayload, KePayload, IdPayload, CertPayload, CertReqPayload, AuthPayload, NoncePayload,
        NotifyPayload, DeletePayload, VendorIdPayload, TsPayload, SkPayload, SkfPayload, UnknownPayload {

    /** The payload type code, as it appears in the previous Next Payload field. */
    int type();

    /** The payload body (everything after the 4-byte generic payload header). */
    byte[] encodeBody();
}
