package io.ipsecmesh.ike;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A transform attribute (RFC 7296 §3.3.5): Type/Value format (AF = 1, a 2-byte value) or
 * Type/Length/Value format (AF = 0). RFC 7296 defines only Key Length (type 14, TV), in bits.
 *
 * @param type the 15-bit attribute type
 * @param tv   true for TV format, whose value is exactly 2 bytes
 */
public record TransformAttribute(int type, boolean tv, byte[] value) {

    public static final int KEY_LENGTH = 14;

    public TransformAttribute {
        if (type < 0 || type > 0x7fff) {
            throw new IllegalArgumentException("attribute type " + type + " out of range 0..32767");
        }
        if (tv && value.length != 2) {
            throw new IllegalArgumentException("a TV attribute holds 2 bytes, got " + value.length);
        }
        if (value.length > 0xffff) {
            throw new IllegalArgumentException("attribute value of " + value.length + " bytes");
        }
        value = value.clone();
    }

    /** Key Length attribute, in bits (e.g. 128 or 256 for AES). */
    public static TransformAttribute keyLength(int bits) {
        return new TransformAttribute(KEY_LENGTH, true, new byte[] {(byte) (bits >>> 8), (byte) bits});
    }

    /** The 16-bit value of a TV attribute. */
    public int intValue() {
        if (!tv) {
            throw new IllegalStateException("TLV attribute " + type + " has no 16-bit value");
        }
        return ((value[0] & 0xff) << 8) | (value[1] & 0xff);
    }

    static TransformAttribute decode(ByteReader r) throws IkeParseException {
        int word = r.u16("attribute type");
        boolean tv = (word & 0x8000) != 0;
        int type = word & 0x7fff;
        if (tv) {
            return new TransformAttribute(type, true, r.bytes(2, "attribute value"));
        }
        int len = r.u16("attribute length");
        return new TransformAttribute(type, false, r.bytes(len, "attribute value"));
    }

    int encodedLength() {
        return tv ? 4 : 4 + value.length;
    }

    void encode(ByteWriter w) {
        if (tv) {
            w.u16(0x8000 | type).bytes(value);
        } else {
            w.u16(type).u16(value.length).bytes(value);
        }
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TransformAttribute a && a.type == type && a.tv == tv && Arrays.equals(a.value, value);
    }

    @Override
    public int hashCode() {
        return 31 * type + (tv ? 1 : 0) + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return tv ? type + "=" + intValue() : type + "=" + HexFormat.of().formatHex(value);
    }
}
