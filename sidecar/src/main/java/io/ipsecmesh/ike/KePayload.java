package io.ipsecmesh.ike;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * Key Exchange payload (RFC 7296 §3.4): the Diffie-Hellman group number and the sender's
 * public value. The public value's length is the group's; checking it against the group is
 * the key exchange's job (a mismatch is INVALID_SYNTAX, §3.4).
 */
public record KePayload(int dhGroup, byte[] keyExchangeData) implements IkePayload {

    public KePayload {
        if (dhGroup < 0 || dhGroup > 0xffff) {
            throw new IllegalArgumentException("D-H group " + dhGroup + " out of range 0..65535");
        }
        if (keyExchangeData.length == 0) {
            throw new IllegalArgumentException("empty key exchange data");
        }
        keyExchangeData = keyExchangeData.clone();
    }

    static KePayload decode(ByteReader r) throws IkeParseException {
        int group = r.u16("D-H group");
        r.skip(2, "reserved");
        if (r.remaining() == 0) {
            throw new IkeParseException("KE payload for group " + group + " carries no key exchange data");
        }
        return new KePayload(group, r.rest());
    }

    @Override
    public byte[] keyExchangeData() {
        return keyExchangeData.clone();
    }

    @Override
    public int type() {
        return PayloadType.KE.value();
    }

    @Override
    public byte[] encodeBody() {
        return new ByteWriter().u16(dhGroup).u16(0).bytes(keyExchangeData).toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KePayload k && k.dhGroup == dhGroup && Arrays.equals(k.keyExchangeData, keyExchangeData);
    }

    @Override
    public int hashCode() {
        return 31 * dhGroup + Arrays.hashCode(keyExchangeData);
    }

    @Override
    public String toString() {
        return "KE[group " + dhGroup + ", " + keyExchangeData.length + " bytes "
                + HexFormat.of().formatHex(keyExchangeData, 0, Math.min(8, keyExchangeData.length)) + "...]";
    }
}
