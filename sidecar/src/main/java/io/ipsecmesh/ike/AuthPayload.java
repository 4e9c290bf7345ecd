package io.ipsecmesh.ike;

import java.util.Arrays;

/** Authentication payload (RFC 7296 §3.8): the method and the signature or MAC. */
public record AuthPayload(int method, byte[] authenticationData) implements IkePayload {

    /** RSA Digital Signature (RFC 7296). */
    public static final int RSA_DIGITAL_SIGNATURE = 1;
    /** Shared Key Message Integrity Code (RFC 7296). */
    public static final int SHARED_KEY_MIC = 2;
    /** ECDSA with SHA-256 on the P-256 curve (RFC 4754). */
    public static final int ECDSA_SHA256_P256 = 9;
    /** Digital Signature (RFC 7427), the method ipsec-mesh signs with. */
    public static final int DIGITAL_SIGNATURE = 14;

    public AuthPayload {
        if (method < 0 || method > 0xff) {
            throw new IllegalArgumentException("auth method " + method + " out of range 0..255");
        }
        if (authenticationData.length == 0) {
            throw new IllegalArgumentException("empty authentication data");
        }
        authenticationData = authenticationData.clone();
    }

    static AuthPayload decode(ByteReader r) throws IkeParseException {
        int method = r.u8("auth method");
        r.skip(3, "reserved");
        if (r.remaining() == 0) {
            throw new IkeParseException("AUTH payload without authentication data");
        }
        return new AuthPayload(method, r.rest());
    }

    @Override
    public byte[] authenticationData() {
        return authenticationData.clone();
    }

    @Override
    public int type() {
        return PayloadType.AUTH.value();
    }

    @Override
    public byte[] encodeBody() {
        return new ByteWriter().u8(method).zeros(3).bytes(authenticationData).toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthPayload a && a.method == method && Arrays.equals(a.authenticationData, authenticationData);
    }

    @Override
    public int hashCode() {
        return 31 * method + Arrays.hashCode(authenticationData);
    }

    @Override
    public String toString() {
        return "AUTH[method " + method + ", " + authenticationData.length + " bytes]";
    }
}
