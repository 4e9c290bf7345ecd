package io.ipsecmesh.ike.cert;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;

/** The subjectAltName entries of a certificate (RFC 5280 §4.2.1.6) that IKE identities use. */
final class SubjectAltNames {

    static final int RFC822_NAME = GeneralName.rfc822Name;
    static final int DNS_NAME = GeneralName.dNSName;
    static final int IP_ADDRESS = GeneralName.iPAddress;

    /** One entry: its GeneralName tag and its value, text for names, bytes for addresses. */
    record Entry(int tag, String text, byte[] bytes) {
    }

    private SubjectAltNames() {
    }

    /**
     * The rfc822Name, dNSName and iPAddress entries in certificate order; other kinds are left
     * out. An absent extension gives an empty list.
     *
     * @throws IllegalArgumentException if the extension is not valid DER
     */
    static List<Entry> of(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue(Extension.subjectAlternativeName.getId());
        if (ext == null) {
            return List.of();
        }
        GeneralNames names;
        try {
            names = GeneralNames.getInstance(ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(ext).getOctets()));
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed subjectAltName extension", e);
        }
        List<Entry> out = new ArrayList<>();
        for (GeneralName n : names.getNames()) {
            switch (n.getTagNo()) {
                case GeneralName.rfc822Name, GeneralName.dNSName ->
                        out.add(new Entry(n.getTagNo(), ((ASN1String) n.getName()).getString(), null));
                case GeneralName.iPAddress ->
                        out.add(new Entry(n.getTagNo(), null, ASN1OctetString.getInstance(n.getName()).getOctets()));
                default -> {
                }
            }
        }
        return out;
    }
}
