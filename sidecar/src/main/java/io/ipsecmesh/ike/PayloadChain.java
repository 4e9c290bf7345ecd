package io.ipsecmesh.ike;

import java.util.ArrayList;
import java.util.List;

/**
 * The chain of payloads that follows the IKE header, or that an SK payload decrypts to, each
 * behind a generic payload header (RFC 7296 §3.2):
 * <pre>
 *   Next Payload (1) | C (1 bit) + RESERVED (7 bits) | Payload Length (2, header included)
 * </pre>
 * The first payload's type comes from the IKE header (or from the SK payload's Next Payload
 * field); each header names the type of the payload after it, 0 ending the chain.
 */
public final class PayloadChain {

    /** Length of the generic payload header. */
    public static final int GENERIC_HEADER_LENGTH = 4;
    private static final int CRITICAL = 0x80;

    private PayloadChain() {
    }

    /**
     * Decodes a decrypted inner chain, e.g. the plaintext of an SK payload without its padding
     * and pad length. An SK payload inside is refused: they do not nest.
     *
     * @param firstType the type of the first payload, 0 for an empty chain
     * @throws IkeParseException for any malformed payload, a chain that does not end exactly
     *                           at {@code offset + length}, or an unknown critical payload
     */
    public static List<IkePayload> decode(int firstType, byte[] data, int offset, int length) throws IkeParseException {
        if (offset < 0 || length < 0 || offset > data.length - length) {
            throw new IkeParseException("payload chain window " + offset + "+" + length + " outside " + data.length
                    + " bytes");
        }
        return decode(firstType, new ByteReader(data, offset, length, "payload chain"), false);
    }

    static List<IkePayload> decode(int firstType, ByteReader r, boolean encryptedAllowed) throws IkeParseException {
        List<IkePayload> payloads = new ArrayList<>();
        int type = firstType;
        while (type != PayloadType.NONE.value()) {
            int at = r.position();
            if (r.remaining() == 0) {
                throw new IkeParseException("payload chain names payload type " + type + " (payload " + (payloads.size() + 1)
                        + ") but the message ends at offset " + at);
            }
            int next = r.u8("next payload of payload type " + type);
            boolean critical = (r.u8("critical flag of payload type " + type) & CRITICAL) != 0;
            int length = r.u16("length of payload type " + type);
            if (length < GENERIC_HEADER_LENGTH) {
                throw new IkeParseException("payload type " + type + " at offset " + at + " claims length " + length
                        + ", less than the 4-byte generic header");
            }
            if (length - GENERIC_HEADER_LENGTH > r.remaining()) {
                throw new IkeParseException("payload type " + type + " at offset " + at + " claims length " + length
                        + " but only " + (r.remaining() + GENERIC_HEADER_LENGTH) + " bytes are left in the "
                        + r.context());
            }
            ByteReader body = r.slice(length - GENERIC_HEADER_LENGTH,
                    PayloadType.of(type).map(Enum::name).orElse("payload type " + type) + " payload at offset " + at);
            if (type == PayloadType.ENCRYPTED.value()) {
                if (!encryptedAllowed) {
                    throw new IkeParseException("SK payload at offset " + at + " inside an encrypted payload");
                }
                if (r.remaining() != 0) {
                    throw new IkeParseException("SK payload at offset " + at + " is followed by " + r.remaining()
                            + " bytes, but it must be the last payload (RFC 7296 §3.14)");
                }
                payloads.add(new SkPayload(next, body.rest()));
                return List.copyOf(payloads);
            }
            if (type == PayloadType.ENCRYPTED_FRAGMENT.value()) {
                if (!encryptedAllowed) {
                    throw new IkeParseException("SKF payload at offset " + at + " inside an encrypted payload");
                }
                if (r.remaining() != 0) {
                    throw new IkeParseException("SKF payload at offset " + at + " is followed by " + r.remaining()
                            + " bytes, but it must be the last payload (RFC 7383 §2.5)");
                }
                payloads.add(SkfPayload.decode(next, body, at));
                return List.copyOf(payloads);
            }
            payloads.add(decodeBody(type, critical, body, at));
            type = next;
        }
        if (r.remaining() != 0) {
            throw new IkeParseException("payload chain ends at offset " + r.position() + " but " + r.remaining()
                    + " bytes follow in the " + r.context());
        }
        return List.copyOf(payloads);
    }

    private static IkePayload decodeBody(int type, boolean critical, ByteReader body, int at) throws IkeParseException {
        var known = PayloadType.of(type);
        if (known.isEmpty()) {
            if (critical) {
                throw IkeParseException.unsupportedCritical(type, at);
            }
            return new UnknownPayload(type, false, body.rest());
        }
        try {
            IkePayload p = switch (known.get()) {
                case SA -> SaPayload.decode(body);
                case KE -> KePayload.decode(body);
                case IDI -> IdPayload.decode(body, true);
                case IDR -> IdPayload.decode(body, false);
                case CERT -> CertPayload.decode(body);
                case CERTREQ -> CertReqPayload.decode(body);
                case AUTH -> AuthPayload.decode(body);
                case NONCE -> NoncePayload.decode(body);
                case NOTIFY -> NotifyPayload.decode(body);
                case DELETE -> DeletePayload.decode(body);
                case VENDOR_ID -> VendorIdPayload.decode(body);
                case TSI -> TsPayload.decode(body, true);
                case TSR -> TsPayload.decode(body, false);
                case NONE, ENCRYPTED, ENCRYPTED_FRAGMENT -> throw new IllegalStateException("handled by the chain: " + known.get());
            };
            body.expectEnd();
            return p;
        } catch (IllegalArgumentException e) {
            throw new IkeParseException(known.get() + " payload at offset " + at + ": " + e.getMessage());
        }
    }

    /** The type of the first payload, 0 for an empty list. */
    public static int firstType(List<? extends IkePayload> payloads) {
        return payloads.isEmpty() ? PayloadType.NONE.value() : payloads.getFirst().type();
    }

    /**
     * Encodes the payloads with their generic headers. An SK or SKF payload may only come last;
     * its Next Payload field is its {@code firstInnerPayload()}.
     *
     * @throws IllegalArgumentException if an SK or SKF payload is not last or a payload exceeds 65535 bytes
     */
    public static byte[] encode(List<? extends IkePayload> payloads) {
        ByteWriter w = new ByteWriter();
        encode(payloads, w);
        return w.toByteArray();
    }

    static void encode(List<? extends IkePayload> payloads, ByteWriter w) {
        for (int i = 0; i < payloads.size(); i++) {
            IkePayload p = payloads.get(i);
            boolean last = i == payloads.size() - 1;
            int next;
            if (p instanceof SkPayload sk) {
                if (!last) {
                    throw new IllegalArgumentException("the SK payload must be the last payload (RFC 7296 §3.14)");
                }
                next = sk.firstInnerPayload();
            } else if (p instanceof SkfPayload skf) {
                if (!last) {
                    throw new IllegalArgumentException("the SKF payload must be the last payload (RFC 7383 §2.5)");
                }
                next = skf.firstInnerPayload();
            } else {
                next = last ? PayloadType.NONE.value() : payloads.get(i + 1).type();
            }
            byte[] body = p.encodeBody();
            int length = GENERIC_HEADER_LENGTH + body.length;
            if (length > 0xffff) {
                throw new IllegalArgumentException("payload type " + p.type() + " of " + length
                        + " bytes exceeds 65535");
            }
            boolean critical = p instanceof UnknownPayload u && u.critical();
            w.u8(next).u8(critical ? CRITICAL : 0).u16(length).bytes(body);
        }
    }
}
