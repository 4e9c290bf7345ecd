package io.ipsecmesh.ike.cert;

import io.ipsecmesh.ike.CertPayload;
import io.ipsecmesh.ike.CertReqPayload;
import io.ipsecmesh.ike.IdPayload;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CRLException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.x509.Certificate;

import static io.ipsecmesh.ike.cert.CertificateRejectedException.Reason;

/**
 * Validates the certificates a peer presents in IKE_AUTH (RFC 7296 §3.6) against configured
 * trust anchors and CRLs, and checks that the end-entity certificate carries the identity of
 * the peer's ID payload (RFC 7296 §2.15, §3.5; RFC 4945 §3.1, §5.1.3.6). It also gives the
 * CERTREQ this node sends (RFC 7296 §3.7: SHA-1 of each CA's SubjectPublicKeyInfo).
 *
 * <p>{@link #validate} follows RFC 5280 §6 in the parts IKE needs: the first X.509 CERT
 * payload is the end entity, the others are candidate intermediates in any order; the chain is
 * built issuer by issuer, each signature verified, until a configured CA is reached. Then, for
 * every certificate including the CA: validity at the clock's time; for every issuer:
 * basicConstraints cA and pathLenConstraint, keyUsage keyCertSign if keyUsage is present; for
 * every certificate below the CA: revocation by the configured CRLs of its issuer (only CRLs
 * whose signature verifies with that issuer's key count); for the end entity: keyUsage
 * digitalSignature if keyUsage is present. Critical extensions other than basicConstraints,
 * keyUsage, subjectAltName, extendedKeyUsage and certificatePolicies (notably nameConstraints,
 * which this class does not enforce) reject the chain, as do MD5 and SHA-1 signatures.
 *
 * <p>A CRL past its nextUpdate still revokes what it lists. With the strict CRL policy (like
 * strongSwan's {@code strictcrlpolicy=yes}) every certificate below the CA also needs a current
 * CRL from its issuer; without it (the default, like strongSwan's), a missing or stale CRL does
 * not reject.
 *
 * <p>Instances are immutable and thread-safe. Malformed or hostile input makes {@link #validate}
 * throw {@link CertificateRejectedException} and nothing else.
 */
public final class CertificateValidator {

    /** At most this many certificates from the end entity up to, not counting, the CA. */
    static final int MAX_PATH = 8;
    /** At most this many X.509 CERT payloads are looked at. */
    static final int MAX_CERT_PAYLOADS = 16;
    private static final int SHA1_LENGTH = 20;

    private static final Set<String> HANDLED_CRITICAL = Set.of(
            "2.5.29.15", // keyUsage
            "2.5.29.17", // subjectAltName
            "2.5.29.19", // basicConstraints
            "2.5.29.32", // certificatePolicies (no policy is required here)
            "2.5.29.37"); // extendedKeyUsage (IKE does not require one, RFC 4945 §5.1.3.12)

    private final List<X509Certificate> trustAnchors;
    private final List<X509CRL> crls;
    private final Clock clock;
    private final boolean strictCrlPolicy;
    private final List<byte[]> caKeyHashes;

    /** A validator with the default CRL policy (a missing or stale CRL does not reject). */
    public CertificateValidator(List<X509Certificate> trustAnchors, List<X509CRL> crls, Clock clock) {
        this(trustAnchors, crls, clock, false);
    }

    /**
     * @param trustAnchors the CA certificates trusted to issue peer certificates; at least one
     * @param crls CRLs of those CAs or of intermediates; may be empty
     * @param clock the time at which validity and CRL freshness are judged
     * @param strictCrlPolicy if true, every certificate below the CA needs a current CRL from its issuer
     */
    public CertificateValidator(List<X509Certificate> trustAnchors, List<X509CRL> crls, Clock clock,
            boolean strictCrlPolicy) {
        this.trustAnchors = List.copyOf(trustAnchors);
        this.crls = List.copyOf(crls);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.strictCrlPolicy = strictCrlPolicy;
        if (this.trustAnchors.isEmpty()) {
            throw new IllegalArgumentException("no trust anchor: give at least one CA certificate");
        }
        List<byte[]> hashes = new ArrayList<>();
        for (X509Certificate ca : this.trustAnchors) {
            hashes.add(keyHash(ca));
        }
        this.caKeyHashes = List.copyOf(hashes);
    }

    /**
     * All certificates in a file: PEM with one or more CERTIFICATE blocks, or one DER certificate.
     *
     * @throws CredentialException if the content is neither
     */
    public static List<X509Certificate> loadCertificates(Path file) throws IOException, CredentialException {
        return LocalCredentials.readCertificates(file);
    }

    /**
     * A CRL as {@code pki --signcrl} writes it: DER, or PEM ({@code X509 CRL}).
     *
     * @throws CredentialException if the content is neither
     */
    public static X509CRL loadCrl(Path file) throws IOException, CredentialException {
        byte[] content = Files.readAllBytes(file);
        for (Pem.Block b : Pem.read(content, file.toString())) {
            if (b.label() == null || b.label().equals("X509 CRL")) {
                X509CRL crl;
                try {
                    crl = (X509CRL) CertificateFactory.getInstance("X.509")
                            .generateCRL(new ByteArrayInputStream(b.der()));
                } catch (GeneralSecurityException | RuntimeException e) {
                    throw new CredentialException(file + ": not an X.509 CRL (" + e.getMessage() + ")", e);
                }
                if (!Arrays.equals(encoded(crl), b.der())) {
                    throw new CredentialException(file + ": bytes after the X.509 CRL");
                }
                return crl;
            }
        }
        throw new CredentialException(file + ": no X509 CRL block found");
    }

    private static byte[] encoded(X509CRL crl) throws CredentialException {
        try {
            return crl.getEncoded();
        } catch (CRLException e) {
            throw new CredentialException("CRL of " + crl.getIssuerX500Principal() + " cannot be encoded", e);
        }
    }

    /** The configured CAs. */
    public List<X509Certificate> trustAnchors() {
        return trustAnchors;
    }

    /** SHA-1 of each CA's DER SubjectPublicKeyInfo, in CA order (RFC 7296 §3.7). */
    /** EC signatures verify on {@link EcProvider} (several times faster on P-256/P-384). */
    private static void verifySignature(X509Certificate cert, java.security.PublicKey key)
            throws java.security.GeneralSecurityException {
        if (key instanceof java.security.interfaces.ECPublicKey) {
            cert.verify(key, io.ipsecmesh.ike.EcProvider.get());
        } else {
            cert.verify(key);
        }
    }

    public List<byte[]> caKeyHashes() {
        List<byte[]> out = new ArrayList<>(caKeyHashes.size());
        for (byte[] h : caKeyHashes) {
            out.add(h.clone());
        }
        return out;
    }

    /** The CERTREQ payload naming the configured CAs: encoding 4 and their key hashes, concatenated. */
    public CertReqPayload certReqPayload() {
        byte[] all = new byte[caKeyHashes.size() * SHA1_LENGTH];
        for (int i = 0; i < caKeyHashes.size(); i++) {
            System.arraycopy(caKeyHashes.get(i), 0, all, i * SHA1_LENGTH, SHA1_LENGTH);
        }
        return new CertReqPayload(CertPayload.X509_SIGNATURE, all);
    }

    /**
     * Whether a peer's CERTREQ (encoding 4) names at least one of the configured CAs, that is,
     * whether the peer asks for certificates of a CA this node trusts too.
     */
    public boolean acceptsAnyOf(CertReqPayload request) {
        byte[] data = request.certificationAuthority();
        if (request.encoding() != CertPayload.X509_SIGNATURE || data.length % SHA1_LENGTH != 0) {
            return false;
        }
        for (int off = 0; off < data.length; off += SHA1_LENGTH) {
            byte[] h = Arrays.copyOfRange(data, off, off + SHA1_LENGTH);
            for (byte[] mine : caKeyHashes) {
                if (MessageDigest.isEqual(h, mine)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Validates the peer's CERT payloads and its ID (see the class description).
     *
     * @param presented the peer's CERT payloads in message order; only encoding 4 is used
     * @param peerId the peer's IDi or IDr
     * @return the validated end-entity certificate, whose public key verifies the peer's AUTH
     * @throws CertificateRejectedException with the failed check and a message naming the certificate
     */
    public X509Certificate validate(List<CertPayload> presented, IdPayload peerId) throws CertificateRejectedException {
        Objects.requireNonNull(presented, "presented");
        Objects.requireNonNull(peerId, "peerId");
        try {
            return check(presented, peerId, clock.instant());
        } catch (RuntimeException e) {
            throw new CertificateRejectedException(Reason.BAD_ENCODING,
                    "malformed certificate data (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    private X509Certificate check(List<CertPayload> presented, IdPayload peerId, Instant now)
            throws CertificateRejectedException {
        List<X509Certificate> certs = decode(presented);
        List<X509Certificate> path = buildPath(certs);
        Date date = Date.from(now);
        for (X509Certificate c : path) {
            checkValidity(c, date, now);
        }
        for (int i = 0; i < path.size() - 1; i++) {
            checkExtensions(path.get(i));
        }
        for (int i = 1; i < path.size(); i++) {
            checkIssuer(path, i);
        }
        for (int i = 0; i < path.size() - 1; i++) {
            checkRevocation(path.get(i), path.get(i + 1), now);
        }
        X509Certificate ee = path.getFirst();
        boolean[] ku = ee.getKeyUsage();
        if (ku != null && !ku[0]) {
            throw new CertificateRejectedException(Reason.BAD_KEY_USAGE, describe(ee)
                    + " has a keyUsage extension without digitalSignature, so it may not sign IKE AUTH");
        }
        checkIdentity(ee, peerId);
        return ee;
    }

    private static List<X509Certificate> decode(List<CertPayload> presented) throws CertificateRejectedException {
        List<X509Certificate> certs = new ArrayList<>();
        Set<Integer> otherEncodings = new TreeSet<>();
        int index = 0;
        for (CertPayload p : presented) {
            index++;
            if (p.encoding() != CertPayload.X509_SIGNATURE) {
                otherEncodings.add(p.encoding());
                continue;
            }
            if (certs.size() == MAX_CERT_PAYLOADS) {
                throw new CertificateRejectedException(Reason.BAD_ENCODING,
                        "more than " + MAX_CERT_PAYLOADS + " X.509 CERT payloads");
            }
            try {
                certs.add(LocalCredentials.parseCertificate(p.data(), "CERT payload " + index));
            } catch (CredentialException e) {
                throw new CertificateRejectedException(Reason.BAD_ENCODING,
                        "CERT payload " + index + " (encoding 4, " + p.data().length
                                + " bytes) is not a DER X.509 certificate", e);
            }
        }
        if (certs.isEmpty()) {
            throw new CertificateRejectedException(Reason.NO_CERTIFICATE,
                    "the peer sent no CERT payload with an X.509 certificate (encoding 4)"
                            + (otherEncodings.isEmpty() ? "" : "; it sent only encodings " + otherEncodings));
        }
        return certs;
    }

    /** End entity first, a configured CA last. */
    private List<X509Certificate> buildPath(List<X509Certificate> certs) throws CertificateRejectedException {
        List<X509Certificate> path = new ArrayList<>();
        List<X509Certificate> unused = new ArrayList<>(certs.subList(1, certs.size()));
        X509Certificate current = certs.getFirst();
        path.add(current);
        while (true) {
            X500Principal issuerName = current.getIssuerX500Principal();
            boolean nameMatched = false;
            for (X509Certificate ca : trustAnchors) {
                if (ca.getSubjectX500Principal().equals(issuerName)) {
                    nameMatched = true;
                    if (signedBy(current, ca)) {
                        path.add(ca);
                        return path;
                    }
                }
            }
            X509Certificate next = null;
            for (X509Certificate c : unused) {
                if (c.getSubjectX500Principal().equals(issuerName)) {
                    nameMatched = true;
                    if (signedBy(current, c)) {
                        next = c;
                        break;
                    }
                }
            }
            if (next == null) {
                String which = path.size() == 1 ? "" : " (reached through " + (path.size() - 1) + " intermediate(s))";
                throw new CertificateRejectedException(Reason.UNTRUSTED, describe(current) + which
                        + (nameMatched
                                ? " has a signature that no configured CA or presented intermediate named '"
                                        + name(issuerName) + "' verifies"
                                : " is not issued by a configured CA, and no presented intermediate is named '"
                                        + name(issuerName) + "'"));
            }
            if (path.size() == MAX_PATH) {
                throw new CertificateRejectedException(Reason.UNTRUSTED,
                        "the chain from " + describe(certs.getFirst()) + " is longer than " + MAX_PATH
                                + " certificates without reaching a configured CA");
            }
            unused.remove(next);
            path.add(next);
            current = next;
        }
    }

    private static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
        try {
            verifySignature(cert, issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static void checkValidity(X509Certificate c, Date date, Instant now) throws CertificateRejectedException {
        if (date.after(c.getNotAfter())) {
            throw new CertificateRejectedException(Reason.EXPIRED, describe(c) + " expired at "
                    + c.getNotAfter().toInstant() + " (now " + now + ")");
        }
        if (date.before(c.getNotBefore())) {
            throw new CertificateRejectedException(Reason.NOT_YET_VALID, describe(c) + " is not valid before "
                    + c.getNotBefore().toInstant() + " (now " + now + ")");
        }
    }

    private static void checkExtensions(X509Certificate c) throws CertificateRejectedException {
        Set<String> critical = c.getCriticalExtensionOIDs();
        if (critical != null) {
            for (String oid : new TreeSet<>(critical)) {
                if (!HANDLED_CRITICAL.contains(oid)) {
                    throw new CertificateRejectedException(Reason.UNTRUSTED, describe(c)
                            + " has the critical extension " + oid + ", which this validator does not process"
                            + (oid.equals("2.5.29.30") ? " (nameConstraints)" : ""));
                }
            }
        }
        String sigAlg = c.getSigAlgName().toUpperCase(Locale.ROOT);
        if (sigAlg.contains("MD5") || sigAlg.contains("MD2") || sigAlg.startsWith("SHA1")) {
            throw new CertificateRejectedException(Reason.UNTRUSTED, describe(c)
                    + " is signed with " + c.getSigAlgName() + ", which is not accepted");
        }
    }

    /** The certificate at {@code i} issued the one at {@code i - 1}. */
    private static void checkIssuer(List<X509Certificate> path, int i) throws CertificateRejectedException {
        X509Certificate issuer = path.get(i);
        int pathLen = issuer.getBasicConstraints();
        if (pathLen < 0) {
            throw new CertificateRejectedException(Reason.NOT_A_CA, describe(issuer) + " issued "
                    + describe(path.get(i - 1)) + " but is not a CA (no basicConstraints with cA true)");
        }
        int below = 0;
        for (int j = 1; j < i; j++) {
            X509Certificate c = path.get(j);
            if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                below++;
            }
        }
        if (below > pathLen) {
            throw new CertificateRejectedException(Reason.NOT_A_CA, describe(issuer) + " allows "
                    + pathLen + " intermediate CA(s) below it (pathLenConstraint), the chain has " + below);
        }
        boolean[] ku = issuer.getKeyUsage();
        if (ku != null && !ku[5]) {
            throw new CertificateRejectedException(Reason.BAD_KEY_USAGE, describe(issuer)
                    + " has a keyUsage extension without keyCertSign, so it may not issue certificates");
        }
    }

    private void checkRevocation(X509Certificate cert, X509Certificate issuer, Instant now)
            throws CertificateRejectedException {
        boolean current = false;
        boolean staleSeen = false;
        boolean[] issuerKu = issuer.getKeyUsage();
        boolean mayIssueCrl = issuerKu == null || issuerKu[6];
        for (X509CRL crl : crls) {
            if (!crl.getIssuerX500Principal().equals(issuer.getSubjectX500Principal()) || !mayIssueCrl) {
                continue;
            }
            try {
                crl.verify(issuer.getPublicKey());
            } catch (GeneralSecurityException | RuntimeException e) {
                continue; // another key's CRL (e.g. an earlier CA of the same name), or forged
            }
            X509CRLEntry entry = crl.getRevokedCertificate(cert);
            if (entry != null) {
                String reason = entry.getRevocationReason() != null
                        ? ", reason " + entry.getRevocationReason().name().toLowerCase(Locale.ROOT) : "";
                throw new CertificateRejectedException(Reason.REVOKED, describe(cert) + " (serial "
                        + serial(cert.getSerialNumber()) + ") is revoked since "
                        + entry.getRevocationDate().toInstant() + reason + ", says the CRL of '"
                        + name(issuer.getSubjectX500Principal()) + "' of " + crl.getThisUpdate().toInstant());
            }
            boolean fresh = !crl.getThisUpdate().toInstant().isAfter(now)
                    && (crl.getNextUpdate() == null || !crl.getNextUpdate().toInstant().isBefore(now));
            current |= fresh;
            staleSeen |= !fresh;
        }
        if (strictCrlPolicy && !current) {
            throw new CertificateRejectedException(Reason.UNTRUSTED, "revocation status of " + describe(cert)
                    + " unknown: " + (staleSeen ? "the CRLs of '" + name(issuer.getSubjectX500Principal())
                            + "' are past their nextUpdate (or not yet valid)"
                            : "no CRL of '" + name(issuer.getSubjectX500Principal()) + "' that its key verifies")
                    + ", and the strict CRL policy requires a current one");
        }
    }

    private static void checkIdentity(X509Certificate ee, IdPayload peerId) throws CertificateRejectedException {
        IkeIdentity id = IkeIdentity.from(peerId);
        byte[] data = peerId.data();
        switch (peerId.idType()) {
            case IdPayload.ID_FQDN, IdPayload.ID_RFC822_ADDR -> {
                int tag = peerId.idType() == IdPayload.ID_FQDN ? SubjectAltNames.DNS_NAME : SubjectAltNames.RFC822_NAME;
                for (SubjectAltNames.Entry e : sans(ee)) {
                    if (e.tag() == tag && id.equals(textIdentity(peerId.idType(), e.text()))) {
                        return;
                    }
                }
                throw mismatch(ee, id, peerId.idType() == IdPayload.ID_FQDN
                        ? "no subjectAltName dNSName equals it" : "no subjectAltName rfc822Name equals it");
            }
            case IdPayload.ID_IPV4_ADDR, IdPayload.ID_IPV6_ADDR -> {
                for (SubjectAltNames.Entry e : sans(ee)) {
                    if (e.tag() == SubjectAltNames.IP_ADDRESS && Arrays.equals(e.bytes(), data)) {
                        return;
                    }
                }
                throw mismatch(ee, id, "no subjectAltName iPAddress equals it");
            }
            case IdPayload.ID_DER_ASN1_DN -> {
                X500Principal claimed = id.distinguishedName();
                if (claimed == null) {
                    throw new CertificateRejectedException(Reason.ID_MISMATCH,
                            "the peer's ID_DER_ASN1_DN is not a DER-encoded X.500 name");
                }
                X500Principal subject = ee.getSubjectX500Principal();
                if (subject.getEncoded().length <= 2) {
                    throw mismatch(ee, id, "the certificate's subject is empty");
                }
                if (!subject.equals(claimed)) {
                    throw mismatch(ee, id, "the certificate's subject is a different name");
                }
            }
            default -> throw mismatch(ee, id, "ID type " + peerId.idType()
                    + " is not matched against certificates (only IPv4, IPv6, FQDN, RFC 822 and DN)");
        }
    }

    private static IkeIdentity textIdentity(int type, String text) {
        try {
            return IkeIdentity.ofText(type, text);
        } catch (IllegalArgumentException notPrintableAscii) {
            return null;
        }
    }

    private static List<SubjectAltNames.Entry> sans(X509Certificate ee) throws CertificateRejectedException {
        try {
            return SubjectAltNames.of(ee);
        } catch (RuntimeException e) {
            throw new CertificateRejectedException(Reason.BAD_ENCODING, describe(ee)
                    + " has a malformed subjectAltName extension", e);
        }
    }

    private static CertificateRejectedException mismatch(X509Certificate ee, IkeIdentity id, String why) {
        return new CertificateRejectedException(Reason.ID_MISMATCH, "the peer claims the identity '" + id
                + "', but " + describe(ee) + " does not carry it: " + why);
    }

    // ---- naming ----

    static byte[] keyHash(X509Certificate cert) {
        try {
            byte[] spki = Certificate.getInstance(cert.getEncoded()).getSubjectPublicKeyInfo()
                    .getEncoded(ASN1Encoding.DER);
            return MessageDigest.getInstance("SHA-1").digest(spki);
        } catch (CertificateEncodingException | IOException | NoSuchAlgorithmException e) {
            throw new IllegalArgumentException("certificate " + cert.getSubjectX500Principal()
                    + " cannot be encoded", e);
        }
    }

    private static String describe(X509Certificate c) {
        return "certificate '" + name(c.getSubjectX500Principal()) + "' (issuer '"
                + name(c.getIssuerX500Principal()) + "')";
    }

    private static String name(X500Principal p) {
        return IkeIdentity.formatDn(p.getEncoded());
    }

    private static String serial(BigInteger serial) {
        return HexFormat.of().formatHex(serial.toByteArray());
    }
}
