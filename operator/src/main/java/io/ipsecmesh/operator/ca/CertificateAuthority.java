package io.ipsecmesh.operator.ca;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;

/**
 * The operator's certificate authority: an ECDSA P-256 key and a self-signed CA certificate
 * (made here, or brought by the user, e.g. issued by cert-manager), signing node certificates
 * from CSRs. A node certificate names the node (DNS SAN and subject CN) and the node's
 * addresses (IP SANs), nothing else, whatever the CSR asked for; a CSR asking for anything
 * else is refused. The private keys never appear in messages or logs.
 */
public final class CertificateAuthority {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SIGNATURE = "SHA256withECDSA";

    private final PrivateKey key;
    private final X509Certificate certificate;
    private final Clock clock;

    private CertificateAuthority(PrivateKey key, X509Certificate certificate, Clock clock) {
        this.key = key;
        this.certificate = certificate;
        this.clock = clock;
    }

    /** A refused CSR, with the reason a caller can act on. */
    public static final class RefusedException extends Exception {
        public RefusedException(String message) {
            super(message);
        }
    }

    /** A fresh CA: ECDSA P-256, CN=name, valid for {@code validity}. */
    public static CertificateAuthority create(String name, Duration validity, Clock clock) {
        try {
            KeyPair kp = newKeyPair();
            Instant now = clock.instant();
            X500Name subject = new X500Name("CN=" + name);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(validity)), subject, kp.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            return new CertificateAuthority(kp.getPrivate(), sign(b, kp.getPrivate()), clock);
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot create the CA: " + e.getMessage(), e);
        }
    }

    /** A CA from PEM (certificate and PKCS#8 or SEC1 EC private key), e.g. from a Secret. */
    public static CertificateAuthority fromPem(String certificatePem, String keyPem, Clock clock) {
        try {
            X509Certificate cert;
            try (PEMParser p = new PEMParser(new StringReader(certificatePem))) {
                Object o = p.readObject();
                if (!(o instanceof X509CertificateHolder h)) {
                    throw new IllegalArgumentException("the CA certificate is not a PEM certificate");
                }
                cert = new JcaX509CertificateConverter().getCertificate(h);
            }
            PrivateKey key;
            try (PEMParser p = new PEMParser(new StringReader(keyPem))) {
                Object o = p.readObject();
                JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
                if (o instanceof PEMKeyPair kp) {
                    key = conv.getPrivateKey(kp.getPrivateKeyInfo());
                } else if (o instanceof PrivateKeyInfo info) {
                    key = conv.getPrivateKey(info);
                } else {
                    throw new IllegalArgumentException("the CA key is not a PEM private key");
                }
            }
            if (cert.getBasicConstraints() < 0) {
                throw new IllegalArgumentException("the certificate " + cert.getSubjectX500Principal()
                        + " is not a CA certificate (no basicConstraints CA:true)");
            }
            return new CertificateAuthority(key, cert, clock);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the CA: " + e.getMessage(), e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public String certificatePem() {
        return pem(certificate);
    }

    /** The CA key, PEM; only for storing it in its Secret. */
    public String privateKeyPem() {
        return pem(key);
    }

    /**
     * Signs a node certificate for {@code csr}, valid for {@code lifetime}.
     *
     * @throws RefusedException when the CSR's signature is bad, or it asks for a name or
     *                          address other than the node's
     */
    public X509Certificate signNode(byte[] csrDer, String nodeName, List<String> nodeAddresses, Duration lifetime)
            throws RefusedException {
        PKCS10CertificationRequest csr;
        try {
            csr = new PKCS10CertificationRequest(csrDer);
        } catch (IOException | RuntimeException e) {
            throw new RefusedException("the CSR is not a DER PKCS#10 request: " + e.getMessage());
        }
        try {
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(csr.getSubjectPublicKeyInfo()))) {
                throw new RefusedException("the CSR's signature does not verify with its public key");
            }
        } catch (OperatorCreationException | PKCSException e) {
            throw new RefusedException("the CSR's signature cannot be checked: " + e.getMessage());
        }
        // Subject: empty or CN=<node> only.
        for (RDN rdn : csr.getSubject().getRDNs()) {
            for (var atv : rdn.getTypesAndValues()) {
                String value = atv.getValue().toString();
                if (!atv.getType().equals(BCStyle.CN) || !value.equals(nodeName)) {
                    throw new RefusedException("the CSR's subject asks for " + BCStyle.INSTANCE.oidToDisplayName(
                            atv.getType()) + "=" + value + "; only CN=" + nodeName + " (or an empty subject) is allowed");
                }
            }
        }
        Set<String> allowedIps = new LinkedHashSet<>();
        for (String a : nodeAddresses) {
            allowedIps.add(normalizeIp(a));
        }
        for (GeneralName n : requestedNames(csr)) {
            switch (n.getTagNo()) {
                case GeneralName.dNSName -> {
                    String dns = n.getName().toString();
                    if (!dns.equals(nodeName)) {
                        throw new RefusedException("the CSR asks for DNS name " + dns + "; only the node name "
                                + nodeName + " is allowed");
                    }
                }
                case GeneralName.iPAddress -> {
                    String ip = ipOf(n);
                    if (!allowedIps.contains(ip)) {
                        throw new RefusedException("the CSR asks for IP address " + ip + ", which is not an address of node "
                                + nodeName + " " + nodeAddresses);
                    }
                }
                default -> throw new RefusedException("the CSR asks for a subject alternative name of type "
                        + n.getTagNo() + "; only the node name and the node's IP addresses are allowed");
            }
        }
        try {
            PublicKey pub = new JcaPEMKeyConverter().getPublicKey(csr.getSubjectPublicKeyInfo());
            Instant now = clock.instant();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(lifetime)),
                    new X500Name("CN=" + nodeName), pub);
            List<GeneralName> sans = new ArrayList<>();
            sans.add(new GeneralName(GeneralName.dNSName, nodeName));
            for (String ip : allowedIps) {
                sans.add(new GeneralName(GeneralName.iPAddress, ip));
            }
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                    KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth, KeyPurposeId.getInstance(
                            new ASN1ObjectIdentifier("1.3.6.1.5.5.7.3.17")) })); // id-kp-ipsecIKE (RFC 4945)
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pub));
            return sign(b, key);
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot sign for node " + nodeName + ": " + e.getMessage(), e);
        }
    }

    /** A TLS server certificate for the operator's own endpoint (the gRPC server), with a fresh key. */
    public KeyAndCertificate serverCertificate(List<String> dnsNames, Duration lifetime) {
        try {
            KeyPair kp = newKeyPair();
            Instant now = clock.instant();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), serial(),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(lifetime)),
                    new X500Name("CN=" + dnsNames.getFirst()), kp.getPublic());
            GeneralName[] sans = dnsNames.stream().map(d -> looksLikeIp(d)
                    ? new GeneralName(GeneralName.iPAddress, d) : new GeneralName(GeneralName.dNSName, d))
                    .toArray(GeneralName[]::new);
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
            return new KeyAndCertificate(kp.getPrivate(), sign(b, key));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make the server certificate: " + e.getMessage(), e);
        }
    }

    /** A private key with its certificate. {@link #toString()} does not show the key. */
    public record KeyAndCertificate(PrivateKey key, X509Certificate certificate) {
        @Override
        public String toString() {
            return "KeyAndCertificate[" + certificate.getSubjectX500Principal() + ", serial "
                    + certificate.getSerialNumber().toString(16) + "]";
        }
    }

    /** A fresh P-256 key pair (for tests and for clients making CSRs). */
    public static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static List<GeneralName> requestedNames(PKCS10CertificationRequest csr) throws RefusedException {
        List<GeneralName> out = new ArrayList<>();
        for (Attribute a : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
            for (ASN1Encodable v : a.getAttrValues()) {
                Extensions exts = Extensions.getInstance(v);
                for (ASN1ObjectIdentifier oid : exts.getExtensionOIDs()) {
                    if (oid.equals(Extension.subjectAlternativeName)) {
                        GeneralNames names = GeneralNames.fromExtensions(exts, Extension.subjectAlternativeName);
                        out.addAll(List.of(names.getNames()));
                    } else if (oid.equals(Extension.basicConstraints)) {
                        BasicConstraints bc = BasicConstraints.fromExtensions(exts);
                        if (bc != null && bc.isCA()) {
                            throw new RefusedException("the CSR asks for a CA certificate; node certificates are not CAs");
                        }
                    }
                }
            }
        }
        return out;
    }

    private static String ipOf(GeneralName n) throws RefusedException {
        byte[] b = DEROctetString.getInstance(n.getName()).getOctets();
        try {
            return InetAddress.getByAddress(b).getHostAddress();
        } catch (IOException e) {
            throw new RefusedException("the CSR has an IP address SAN of " + b.length + " bytes");
        }
    }

    private static String normalizeIp(String s) {
        try {
            return InetAddress.getByName(s).getHostAddress();
        } catch (IOException e) {
            throw new IllegalArgumentException("node address '" + s + "' is not an IP address");
        }
    }

    private static boolean looksLikeIp(String s) {
        return s.chars().allMatch(c -> c == '.' || c == ':' || Character.digit(c, 16) >= 0) && (s.contains(".") || s.contains(":"));
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
            throws OperatorCreationException, GeneralSecurityException {
        ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE).build(key);
        return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    }

    /** PEM of a certificate, or of a private key as PKCS#8 ("PRIVATE KEY"). */
    public static String pem(Object o) {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter p = new JcaPEMWriter(w)) {
            if (o instanceof PrivateKey k) {
                p.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null));
            } else {
                p.writeObject(o);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return w.toString();
    }
}
