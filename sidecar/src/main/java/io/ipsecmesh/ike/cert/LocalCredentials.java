package io.ipsecmesh.ike.cert;

import io.ipsecmesh.ike.CertPayload;
import io.ipsecmesh.ike.IdPayload;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * This node's IKE credentials: its private key and its certificate chain, end entity first,
 * as sent in CERT payloads (RFC 7296 §3.6, encoding 4) in IKE_AUTH, and the identity that
 * the certificate vouches for (RFC 4945 §3.1).
 *
 * <p>{@link #load} reads the files strongSwan's {@code pki} writes, PEM or DER: private keys as
 * PKCS#8 ({@code PRIVATE KEY}), SEC1 ({@code EC PRIVATE KEY}) or PKCS#1 ({@code RSA PRIVATE
 * KEY}), certificates as X.509. It checks that the key belongs to the certificate and that
 * every certificate is signed by the next one. Neither {@link #toString()} nor any exception
 * message shows key material.
 */
public final class LocalCredentials {

    private final PrivateKey privateKey;
    private final List<X509Certificate> chain;

    private LocalCredentials(PrivateKey privateKey, List<X509Certificate> chain) {
        this.privateKey = io.ipsecmesh.ike.EcProvider.own(privateKey); // signs 3x faster
        this.chain = List.copyOf(chain);
    }

    /**
     * Credentials from a key and a certificate chain already in memory.
     *
     * @param chain end entity first, then each issuer (the root may be left out)
     * @throws CredentialException if the key does not belong to the end entity or the chain
     *     does not chain
     */
    public static LocalCredentials of(PrivateKey privateKey, List<X509Certificate> chain) throws CredentialException {
        Objects.requireNonNull(privateKey, "privateKey");
        if (chain.isEmpty()) {
            throw new CredentialException("no certificate");
        }
        checkKeyMatches(privateKey, chain.getFirst(), "the private key");
        checkChain(chain);
        return new LocalCredentials(privateKey, chain);
    }

    /**
     * Reads a private key, its certificate and optional intermediate CA certificates.
     *
     * @param keyFile PEM or DER private key: PKCS#8, SEC1 or PKCS#1, not encrypted
     * @param certFile PEM or DER certificate; a PEM file may go on with intermediates
     * @param intermediateFiles PEM (one or more certificates) or DER files, in chain order
     * @throws IOException if a file cannot be read
     * @throws CredentialException if a file's content cannot be used, the key does not belong
     *     to the certificate, or the certificates do not form a chain
     */
    public static LocalCredentials load(Path keyFile, Path certFile, List<Path> intermediateFiles)
            throws IOException, CredentialException {
        List<X509Certificate> chain = new ArrayList<>(readCertificates(certFile));
        for (Path p : intermediateFiles) {
            chain.addAll(readCertificates(p));
        }
        PrivateKey key = readPrivateKey(keyFile, chain.getFirst());
        checkKeyMatches(key, chain.getFirst(), keyFile.toString());
        checkChain(chain);
        return new LocalCredentials(key, chain);
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    /** The end-entity certificate. */
    public X509Certificate certificate() {
        return chain.getFirst();
    }

    /** End entity first, then the intermediates as loaded. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** One CERT payload per certificate of the chain, end entity first (encoding 4, DER). */
    public List<CertPayload> certPayloads() {
        List<CertPayload> out = new ArrayList<>(chain.size());
        for (X509Certificate c : chain) {
            try {
                out.add(new CertPayload(CertPayload.X509_SIGNATURE, c.getEncoded()));
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IllegalStateException("certificate " + c.getSubjectX500Principal() + " cannot be encoded", e);
            }
        }
        return out;
    }

    /**
     * The identity to send when none is configured: the first dNSName or iPAddress of the
     * certificate's subjectAltName, else its subject DN (as encoded in the certificate).
     */
    public IkeIdentity defaultIdentity() {
        X509Certificate c = certificate();
        for (SubjectAltNames.Entry e : SubjectAltNames.of(c)) {
            if (e.tag() == SubjectAltNames.DNS_NAME) {
                try {
                    return IkeIdentity.ofText(IdPayload.ID_FQDN, e.text());
                } catch (IllegalArgumentException notAscii) {
                    continue;
                }
            }
            if (e.tag() == SubjectAltNames.IP_ADDRESS && (e.bytes().length == 4 || e.bytes().length == 16)) {
                return IkeIdentity.from(new IdPayload(true,
                        e.bytes().length == 4 ? IdPayload.ID_IPV4_ADDR : IdPayload.ID_IPV6_ADDR, e.bytes()));
            }
        }
        return IkeIdentity.of(c.getSubjectX500Principal());
    }

    /** Names the key algorithm and the certificate, never the key. */
    @Override
    public String toString() {
        return "LocalCredentials[" + privateKey.getAlgorithm() + " key, "
                + IkeIdentity.formatDn(certificate().getSubjectX500Principal().getEncoded())
                + ", chain of " + chain.size() + "]";
    }

    // ---- reading ----

    static List<X509Certificate> readCertificates(Path file) throws IOException, CredentialException {
        byte[] content = Files.readAllBytes(file);
        List<X509Certificate> out = new ArrayList<>();
        for (Pem.Block b : Pem.read(content, file.toString())) {
            if (b.label() != null && !b.label().equals("CERTIFICATE") && !b.label().equals("X509 CERTIFICATE")) {
                continue; // e.g. a key or parameters in the same file
            }
            out.add(parseCertificate(b.der(), file.toString()));
        }
        if (out.isEmpty()) {
            throw new CredentialException(file + ": no CERTIFICATE block found");
        }
        return out;
    }

    static X509Certificate parseCertificate(byte[] der, String what) throws CredentialException {
        try {
            X509Certificate c = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
            if (!java.util.Arrays.equals(c.getEncoded(), der)) {
                throw new CredentialException(what + ": bytes after the X.509 certificate");
            }
            return c;
        } catch (CertificateException | RuntimeException e) {
            throw new CredentialException(what + ": not an X.509 certificate (" + e.getMessage() + ")", e);
        }
    }

    private static PrivateKey readPrivateKey(Path file, X509Certificate cert) throws IOException, CredentialException {
        byte[] content = Files.readAllBytes(file);
        String what = file.toString();
        for (Pem.Block b : Pem.read(content, what)) {
            if (b.label() == null) {
                return decodePrivateKey(b.der(), null, cert, what);
            }
            switch (b.label()) {
                case "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY" -> {
                    if (b.encrypted()) {
                        throw new CredentialException(what + ": the private key is encrypted; give it unencrypted");
                    }
                    return decodePrivateKey(b.der(), b.label(), cert, what);
                }
                case "ENCRYPTED PRIVATE KEY" ->
                        throw new CredentialException(what + ": the private key is encrypted (PKCS#8); give it unencrypted");
                default -> {
                    // EC PARAMETERS before an openssl key, certificates and the like: skip
                }
            }
        }
        throw new CredentialException(what + ": no PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY block found");
    }

    /**
     * A private key from its DER: PKCS#8 PrivateKeyInfo, SEC1 ECPrivateKey (curve taken from the
     * certificate if the key leaves it out) or PKCS#1 RSAPrivateKey, told apart by structure.
     * Failures never carry the parser's message or cause, which could quote key bytes.
     */
    static PrivateKey decodePrivateKey(byte[] der, String label, X509Certificate cert, String what)
            throws CredentialException {
        PrivateKeyInfo info;
        String format;
        try {
            ASN1Sequence seq = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(der));
            if (seq.size() < 2 || !(seq.getObjectAt(0) instanceof ASN1Integer)) {
                throw new IllegalArgumentException();
            }
            ASN1Encodable second = seq.getObjectAt(1);
            if (second instanceof ASN1Sequence) {
                format = "PKCS#8";
                info = PrivateKeyInfo.getInstance(seq);
            } else if (second instanceof ASN1OctetString) {
                format = "SEC1";
                ECPrivateKey ec = ECPrivateKey.getInstance(seq);
                ASN1Encodable params = ec.getParametersObject();
                if (params == null) {
                    params = SubjectPublicKeyInfo.getInstance(cert.getPublicKey().getEncoded())
                            .getAlgorithm().getParameters();
                }
                info = new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, params), ec);
            } else if (second instanceof ASN1Integer) {
                format = "PKCS#1";
                RSAPrivateKey rsa = RSAPrivateKey.getInstance(seq);
                info = new PrivateKeyInfo(new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE), rsa);
            } else {
                throw new IllegalArgumentException();
            }
        } catch (IOException | RuntimeException e) {
            throw new CredentialException(what + ": not a private key in PKCS#8, SEC1 or PKCS#1 DER"
                    + (label != null ? " (PEM label " + label + ")" : ""));
        }
        try {
            byte[] pkcs8 = info.getEncoded(ASN1Encoding.DER);
            String algorithm = keyFactoryAlgorithm(info.getPrivateKeyAlgorithm());
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new CredentialException(what + ": " + format + " private key of algorithm "
                    + info.getPrivateKeyAlgorithm().getAlgorithm().getId() + " cannot be used here");
        }
    }

    private static String keyFactoryAlgorithm(AlgorithmIdentifier alg) throws CredentialException {
        String oid = alg.getAlgorithm().getId();
        return switch (oid) {
            case "1.2.840.10045.2.1" -> "EC";
            case "1.2.840.113549.1.1.1" -> "RSA";
            case "1.2.840.113549.1.1.10" -> "RSASSA-PSS";
            case "1.3.101.112" -> "Ed25519";
            case "1.3.101.113" -> "Ed448";
            default -> throw new CredentialException("key algorithm " + oid + " is not supported");
        };
    }

    // ---- checks ----

    /** Signs a random challenge and verifies it with the certificate's public key. */
    static void checkKeyMatches(PrivateKey key, X509Certificate cert, String what) throws CredentialException {
        PublicKey pub = cert.getPublicKey();
        String subject = IkeIdentity.formatDn(cert.getSubjectX500Principal().getEncoded());
        if (!sameFamily(key.getAlgorithm(), pub.getAlgorithm())) {
            throw new CredentialException(what + " is a " + key.getAlgorithm() + " key but the certificate '"
                    + subject + "' holds a " + pub.getAlgorithm() + " public key");
        }
        byte[] challenge = new byte[32];
        new SecureRandom().nextBytes(challenge);
        boolean ok;
        try {
            String alg = switch (key.getAlgorithm()) {
                case "EC" -> "SHA256withECDSA";
                case "RSA" -> "SHA256withRSA";
                case "RSASSA-PSS" -> "RSASSA-PSS";
                default -> key.getAlgorithm(); // Ed25519, Ed448, EdDSA
            };
            Signature s = Signature.getInstance(alg);
            if (alg.equals("RSASSA-PSS")) {
                s.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                        java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
            }
            s.initSign(key);
            s.update(challenge);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            if (alg.equals("RSASSA-PSS")) {
                v.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                        java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
            }
            v.initVerify(pub);
            v.update(challenge);
            ok = v.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            ok = false;
        }
        if (!ok) {
            throw new CredentialException(what + " does not belong to the certificate '" + subject
                    + "': a signature made with the key does not verify with the certificate's public key");
        }
    }

    private static boolean sameFamily(String keyAlg, String pubAlg) {
        if (keyAlg.equals(pubAlg)) {
            return true;
        }
        boolean rsaKey = keyAlg.equals("RSA") || keyAlg.equals("RSASSA-PSS");
        boolean rsaPub = pubAlg.equals("RSA") || pubAlg.equals("RSASSA-PSS");
        boolean edKey = keyAlg.startsWith("Ed");
        boolean edPub = pubAlg.startsWith("Ed");
        return (rsaKey && rsaPub) || (edKey && edPub);
    }

    private static void checkChain(List<X509Certificate> chain) throws CredentialException {
        for (int i = 0; i + 1 < chain.size(); i++) {
            X509Certificate c = chain.get(i);
            X509Certificate issuer = chain.get(i + 1);
            String subject = IkeIdentity.formatDn(c.getSubjectX500Principal().getEncoded());
            String issuerName = IkeIdentity.formatDn(c.getIssuerX500Principal().getEncoded());
            String next = IkeIdentity.formatDn(issuer.getSubjectX500Principal().getEncoded());
            if (!c.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
                throw new CredentialException("certificate " + (i + 1) + " '" + subject + "' is issued by '"
                        + issuerName + "', but the next certificate is '" + next + "': give the chain in order");
            }
            try {
                c.verify(issuer.getPublicKey());
            } catch (GeneralSecurityException | RuntimeException e) {
                throw new CredentialException("certificate " + (i + 1) + " '" + subject
                        + "' is not signed by the key of the next certificate '" + next + "'");
            }
        }
    }
}
