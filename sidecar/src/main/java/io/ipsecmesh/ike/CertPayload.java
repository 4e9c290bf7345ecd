package io.ipsecmesh.ike;

import java.util.Arrays;

/**
 * Certificate payload (RFC 7296 §3.6): a certificate encoding and opaque certificate data
 * (for {@link #X509_SIGNATURE}, a DER X.509 certificate).
 */
public record CertPayload(int encoding, byte[] data) implements IkePayload {

    /** Certificate encoding 4: X.509 Certificate - Signature. */
    public static final int X509_SIGNATURE = 4;
    /** Certificate encoding 12: Hash and URL of X.509 certificate. */
    public static final int HASH_AND_URL_X509 = 12;

    public CertPayload {
        if (encoding < 0 || encoding > 0xff) {
            throw new IllegalArgumentException("certificate encoding " + encoding + " out of range 0..255");
        }
        data = data.clone();
    }

    static CertPayload decode(ByteReader r) throws IkeParseException {
        int encoding = r.u8("certificate encoding");
        return new CertPayload(encoding, r.rest());
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public int type() {
        return PayloadType.CERT.value();
    }

    @Override
    public byte[] encodeBody() {
        return new ByteWriter().u8(encoding).bytes(data).toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CertPayload c && c.encoding == encoding && Arrays.equals(c.data, data);
    }

    @Override
    public int hashCode() {
        return 31 * encoding + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "CERT[encoding " + encoding + ", " + data.length + " bytes]";
    }
}
