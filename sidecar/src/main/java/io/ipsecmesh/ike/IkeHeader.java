package io.ipsecmesh.ike;

import java.util.HexFormat;
import java.util.Optional;

/**
 * The IKE header (RFC 7296 §3.1), less the two fields that the message derives when it is
 * encoded: Next Payload (the first payload's type) and Length (the whole message's).
 * {@link IkeMessage#decode} checks both.
 *
 * <pre>
 *   IKE SA Initiator's SPI (8) | IKE SA Responder's SPI (8) | Next Payload (1) |
 *   MjVer (4 bits) MnVer (4 bits) | Exchange Type (1) | Flags (1) | Message ID (4) | Length (4)
 * </pre>
 *
 * @param flags        the flags octet: {@link #FLAG_INITIATOR}, {@link #FLAG_VERSION},
 *                     {@link #FLAG_RESPONSE}; other bits are sent as zero and ignored on receipt
 *                     (they are kept so that a decoded message re-encodes unchanged)
 * @param minorVersion 0 when sending; ignored on receipt (§2.5)
 * @param messageId    an unsigned 32-bit value
 */
public record IkeHeader(long initiatorSpi, long responderSpi, int minorVersion, int exchangeType, int flags,
                        int messageId) {

    public static final int LENGTH = 28;
    public static final int MAJOR_VERSION = 2;
    /** I: set in messages sent by the original initiator of the IKE SA. */
    public static final int FLAG_INITIATOR = 0x08;
    /** V: the sender can speak a higher major version; never set by IKEv2 implementations. */
    public static final int FLAG_VERSION = 0x10;
    /** R: set in responses. */
    public static final int FLAG_RESPONSE = 0x20;

    public IkeHeader {
        if (minorVersion < 0 || minorVersion > 0xf) {
            throw new IllegalArgumentException("minor version " + minorVersion + " out of range 0..15");
        }
        if (exchangeType < 0 || exchangeType > 0xff) {
            throw new IllegalArgumentException("exchange type " + exchangeType + " out of range 0..255");
        }
        if (flags < 0 || flags > 0xff) {
            throw new IllegalArgumentException("flags " + flags + " out of range 0..255");
        }
    }

    /** A version 2.0 header. */
    public static IkeHeader of(long initiatorSpi, long responderSpi, ExchangeType exchange, boolean fromInitiator,
                               boolean response, int messageId) {
        int flags = (fromInitiator ? FLAG_INITIATOR : 0) | (response ? FLAG_RESPONSE : 0);
        return new IkeHeader(initiatorSpi, responderSpi, 0, exchange.value(), flags, messageId);
    }

    public boolean isInitiator() {
        return (flags & FLAG_INITIATOR) != 0;
    }

    public boolean isResponse() {
        return (flags & FLAG_RESPONSE) != 0;
    }

    public boolean isVersionFlag() {
        return (flags & FLAG_VERSION) != 0;
    }

    /** The exchange type, empty for one RFC 7296 does not define. */
    public Optional<ExchangeType> exchange() {
        return ExchangeType.of(exchangeType);
    }

    public long messageIdUnsigned() {
        return Integer.toUnsignedLong(messageId);
    }

    void encode(ByteWriter w, int nextPayload, int length) {
        w.u64(initiatorSpi).u64(responderSpi).u8(nextPayload).u8((MAJOR_VERSION << 4) | minorVersion)
                .u8(exchangeType).u8(flags).u32(messageId).u32(length);
    }

    @Override
    public String toString() {
        HexFormat hex = HexFormat.of();
        return "IKE[" + hex.toHexDigits(initiatorSpi) + "/" + hex.toHexDigits(responderSpi) + ", "
                + exchange().map(Enum::name).orElse("exchange " + exchangeType) + (isResponse() ? " response" : " request")
                + (isInitiator() ? " from initiator" : " from responder") + ", message ID " + messageIdUnsigned() + "]";
    }
}
