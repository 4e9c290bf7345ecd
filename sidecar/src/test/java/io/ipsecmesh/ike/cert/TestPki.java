package io.ipsecmesh.ike.cert;

import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Test PKIs built with Bouncy Castle: keys, certificates with the extensions a test asks for, CRLs. */
public final class TestPki {

    /** The fixed time of the tests. */
    public static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    public static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    private static final AtomicLong SERIAL = new AtomicLong(0x1000);
    private static KeyPair rsa3072;

    private TestPki() {
    }

    public static KeyPair p256() {
        return ec("secp256r1");
    }

    static KeyPair p384() {
        return ec("secp384r1");
    }

    /** One RSA-3072 pair per test run: generating them is slow. */
    static synchronized KeyPair rsa3072() {
        if (rsa3072 == null) {
            rsa3072 = rsa(3072);
        }
        return rsa3072;
    }

    static KeyPair ec(String curve) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    static KeyPair rsa(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    static String signatureAlgorithm(PrivateKey key) {
        if (key instanceof ECKey ec) {
            return ec.getParams().getCurve().getField().getFieldSize() > 256 ? "SHA384withECDSA" : "SHA256withECDSA";
        }
        return "SHA256withRSA";
    }

    static ContentSigner signer(PrivateKey key) {
        try {
            return new JcaContentSignerBuilder(signatureAlgorithm(key)).build(key);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A certificate and its key pair. */
    public record Issued(X509Certificate cert, KeyPair keys) {
    }

    /** A self-signed root CA valid from a year before {@link #NOW} for ten years. */
    public static Issued root(String dn, KeyPair keys) {
        return cert(dn, keys).ca(null).selfSigned();
    }

    /** An intermediate CA without path length limit. */
    static Issued intermediate(String dn, KeyPair keys, Issued issuer) {
        return cert(dn, keys).ca(null).issuedBy(issuer);
    }

    /** An end entity with keyUsage digitalSignature and the given dNSName and IP subjectAltNames. */
    public static Issued leaf(String dn, KeyPair keys, Issued issuer, String... sans) {
        CertBuilder b = cert(dn, keys).keyUsage(KeyUsage.digitalSignature);
        for (String san : sans) {
            b.san(san);
        }
        return b.issuedBy(issuer);
    }

    static CertBuilder cert(String dn, KeyPair keys) {
        return new CertBuilder(dn, keys);
    }

    /** Builds one certificate; every setting has a sensible default. */
    static final class CertBuilder {
        private final String dn;
        private final KeyPair keys;
        private Instant notBefore = NOW.minus(Duration.ofDays(365));
        private Instant notAfter = NOW.plus(Duration.ofDays(3650));
        private BasicConstraints basicConstraints;
        private Integer keyUsage;
        private final List<GeneralName> sans = new ArrayList<>();
        private BigInteger serial = BigInteger.valueOf(SERIAL.incrementAndGet());
        private boolean nameConstraints;

        CertBuilder(String dn, KeyPair keys) {
            this.dn = dn;
            this.keys = keys;
        }

        CertBuilder validity(Instant from, Instant to) {
            notBefore = from;
            notAfter = to;
            return this;
        }

        /** basicConstraints cA true, with the path length or none. */
        CertBuilder ca(Integer pathLen) {
            basicConstraints = pathLen == null ? new BasicConstraints(true) : new BasicConstraints(pathLen);
            return this;
        }

        /** basicConstraints present, cA false. */
        CertBuilder notCa() {
            basicConstraints = new BasicConstraints(false);
            return this;
        }

        CertBuilder keyUsage(int bits) {
            keyUsage = bits;
            return this;
        }

        CertBuilder serial(BigInteger s) {
            serial = s;
            return this;
        }

        CertBuilder criticalNameConstraints() {
            nameConstraints = true;
            return this;
        }

        /** An rfc822Name if it has '@', an iPAddress if it parses as an address literal, else a dNSName. */
        CertBuilder san(String value) {
            if (value.contains("@")) {
                sans.add(new GeneralName(GeneralName.rfc822Name, value));
            } else if (value.matches("[0-9.]+") || value.contains(":")) {
                sans.add(new GeneralName(GeneralName.iPAddress, value));
            } else {
                sans.add(new GeneralName(GeneralName.dNSName, value));
            }
            return this;
        }

        Issued selfSigned() {
            return build(new X500Name(dn), keys.getPrivate());
        }

        Issued issuedBy(Issued issuer) {
            return build(X500Name.getInstance(issuer.cert().getSubjectX500Principal().getEncoded()),
                    issuer.keys().getPrivate());
        }

        /** Signed by {@code signingKey} but naming {@code issuer}: a forgery, or a CA's other key. */
        Issued issuedBy(X509Certificate issuer, PrivateKey signingKey) {
            return build(X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()), signingKey);
        }

        private Issued build(X500Name issuer, PrivateKey signingKey) {
            try {
                X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial, Date.from(notBefore),
                        Date.from(notAfter), new X500Name(dn), keys.getPublic());
                if (basicConstraints != null) {
                    b.addExtension(Extension.basicConstraints, true, basicConstraints);
                }
                if (keyUsage != null) {
                    b.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
                }
                if (!sans.isEmpty()) {
                    b.addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(sans.toArray(GeneralName[]::new)));
                }
                if (nameConstraints) {
                    b.addExtension(Extension.nameConstraints, true, new NameConstraints(
                            new GeneralSubtree[] {new GeneralSubtree(new GeneralName(GeneralName.dNSName, "example.org"))},
                            null));
                }
                X509Certificate c = new JcaX509CertificateConverter().getCertificate(b.build(signer(signingKey)));
                return new Issued(c, keys);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
    }

    /** A CRL of {@code issuer} listing {@code revoked}, valid from thisUpdate to nextUpdate. */
    static X509CRL crl(Issued issuer, Instant thisUpdate, Instant nextUpdate, X509Certificate... revoked) {
        return crl(issuer.cert(), issuer.keys().getPrivate(), thisUpdate, nextUpdate, revoked);
    }

    /** A current CRL (from a day before {@link #NOW} to a week after). */
    static X509CRL crl(Issued issuer, X509Certificate... revoked) {
        return crl(issuer, NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(7)), revoked);
    }

    static X509CRL crl(X509Certificate issuer, PrivateKey signingKey, Instant thisUpdate, Instant nextUpdate,
            X509Certificate... revoked) {
        try {
            X509v2CRLBuilder b = new X509v2CRLBuilder(
                    X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()), Date.from(thisUpdate));
            b.setNextUpdate(Date.from(nextUpdate));
            for (X509Certificate r : revoked) {
                b.addCRLEntry(r.getSerialNumber(), Date.from(thisUpdate), CRLReason.keyCompromise);
            }
            return new JcaX509CRLConverter().getCRL(b.build(signer(signingKey)));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static byte[] der(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    public static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    /** The key, certificate and CA files of a node, as a daemon's config names them. */
    public record Files(java.nio.file.Path key, java.nio.file.Path cert, java.nio.file.Path ca) {
    }

    /**
     * Writes {@code node}'s key and certificate and {@code trusted}'s certificate (its CA) as
     * PEM files NAME.key, NAME.crt and NAME-ca.crt in {@code dir}.
     */
    public static Files write(java.nio.file.Path dir, String name, Issued node, Issued trusted)
            throws java.io.IOException, GeneralSecurityException {
        Files f = new Files(dir.resolve(name + ".key"), dir.resolve(name + ".crt"), dir.resolve(name + "-ca.crt"));
        java.nio.file.Files.writeString(f.key(), pem("PRIVATE KEY", node.keys().getPrivate().getEncoded()));
        java.nio.file.Files.writeString(f.cert(), pem("CERTIFICATE", node.cert().getEncoded()));
        java.nio.file.Files.writeString(f.ca(), pem("CERTIFICATE", trusted.cert().getEncoded()));
        return f;
    }

    static InetAddress ip(String literal) {
        return InetAddress.ofLiteral(literal);
    }
}
