package io.ipsecmesh.ike;

import java.util.Arrays;

/**
 * Certificate Request payload (RFC 7296 §3.7): a certificate encoding and the certification
 * authority data, for X.509 the concatenated SHA-1 hashes of the trusted CAs' public keys;
 * kept opaque here.
 */
public record CertReqPayload(int encoding, byte[] certificationAuthority) implements IkePayload {

    public CertReqPayload {
        if (encoding < 0 || encoding > 0xff) {
            throw new IllegalArgumentException("certificate encoding " + encoding + " out of range 0..255");
        }
        certificationAuthority = certificationAuthority.clone();
    }

    static CertReqPayload decode(ByteReader r) throws IkeParseException {
        int encoding = r.u8("certificate encoding");
        return new CertReqPayload(encoding, r.rest());
    }

    @Override
    public byte[] certificationAuthority() {
        return certificationAuthority.clone();
    }

    @Override
    public int type() {
        return PayloadType.CERTREQ.value();
    }

    @Override
    public byte[] encodeBody() {
        return new ByteWriter().u8(encoding).bytes(certificationAuthority).toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CertReqPayload c && c.encoding == encoding
                && Arrays.equals(c.certificationAuthority, certificationAuthority);
    }

    @Override
    public int hashCode() {
        return 31 * encoding + Arrays.hashCode(certificationAuthority);
    }

    @Override
    public String toString() {
        return "CERTREQ[encoding " + encoding + ", " + certificationAuthority.length + " bytes]";
    }
}
