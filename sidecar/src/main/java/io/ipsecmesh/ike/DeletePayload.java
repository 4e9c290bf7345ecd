package io.ipsecmesh.ike;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Delete payload (RFC 7296 §3.11): deletes the IKE SA (protocol IKE, no SPIs) or CHILD_SAs
 * (protocol AH or ESP, 4-byte inbound SPIs of the sender).
 *
 * @param spis the SPIs, each {@code spiSize} bytes, as unsigned 32-bit values for AH/ESP
 */
public record DeletePayload(int protocolId, List<Integer> spis) implements IkePayload {

    public DeletePayload {
        if (protocolId < 0 || protocolId > 0xff) {
            throw new IllegalArgumentException("protocol ID " + protocolId + " out of range 0..255");
        }
        spis = List.copyOf(spis);
        if (protocolId == ProtocolId.IKE.value() && !spis.isEmpty()) {
            throw new IllegalArgumentException("deleting the IKE SA takes no SPIs (RFC 7296 §3.11)");
        }
        if (protocolId != ProtocolId.IKE.value() && spis.isEmpty()) {
            throw new IllegalArgumentException("deleting CHILD_SAs needs at least one SPI");
        }
        if (spis.size() > 0xffff) {
            throw new IllegalArgumentException(spis.size() + " SPIs do not fit a Delete payload");
        }
    }

    /** Deletes the IKE SA the message belongs to. */
    public static DeletePayload ikeSa() {
        return new DeletePayload(ProtocolId.IKE.value(), List.of());
    }

    /** Deletes CHILD_SAs of this protocol (AH or ESP) by their inbound SPIs. */
    public static DeletePayload childSas(ProtocolId protocol, List<Integer> spis) {
        return new DeletePayload(protocol.value(), spis);
    }

    static DeletePayload decode(ByteReader r) throws IkeParseException {
        int protocol = r.u8("protocol ID");
        int spiSize = r.u8("SPI size");
        int count = r.u16("number of SPIs");
        if (protocol == ProtocolId.IKE.value()) {
            if (spiSize != 0 || count != 0) {
                throw new IkeParseException("Delete of the IKE SA must have SPI size 0 and no SPIs, got size "
                        + spiSize + " and " + count + " SPIs");
            }
        } else if (spiSize != 4 || count == 0) {
            throw new IkeParseException("Delete for protocol " + protocol + " must list 4-byte SPIs, got size "
                    + spiSize + " and " + count + " SPIs");
        }
        if ((long) spiSize * count != r.remaining()) {
            throw new IkeParseException("Delete payload announces " + count + " SPIs of " + spiSize
                    + " bytes but carries " + r.remaining() + " bytes");
        }
        List<Integer> spis = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            spis.add(r.u32("SPI"));
        }
        return new DeletePayload(protocol, spis);
    }

    @Override
    public int type() {
        return PayloadType.DELETE.value();
    }

    @Override
    public byte[] encodeBody() {
        boolean ike = protocolId == ProtocolId.IKE.value();
        ByteWriter w = new ByteWriter().u8(protocolId).u8(ike ? 0 : 4).u16(spis.size());
        spis.forEach(w::u32);
        return w.toByteArray();
    }

    @Override
    public String toString() {
        return "D[protocol " + protocolId + (spis.isEmpty() ? "" : ", SPIs "
                + spis.stream().map(s -> HexFormat.of().toHexDigits(s)).toList()) + "]";
    }
}
