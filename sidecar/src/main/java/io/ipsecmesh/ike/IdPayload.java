package io.ipsecmesh.ike;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Identification payload, IDi or IDr (RFC 7296 §3.5). {@link #encodeBody()} is the
 * "RestOfIDPayload" that the AUTH computation hashes (§2.15).
 *
 * @param initiator true for IDi (type 35), false for IDr (type 36)
 */
public record IdPayload(boolean initiator, int idType, byte[] data) implements IkePayload {

    public static final int ID_IPV4_ADDR = 1;
    public static final int ID_FQDN = 2;
    public static final int ID_RFC822_ADDR = 3;
    public static final int ID_IPV6_ADDR = 5;
    public static final int ID_DER_ASN1_DN = 9;
    public static final int ID_DER_ASN1_GN = 10;
    public static final int ID_KEY_ID = 11;

    public IdPayload {
        if (idType < 0 || idType > 0xff) {
            throw new IllegalArgumentException("ID type " + idType + " out of range 0..255");
        }
        if (data.length == 0) {
            throw new IllegalArgumentException("empty identification data");
        }
        if (idType == ID_IPV4_ADDR && data.length != 4) {
            throw new IllegalArgumentException("ID_IPV4_ADDR needs 4 bytes, got " + data.length);
        }
        if (idType == ID_IPV6_ADDR && data.length != 16) {
            throw new IllegalArgumentException("ID_IPV6_ADDR needs 16 bytes, got " + data.length);
        }
        data = data.clone();
    }

    /** An ID_FQDN identity such as {@code node-1.cluster.example}. */
    public static IdPayload fqdn(boolean initiator, String fqdn) {
        return new IdPayload(initiator, ID_FQDN, fqdn.getBytes(StandardCharsets.US_ASCII));
    }

    static IdPayload decode(ByteReader r, boolean initiator) throws IkeParseException {
        int idType = r.u8("ID type");
        r.skip(3, "reserved");
        byte[] data = r.rest();
        if (data.length == 0) {
            throw new IkeParseException((initiator ? "IDi" : "IDr") + " payload without identification data");
        }
        if ((idType == ID_IPV4_ADDR && data.length != 4) || (idType == ID_IPV6_ADDR && data.length != 16)) {
            throw new IkeParseException((initiator ? "IDi" : "IDr") + " of type " + idType + " has "
                    + data.length + " address bytes");
        }
        return new IdPayload(initiator, idType, data);
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public int type() {
        return initiator ? PayloadType.IDI.value() : PayloadType.IDR.value();
    }

    @Override
    public byte[] encodeBody() {
        return new ByteWriter().u8(idType).zeros(3).bytes(data).toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IdPayload i && i.initiator == initiator && i.idType == idType && Arrays.equals(i.data, data);
    }

    @Override
    public int hashCode() {
        return (initiator ? 1 : 0) + 31 * idType + 961 * Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        String shown = idType == ID_FQDN || idType == ID_RFC822_ADDR
                ? new String(data, StandardCharsets.US_ASCII) : HexFormat.of().formatHex(data);
        return (initiator ? "IDi" : "IDr") + "[type " + idType + ", " + shown + "]";
    }
}
