package io.ipsecmesh.ike;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A transform substructure (RFC 7296 §3.3.2): type, transform ID and attributes.
 *
 * @param transformType a {@link TransformType} value (unknown types are kept: the engine
 *                      must refuse a proposal holding one, §3.3.6)
 */
public record Transform(int transformType, int transformId, List<TransformAttribute> attributes) {

    static final int HEADER_LENGTH = 8;
    static final int LAST = 0;
    static final int MORE = 3;

    public Transform {
        if (transformType < 0 || transformType > 0xff) {
            throw new IllegalArgumentException("transform type " + transformType + " out of range 0..255");
        }
        if (transformId < 0 || transformId > 0xffff) {
            throw new IllegalArgumentException("transform ID " + transformId + " out of range 0..65535");
        }
        attributes = List.copyOf(attributes);
    }

    public Transform(TransformType type, int transformId) {
        this(type.value(), transformId, List.of());
    }

    /**
     * The ENCR transform of an encryption algorithm, with a Key Length attribute where the
     * transform ID leaves the key length open (AES-CBC, AES-GCM; RFC 7296 §3.3.5).
     */
    public static Transform encryption(EncryptionAlgorithm alg) {
        boolean keyed = switch (alg) {
            case AES_CBC_128, AES_CBC_256, AES_GCM_16_128, AES_GCM_16_256 -> true;
            default -> false;
        };
        return new Transform(TransformType.ENCR.value(), alg.ikeTransformId(),
                keyed ? List.of(TransformAttribute.keyLength(alg.keyLength() * 8)) : List.of());
    }

    public static Transform integrity(IntegrityAlgorithm alg) {
        return new Transform(TransformType.INTEG, alg.ikeTransformId());
    }

    public static Transform prf(PrfAlgorithm alg) {
        return new Transform(TransformType.PRF, alg.ikeTransformId());
    }

    public static Transform keyExchange(int dhGroup) {
        return new Transform(TransformType.KE, dhGroup);
    }

    /** The Key Length attribute in bits, if present. */
    public OptionalInt keyLengthBits() {
        for (TransformAttribute a : attributes) {
            if (a.tv() && a.type() == TransformAttribute.KEY_LENGTH) {
                return OptionalInt.of(a.intValue());
            }
        }
        return OptionalInt.empty();
    }

    int encodedLength() {
        int n = HEADER_LENGTH;
        for (TransformAttribute a : attributes) {
            n += a.encodedLength();
        }
        return n;
    }

    /** Decodes one transform; returns it with whether more transforms follow. */
    static Transform decode(ByteReader r, boolean[] more) throws IkeParseException {
        int at = r.position();
        int last = r.u8("transform last-substructure flag");
        if (last != LAST && last != MORE) {
            throw new IkeParseException("transform at offset " + at + " has last-substructure value " + last
                    + ", expected 0 or 3");
        }
        r.skip(1, "reserved");
        int length = r.u16("transform length");
        if (length < HEADER_LENGTH) {
            throw new IkeParseException("transform at offset " + at + " claims length " + length
                    + ", less than its 8-byte header");
        }
        ByteReader body = r.slice(length - 4, "transform at offset " + at);
        int type = body.u8("transform type");
        body.skip(1, "reserved");
        int id = body.u16("transform ID");
        List<TransformAttribute> attrs = new ArrayList<>();
        while (body.remaining() > 0) {
            attrs.add(TransformAttribute.decode(body));
        }
        more[0] = last == MORE;
        return new Transform(type, id, attrs);
    }

    void encode(ByteWriter w, boolean last) {
        int length = encodedLength();
        if (length > 0xffff) {
            throw new IllegalArgumentException("transform of " + length + " bytes");
        }
        w.u8(last ? LAST : MORE).u8(0).u16(length).u8(transformType).u8(0).u16(transformId);
        attributes.forEach(a -> a.encode(w));
    }

    @Override
    public String toString() {
        return TransformType.of(transformType).map(Enum::name).orElse("type" + transformType) + ":" + transformId
                + (attributes.isEmpty() ? "" : attributes.toString());
    }
}
