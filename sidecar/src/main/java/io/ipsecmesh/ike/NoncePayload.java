package io.ipsecmesh.ike;

import java.util.Arrays;
import java.util.HexFormat;

/** Nonce payload, Ni or Nr (RFC 7296 §3.9): between 16 and 256 octets. */
public record NoncePayload(byte[] nonce) implements IkePayload {

    public static final int MIN_LENGTH = 16;
    public static final int MAX_LENGTH = 256;

    public NoncePayload {
        if (nonce.length < MIN_LENGTH || nonce.length > MAX_LENGTH) {
            throw new IllegalArgumentException("nonce of " + nonce.length + " bytes, RFC 7296 §3.9 requires "
                    + MIN_LENGTH + " to " + MAX_LENGTH);
        }
        nonce = nonce.clone();
    }

    static NoncePayload decode(ByteReader r) throws IkeParseException {
        int n = r.remaining();
        if (n < MIN_LENGTH || n > MAX_LENGTH) {
            throw new IkeParseException("Nonce payload of " + n + " bytes at offset " + r.position()
                    + ", RFC 7296 §3.9 requires " + MIN_LENGTH + " to " + MAX_LENGTH);
        }
        return new NoncePayload(r.rest());
    }

    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    @Override
    public int type() {
        return PayloadType.NONCE.value();
    }

    @Override
    public byte[] encodeBody() {
        return nonce.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NoncePayload n && Arrays.equals(n.nonce, nonce);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(nonce);
    }

    @Override
    public String toString() {
        return "Nonce[" + HexFormat.of().formatHex(nonce) + "]";
    }
}
