package io.ipsecmesh.ike;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * A proposal substructure (RFC 7296 §3.3.1): number, protocol, SPI and transforms.
 *
 * @param spi empty in IKE_SA_INIT, 8 bytes when rekeying an IKE SA, 4 bytes for AH/ESP
 */
public record Proposal(int number, int protocolId, byte[] spi, List<Transform> transforms) {

    static final int HEADER_LENGTH = 8;
    static final int LAST = 0;
    static final int MORE = 2;

    public Proposal {
        if (number < 0 || number > 0xff) {
            throw new IllegalArgumentException("proposal number " + number + " out of range 0..255");
        }
        if (protocolId < 0 || protocolId > 0xff) {
            throw new IllegalArgumentException("protocol ID " + protocolId + " out of range 0..255");
        }
        if (spi.length > 0xff) {
            throw new IllegalArgumentException("SPI of " + spi.length + " bytes");
        }
        transforms = List.copyOf(transforms);
        if (transforms.isEmpty() || transforms.size() > 0xff) {
            throw new IllegalArgumentException("a proposal holds 1 to 255 transforms, got " + transforms.size());
        }
        spi = spi.clone();
    }

    public Proposal(int number, ProtocolId protocol, byte[] spi, List<Transform> transforms) {
        this(number, protocol.value(), spi, transforms);
    }

    /** The transforms of one type, in proposal order. */
    public List<Transform> transformsOf(TransformType type) {
        return transforms.stream().filter(t -> t.transformType() == type.value()).toList();
    }

    int encodedLength() {
        int n = HEADER_LENGTH + spi.length;
        for (Transform t : transforms) {
            n += t.encodedLength();
        }
        return n;
    }

    static Proposal decode(ByteReader r, boolean[] more) throws IkeParseException {
        int at = r.position();
        int last = r.u8("proposal last-substructure flag");
        if (last != LAST && last != MORE) {
            throw new IkeParseException("proposal at offset " + at + " has last-substructure value " + last
                    + ", expected 0 or 2");
        }
        r.skip(1, "reserved");
        int length = r.u16("proposal length");
        if (length < HEADER_LENGTH) {
            throw new IkeParseException("proposal at offset " + at + " claims length " + length
                    + ", less than its 8-byte header");
        }
        ByteReader body = r.slice(length - 4, "proposal at offset " + at);
        int number = body.u8("proposal number");
        int protocol = body.u8("protocol ID");
        int spiSize = body.u8("SPI size");
        int count = body.u8("number of transforms");
        byte[] spi = body.bytes(spiSize, "SPI");
        if (count == 0) {
            throw new IkeParseException("proposal " + number + " at offset " + at + " has no transforms");
        }
        List<Transform> transforms = new ArrayList<>(count);
        boolean[] moreTransforms = {true};
        while (moreTransforms[0]) {
            if (transforms.size() == count) {
                throw new IkeParseException("proposal " + number + " at offset " + at + " announces " + count
                        + " transforms but its last one is marked as followed by more");
            }
            transforms.add(Transform.decode(body, moreTransforms));
        }
        if (transforms.size() != count) {
            throw new IkeParseException("proposal " + number + " at offset " + at + " announces " + count
                    + " transforms but holds " + transforms.size());
        }
        body.expectEnd();
        more[0] = last == MORE;
        return new Proposal(number, protocol, spi, transforms);
    }

    void encode(ByteWriter w, boolean last) {
        int length = encodedLength();
        if (length > 0xffff) {
            throw new IllegalArgumentException("proposal of " + length + " bytes");
        }
        w.u8(last ? LAST : MORE).u8(0).u16(length).u8(number).u8(protocolId).u8(spi.length).u8(transforms.size())
                .bytes(spi);
        for (int i = 0; i < transforms.size(); i++) {
            transforms.get(i).encode(w, i == transforms.size() - 1);
        }
    }

    @Override
    public byte[] spi() {
        return spi.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Proposal p && p.number == number && p.protocolId == protocolId && Arrays.equals(p.spi, spi)
                && p.transforms.equals(transforms);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {number, protocolId, Arrays.hashCode(spi), transforms.hashCode()});
    }

    @Override
    public String toString() {
        return "#" + number + "[protocol " + protocolId + (spi.length > 0 ? ", SPI " + HexFormat.of().formatHex(spi) : "")
                + ", " + transforms + "]";
    }
}
