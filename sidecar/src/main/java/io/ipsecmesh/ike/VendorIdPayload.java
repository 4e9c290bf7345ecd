package io.ipsecmesh.ike;

import java.util.Arrays;
import java.util.HexFormat;

/** Vendor ID payload (RFC 7296 §3.12): an opaque identifier, usually a hash. */
public record VendorIdPayload(byte[] vendorId) implements IkePayload {

    public VendorIdPayload {
        vendorId = vendorId.clone();
    }

    static VendorIdPayload decode(ByteReader r) {
        return new VendorIdPayload(r.rest());
    }

    @Override
    public byte[] vendorId() {
        return vendorId.clone();
    }

    @Override
    public int type() {
        return PayloadType.VENDOR_ID.value();
    }

    @Override
    public byte[] encodeBody() {
        return vendorId.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VendorIdPayload v && Arrays.equals(v.vendorId, vendorId);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(vendorId);
    }

    @Override
    public String toString() {
        return "V[" + HexFormat.of().formatHex(vendorId) + "]";
    }
}
