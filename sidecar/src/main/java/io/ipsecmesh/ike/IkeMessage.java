package io.ipsecmesh.ike;

import java.util.List;

/**
 * An IKE message (RFC 7296 §3): header and payloads. Encrypted payloads stay in an opaque
 * {@link SkPayload}.
 *
 * <p>{@link #decode} accepts exactly one UDP payload (without the non-ESP marker of port
 * 4500) and never throws anything but {@link IkeParseException}. {@link #encode} gives back
 * the decoded bytes unchanged for any message whose generic payload headers have their
 * reserved bits clear and the critical bit clear on payloads this codec knows (RFC 7296 §3.2
 * requires both of senders).
 */
public record IkeMessage(IkeHeader header, List<IkePayload> payloads) {

    public IkeMessage {
        payloads = List.copyOf(payloads);
    }

    /**
     * Decodes one IKE message.
     *
     * @throws IkeParseException if it is truncated, its Length field differs from the
     *                           datagram's, its major version is not 2 (INVALID_MAJOR_VERSION),
     *                           a payload is malformed or unknown and critical
     *                           (UNSUPPORTED_CRITICAL_PAYLOAD), or the chain is broken
     */
    public static IkeMessage decode(byte[] datagram) throws IkeParseException {
        ByteReader r = new ByteReader(datagram, 0, datagram.length, "IKE message");
        long spiI = r.u64("initiator SPI");
        long spiR = r.u64("responder SPI");
        int next = r.u8("next payload");
        int version = r.u8("version");
        int exchange = r.u8("exchange type");
        int flags = r.u8("flags");
        int messageId = r.u32("message ID");
        long length = r.u32("length") & 0xffffffffL;
        int major = version >>> 4;
        if (major != IkeHeader.MAJOR_VERSION) {
            throw IkeParseException.invalidMajorVersion(major, version & 0xf);
        }
        if (length != datagram.length) {
            throw new IkeParseException("IKE header claims a length of " + length + " bytes but the datagram has "
                    + datagram.length);
        }
        IkeHeader header = new IkeHeader(spiI, spiR, version & 0xf, exchange, flags, messageId);
        return new IkeMessage(header, PayloadChain.decode(next, r, true));
    }

    /** The wire form: header with the first payload's type and the total length, then the payloads. */
    public byte[] encode() {
        ByteWriter w = new ByteWriter();
        byte[] chain = PayloadChain.encode(payloads);
        header.encode(w, PayloadChain.firstType(payloads), IkeHeader.LENGTH + chain.length);
        w.bytes(chain);
        return w.toByteArray();
    }

    /** The payloads of one class, in message order. */
    public <T extends IkePayload> List<T> payloads(Class<T> type) {
        return payloads.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The notifications of one type, in message order. */
    public List<NotifyPayload> notifies(NotifyType type) {
        return payloads(NotifyPayload.class).stream().filter(n -> n.is(type)).toList();
    }
}
