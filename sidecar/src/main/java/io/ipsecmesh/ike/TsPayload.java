package io.ipsecmesh.ike;

import java.util.ArrayList;
import java.util.List;

/**
 * Traffic Selector payload, TSi or TSr (RFC 7296 §3.13): one or more selectors; ipsec-mesh
 * lists many pod addresses in one payload.
 *
 * @param initiator true for TSi (type 44), false for TSr (type 45)
 */
public record TsPayload(boolean initiator, List<TrafficSelector> selectors) implements IkePayload {

    public TsPayload {
        selectors = List.copyOf(selectors);
        if (selectors.isEmpty() || selectors.size() > 0xff) {
            throw new IllegalArgumentException("a TS payload holds 1 to 255 selectors, got " + selectors.size());
        }
    }

    static TsPayload decode(ByteReader r, boolean initiator) throws IkeParseException {
        String name = initiator ? "TSi" : "TSr";
        int count = r.u8("number of TSs");
        r.skip(3, "reserved");
        if (count == 0) {
            throw new IkeParseException(name + " payload with no traffic selectors");
        }
        List<TrafficSelector> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (r.remaining() == 0) {
                throw new IkeParseException(name + " payload announces " + count + " selectors but holds " + i);
            }
            list.add(TrafficSelector.decode(r));
        }
        if (r.remaining() != 0) {
            throw new IkeParseException(name + " payload has " + r.remaining() + " bytes after its " + count
                    + " selectors");
        }
        return new TsPayload(initiator, list);
    }

    @Override
    public int type() {
        return initiator ? PayloadType.TSI.value() : PayloadType.TSR.value();
    }

    @Override
    public byte[] encodeBody() {
        ByteWriter w = new ByteWriter().u8(selectors.size()).zeros(3);
        selectors.forEach(ts -> ts.encode(w));
        return w.toByteArray();
    }

    @Override
    public String toString() {
        return (initiator ? "TSi" : "TSr") + selectors;
    }
}
