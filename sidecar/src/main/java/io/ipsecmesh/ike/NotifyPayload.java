package io.ipsecmesh.ike;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Notify payload (RFC 7296 §3.10): protocol ID, SPI, notify message type and data.
 * Notifications about the IKE SA carry protocol 0 and no SPI; REKEY_SA names the CHILD_SA's
 * protocol and its 4-byte SPI.
 *
 * <p>The decoder checks the data length of the types whose format is fixed (COOKIE 1-64
 * bytes, INVALID_KE_PAYLOAD 2, NAT detection 20, SIGNATURE_HASH_ALGORITHMS a list of 16-bit
 * values, the flag-like status types empty) and rejects anything else as INVALID_SYNTAX.
 */
public record NotifyPayload(int protocolId, byte[] spi, int notifyType, byte[] data) implements IkePayload {

    /** NAT detection data is a SHA-1 hash (RFC 7296 §2.23). */
    public static final int NAT_DETECTION_LENGTH = 20;
    /** RFC 7296 §2.6: a cookie is 1 to 64 octets. */
    public static final int MAX_COOKIE_LENGTH = 64;

    public NotifyPayload {
        if (protocolId < 0 || protocolId > 0xff) {
            throw new IllegalArgumentException("protocol ID " + protocolId + " out of range 0..255");
        }
        if (spi.length > 0xff) {
            throw new IllegalArgumentException("SPI of " + spi.length + " bytes");
        }
        if (notifyType < 0 || notifyType > 0xffff) {
            throw new IllegalArgumentException("notify type " + notifyType + " out of range 0..65535");
        }
        String bad = checkData(notifyType, data);
        if (bad != null) {
            throw new IllegalArgumentException(bad);
        }
        spi = spi.clone();
        data = data.clone();
    }

    /** A notification about the IKE SA: protocol 0, no SPI. */
    public static NotifyPayload of(NotifyType type, byte[] data) {
        return new NotifyPayload(0, new byte[0], type.value(), data);
    }

    /** A notification about the IKE SA without data, e.g. USE_TRANSPORT_MODE or INITIAL_CONTACT. */
    public static NotifyPayload of(NotifyType type) {
        return of(type, new byte[0]);
    }

    /** INVALID_KE_PAYLOAD naming the D-H group the responder wants (RFC 7296 §1.3). */
    public static NotifyPayload invalidKePayload(int acceptedGroup) {
        return of(NotifyType.INVALID_KE_PAYLOAD, new ByteWriter().u16(acceptedGroup).toByteArray());
    }

    /** REKEY_SA for the CHILD_SA with this protocol and SPI (RFC 7296 §1.3.3). */
    public static NotifyPayload rekeySa(ProtocolId protocol, int spi) {
        return new NotifyPayload(protocol.value(), new ByteWriter().u32(spi).toByteArray(),
                NotifyType.REKEY_SA.value(), new byte[0]);
    }

    /** SIGNATURE_HASH_ALGORITHMS listing RFC 7427 hash algorithm identifiers. */
    public static NotifyPayload signatureHashAlgorithms(List<Integer> hashAlgorithms) {
        ByteWriter w = new ByteWriter();
        hashAlgorithms.forEach(w::u16);
        return of(NotifyType.SIGNATURE_HASH_ALGORITHMS, w.toByteArray());
    }

    static NotifyPayload decode(ByteReader r) throws IkeParseException {
        int protocol = r.u8("protocol ID");
        int spiSize = r.u8("SPI size");
        int type = r.u16("notify message type");
        byte[] spi = r.bytes(spiSize, "SPI");
        byte[] data = r.rest();
        String bad = checkData(type, data);
        if (bad != null) {
            throw new IkeParseException(bad);
        }
        return new NotifyPayload(protocol, spi, type, data);
    }

    private static String checkData(int type, byte[] data) {
        Optional<NotifyType> known = NotifyType.of(type);
        if (known.isEmpty()) {
            return null;
        }
        int n = data.length;
        return switch (known.get()) {
            case COOKIE -> n >= 1 && n <= MAX_COOKIE_LENGTH ? null
                    : "COOKIE of " + n + " bytes, RFC 7296 §2.6 allows 1 to " + MAX_COOKIE_LENGTH;
            case INVALID_KE_PAYLOAD -> n == 2 ? null : "INVALID_KE_PAYLOAD needs a 2-byte group, got " + n + " bytes";
            case NAT_DETECTION_SOURCE_IP, NAT_DETECTION_DESTINATION_IP -> n == NAT_DETECTION_LENGTH ? null
                    : known.get() + " needs a " + NAT_DETECTION_LENGTH + "-byte SHA-1 hash, got " + n + " bytes";
            case SIGNATURE_HASH_ALGORITHMS -> n % 2 == 0 ? null
                    : "SIGNATURE_HASH_ALGORITHMS of odd length " + n;
            case USE_TRANSPORT_MODE, INITIAL_CONTACT, IKEV2_FRAGMENTATION_SUPPORTED, REKEY_SA,
                 ESP_TFC_PADDING_NOT_SUPPORTED, NON_FIRST_FRAGMENTS_ALSO -> n == 0 ? null
                    : known.get() + " carries no data, got " + n + " bytes";
            default -> null;
        };
    }

    /** The known notify type, empty for a type this enum does not list. */
    public Optional<NotifyType> knownType() {
        return NotifyType.of(notifyType);
    }

    public boolean is(NotifyType type) {
        return notifyType == type.value();
    }

    /** True for error notifications (type below 16384). */
    public boolean isError() {
        return notifyType < NotifyType.FIRST_STATUS_TYPE;
    }

    /** The group an INVALID_KE_PAYLOAD asks for. */
    public int invalidKeGroup() {
        if (!is(NotifyType.INVALID_KE_PAYLOAD)) {
            throw new IllegalStateException("not INVALID_KE_PAYLOAD but type " + notifyType);
        }
        return ((data[0] & 0xff) << 8) | (data[1] & 0xff);
    }

    /** The hash algorithm identifiers of a SIGNATURE_HASH_ALGORITHMS notification. */
    public List<Integer> signatureHashAlgorithmList() {
        if (!is(NotifyType.SIGNATURE_HASH_ALGORITHMS)) {
            throw new IllegalStateException("not SIGNATURE_HASH_ALGORITHMS but type " + notifyType);
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < data.length; i += 2) {
            out.add(((data[i] & 0xff) << 8) | (data[i + 1] & 0xff));
        }
        return List.copyOf(out);
    }

    @Override
    public byte[] spi() {
        return spi.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public int type() {
        return PayloadType.NOTIFY.value();
    }

    @Override
    public byte[] encodeBody() {
        return new ByteWriter().u8(protocolId).u8(spi.length).u16(notifyType).bytes(spi).bytes(data).toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NotifyPayload n && n.protocolId == protocolId && n.notifyType == notifyType
                && Arrays.equals(n.spi, spi) && Arrays.equals(n.data, data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {protocolId, notifyType, Arrays.hashCode(spi), Arrays.hashCode(data)});
    }

    @Override
    public String toString() {
        return "N[" + knownType().map(Enum::name).orElse(Integer.toString(notifyType))
                + (protocolId != 0 ? ", protocol " + protocolId : "")
                + (spi.length > 0 ? ", SPI " + HexFormat.of().formatHex(spi) : "")
                + (data.length > 0 ? ", " + HexFormat.of().formatHex(data) : "") + "]";
    }
}
