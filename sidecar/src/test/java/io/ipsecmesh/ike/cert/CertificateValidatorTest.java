package io.ipsecmesh.ike.cert;

import static io.ipsecmesh.ike.cert.TestPki.CLOCK;
import static io.ipsecmesh.ike.cert.TestPki.NOW;
import static io.ipsecmesh.ike.cert.TestPki.cert;
import static io.ipsecmesh.ike.cert.TestPki.crl;
import static io.ipsecmesh.ike.cert.TestPki.der;
import static io.ipsecmesh.ike.cert.TestPki.intermediate;
import static io.ipsecmesh.ike.cert.TestPki.leaf;
import static io.ipsecmesh.ike.cert.TestPki.p256;
import static io.ipsecmesh.ike.cert.TestPki.p384;
import static io.ipsecmesh.ike.cert.TestPki.root;
import static io.ipsecmesh.ike.cert.TestPki.rsa3072;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ipsecmesh.ike.CertPayload;
import io.ipsecmesh.ike.CertReqPayload;
import io.ipsecmesh.ike.IdPayload;
import io.ipsecmesh.ike.NotifyType;
import io.ipsecmesh.ike.cert.CertificateRejectedException.Reason;
import io.ipsecmesh.ike.cert.TestPki.Issued;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chain building and checks, revocation, identity binding and hostile input of {@link CertificateValidator}. */
class CertificateValidatorTest {

    private static final Issued ROOT = root("C=CH, O=ipsec-mesh, CN=Root CA", rsa3072());
    private static final Issued INTER = intermediate("C=CH, O=ipsec-mesh, CN=Intermediate CA", p384(), ROOT);
    private static final Issued LEAF_DIRECT = leaf("C=CH, O=ipsec-mesh, CN=node-a", p256(), ROOT,
            "node-a.cluster.example", "198.18.1.1", "2001:db8::a", "admin@node-a.cluster.example");
    private static final Issued LEAF = leaf("C=CH, O=ipsec-mesh, CN=node-b", p256(), INTER,
            "node-b.cluster.example", "198.18.2.1");
    private static final Issued OTHER_ROOT = root("C=CH, O=elsewhere, CN=Other CA", p256());

    private static CertificateValidator validator(X509CRL... crls) {
        return new CertificateValidator(List.of(ROOT.cert()), List.of(crls), CLOCK);
    }

    private static List<CertPayload> payloads(Issued... certs) {
        List<CertPayload> out = new ArrayList<>();
        for (Issued c : certs) {
            out.add(new CertPayload(CertPayload.X509_SIGNATURE, der(c.cert())));
        }
        return out;
    }

    private static IdPayload fqdn(String name) {
        return IdPayload.fqdn(false, name);
    }

    private static IdPayload id(String strongSwanStyle) {
        return IkeIdentity.parse(strongSwanStyle).toIdPayload(false);
    }

    private static CertificateRejectedException rejected(Reason reason, CertificateValidator v,
            List<CertPayload> presented, IdPayload id) {
        CertificateRejectedException e = assertThrows(CertificateRejectedException.class, () -> v.validate(presented, id));
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    // ---- good chains ----

    @Test
    void leafIssuedDirectlyByTheCa() throws Exception {
        X509Certificate ee = validator().validate(payloads(LEAF_DIRECT), fqdn("node-a.cluster.example"));
        assertEquals(LEAF_DIRECT.cert(), ee);
    }

    @Test
    void leafThroughAnIntermediateInAnyOrderAmongUnrelatedCertificates() throws Exception {
        assertEquals(LEAF.cert(), validator().validate(payloads(LEAF, INTER), fqdn("node-b.cluster.example")));
        assertEquals(LEAF.cert(), validator().validate(payloads(LEAF, OTHER_ROOT, LEAF_DIRECT, INTER),
                fqdn("node-b.cluster.example")));
    }

    @Test
    void rootSentAlongIsHarmless() throws Exception {
        assertEquals(LEAF.cert(), validator().validate(payloads(LEAF, INTER, ROOT), fqdn("node-b.cluster.example")));
    }

    @Test
    void twoLevelsOfIntermediatesWithEveryKeyType() throws Exception {
        Issued inter2 = intermediate("CN=Issuing CA 2", TestPki.rsa(2048), INTER);
        Issued ee = leaf("CN=node-c", p384(), inter2, "node-c");
        assertEquals(ee.cert(), validator().validate(payloads(ee, INTER, inter2), fqdn("node-c")));
    }

    @Test
    void certificatesOfOtherEncodingsAreIgnored() throws Exception {
        List<CertPayload> presented = new ArrayList<>();
        presented.add(new CertPayload(CertPayload.HASH_AND_URL_X509, new byte[] {1, 2, 3}));
        presented.addAll(payloads(LEAF_DIRECT));
        assertEquals(LEAF_DIRECT.cert(), validator().validate(presented, fqdn("node-a.cluster.example")));
    }

    // ---- trust ----

    @Test
    void leafOfAnotherCaIsUntrusted() {
        Issued stranger = leaf("CN=node-a", p256(), OTHER_ROOT, "node-a.cluster.example");
        CertificateRejectedException e = rejected(Reason.UNTRUSTED, validator(), payloads(stranger),
                fqdn("node-a.cluster.example"));
        assertTrue(e.getMessage().contains("CN=node-a") && e.getMessage().contains("Other CA"), e.getMessage());
        assertEquals(NotifyType.AUTHENTICATION_FAILED, e.errorNotify());
    }

    @Test
    void leafNamingTheCaButSignedByAnotherKeyIsUntrusted() {
        Issued forged = cert("CN=node-a", p256()).keyUsage(KeyUsage.digitalSignature).san("node-a")
                .issuedBy(ROOT.cert(), p256().getPrivate());
        CertificateRejectedException e = rejected(Reason.UNTRUSTED, validator(), payloads(forged), fqdn("node-a"));
        assertTrue(e.getMessage().contains("signature"), e.getMessage());
    }

    @Test
    void missingIntermediateIsUntrusted() {
        rejected(Reason.UNTRUSTED, validator(), payloads(LEAF), fqdn("node-b.cluster.example"));
    }

    @Test
    void selfSignedLeafIsUntrusted() {
        Issued self = cert("CN=node-a", p256()).san("node-a").selfSigned();
        rejected(Reason.UNTRUSTED, validator(), payloads(self), fqdn("node-a"));
    }

    @Test
    void criticalNameConstraintsAreNotSilentlyIgnored() {
        Issued constrained = cert("CN=Constrained CA", p256()).ca(null).criticalNameConstraints().issuedBy(ROOT);
        Issued ee = leaf("CN=node-x", p256(), constrained, "node-x.example.org");
        CertificateRejectedException e = rejected(Reason.UNTRUSTED, validator(), payloads(ee, constrained),
                fqdn("node-x.example.org"));
        assertTrue(e.getMessage().contains("2.5.29.30"), e.getMessage());
    }

    @Test
    void overlongChainIsUntrusted() {
        List<Issued> cas = new ArrayList<>();
        Issued issuer = ROOT;
        for (int i = 0; i < CertificateValidator.MAX_PATH; i++) {
            issuer = intermediate("CN=CA level " + i, p256(), issuer);
            cas.add(issuer);
        }
        Issued ee = leaf("CN=deep", p256(), issuer, "deep");
        List<Issued> all = new ArrayList<>(List.of(ee));
        all.addAll(cas);
        CertificateRejectedException e = rejected(Reason.UNTRUSTED, validator(), payloads(all.toArray(Issued[]::new)),
                fqdn("deep"));
        assertTrue(e.getMessage().contains("longer than"), e.getMessage());
        // One level less is within the limit.
        List<Issued> shorter = new ArrayList<>(List.of(leaf("CN=less deep", p256(), cas.get(cas.size() - 2), "deep")));
        shorter.addAll(cas.subList(0, cas.size() - 1));
        try {
            validator().validate(payloads(shorter.toArray(Issued[]::new)), fqdn("deep"));
        } catch (CertificateRejectedException ex) {
            fail(ex.getMessage());
        }
    }

    // ---- validity ----

    @Test
    void expiredLeaf() {
        Issued old = cert("CN=old", p256()).san("old").validity(NOW.minus(Duration.ofDays(60)), NOW.minusSeconds(1))
                .issuedBy(ROOT);
        CertificateRejectedException e = rejected(Reason.EXPIRED, validator(), payloads(old), fqdn("old"));
        assertTrue(e.getMessage().contains("CN=old") && e.getMessage().contains("expired"), e.getMessage());
    }

    @Test
    void notYetValidLeaf() {
        Issued early = cert("CN=early", p256()).san("early").validity(NOW.plusSeconds(60), NOW.plus(Duration.ofDays(9)))
                .issuedBy(ROOT);
        rejected(Reason.NOT_YET_VALID, validator(), payloads(early), fqdn("early"));
        Clock later = Clock.fixed(NOW.plusSeconds(61), ZoneOffset.UTC);
        try {
            new CertificateValidator(List.of(ROOT.cert()), List.of(), later).validate(payloads(early), fqdn("early"));
        } catch (CertificateRejectedException ex) {
            fail(ex.getMessage());
        }
    }

    @Test
    void expiredIntermediateAndExpiredCaAreChecked() {
        Issued oldInter = cert("CN=Old Intermediate", p256()).ca(null)
                .validity(NOW.minus(Duration.ofDays(400)), NOW.minus(Duration.ofDays(1))).issuedBy(ROOT);
        Issued ee = leaf("CN=node-d", p256(), oldInter, "node-d");
        CertificateRejectedException e = rejected(Reason.EXPIRED, validator(), payloads(ee, oldInter), fqdn("node-d"));
        assertTrue(e.getMessage().contains("Old Intermediate"), e.getMessage());

        Issued oldRoot = cert("CN=Old Root", p256()).ca(null)
                .validity(NOW.minus(Duration.ofDays(400)), NOW.minus(Duration.ofDays(1))).selfSigned();
        Issued ee2 = leaf("CN=node-e", p256(), oldRoot, "node-e");
        CertificateValidator v = new CertificateValidator(List.of(oldRoot.cert()), List.of(), CLOCK);
        rejected(Reason.EXPIRED, v, payloads(ee2), fqdn("node-e"));
    }

    // ---- CA constraints ----

    @Test
    void issuerWithoutBasicConstraintsIsNotACa() {
        Issued plain = cert("CN=Not a CA", p256()).issuedBy(ROOT);
        Issued ee = leaf("CN=node-f", p256(), plain, "node-f");
        CertificateRejectedException e = rejected(Reason.NOT_A_CA, validator(), payloads(ee, plain), fqdn("node-f"));
        assertTrue(e.getMessage().contains("Not a CA"), e.getMessage());
    }

    @Test
    void issuerWithCaFalseIsNotACa() {
        Issued plain = cert("CN=Leafish", p256()).notCa().issuedBy(ROOT);
        Issued ee = leaf("CN=node-g", p256(), plain, "node-g");
        rejected(Reason.NOT_A_CA, validator(), payloads(ee, plain), fqdn("node-g"));
    }

    @Test
    void configuredAnchorThatIsNoCaIsRejected() {
        Issued notCa = cert("CN=Pinned", p256()).selfSigned();
        Issued ee = leaf("CN=node-h", p256(), notCa, "node-h");
        CertificateValidator v = new CertificateValidator(List.of(notCa.cert()), List.of(), CLOCK);
        rejected(Reason.NOT_A_CA, v, payloads(ee), fqdn("node-h"));
    }

    @Test
    void pathLengthConstraintIsEnforced() {
        Issued root0 = cert("CN=Root pathlen 0", p256()).ca(0).selfSigned();
        Issued inter = intermediate("CN=Below pathlen 0", p256(), root0);
        Issued ee = leaf("CN=node-i", p256(), inter, "node-i");
        CertificateValidator v = new CertificateValidator(List.of(root0.cert()), List.of(), CLOCK);
        rejected(Reason.NOT_A_CA, v, payloads(ee, inter), fqdn("node-i"));
        Issued direct = leaf("CN=node-j", p256(), root0, "node-j");
        try {
            v.validate(payloads(direct), fqdn("node-j"));
        } catch (CertificateRejectedException ex) {
            fail(ex.getMessage());
        }
    }

    @Test
    void issuerKeyUsageWithoutKeyCertSign() {
        Issued inter = cert("CN=CRL only CA", p256()).ca(null).keyUsage(KeyUsage.cRLSign).issuedBy(ROOT);
        Issued ee = leaf("CN=node-k", p256(), inter, "node-k");
        rejected(Reason.BAD_KEY_USAGE, validator(), payloads(ee, inter), fqdn("node-k"));
    }

    @Test
    void leafKeyUsageMustAllowDigitalSignature() throws Exception {
        Issued encOnly = cert("CN=enc", p256()).keyUsage(KeyUsage.keyAgreement).san("enc").issuedBy(ROOT);
        CertificateRejectedException e = rejected(Reason.BAD_KEY_USAGE, validator(), payloads(encOnly), fqdn("enc"));
        assertTrue(e.getMessage().contains("digitalSignature"), e.getMessage());
        Issued noKu = cert("CN=noku", p256()).san("noku").issuedBy(ROOT);
        assertEquals(noKu.cert(), validator().validate(payloads(noKu), fqdn("noku")));
    }

    // ---- revocation ----

    @Test
    void revokedLeaf() throws Exception {
        CertificateRejectedException e = rejected(Reason.REVOKED, validator(crl(ROOT, LEAF_DIRECT.cert())),
                payloads(LEAF_DIRECT), fqdn("node-a.cluster.example"));
        assertTrue(e.getMessage().contains("CN=node-a") && e.getMessage().contains("Root CA"), e.getMessage());
        // A CRL that lists others only.
        assertEquals(LEAF_DIRECT.cert(), validator(crl(ROOT, LEAF.cert()))
                .validate(payloads(LEAF_DIRECT), fqdn("node-a.cluster.example")));
    }

    @Test
    void revokedIntermediateAndLeafRevokedByTheIntermediatesCrl() {
        rejected(Reason.REVOKED, validator(crl(ROOT, INTER.cert())), payloads(LEAF, INTER), fqdn("node-b.cluster.example"));
        rejected(Reason.REVOKED, validator(crl(ROOT), crl(INTER, LEAF.cert())), payloads(LEAF, INTER),
                fqdn("node-b.cluster.example"));
    }

    @Test
    void crlOfAnotherIssuerOrKeyDoesNotRevoke() throws Exception {
        // Same serial, other CA's CRL.
        Issued sameSerial = cert("CN=x", p256()).serial(LEAF_DIRECT.cert().getSerialNumber()).ca(null)
                .selfSigned();
        X509CRL foreign = crl(sameSerial, sameSerial.cert());
        // Names the root, but signed by another key: forged, or a CA's earlier key.
        X509CRL forged = crl(ROOT.cert(), p256().getPrivate(), NOW.minusSeconds(60), NOW.plusSeconds(3600),
                LEAF_DIRECT.cert());
        assertEquals(LEAF_DIRECT.cert(), validator(foreign, forged)
                .validate(payloads(LEAF_DIRECT), fqdn("node-a.cluster.example")));
    }

    @Test
    void staleCrlStillRevokesAndStrictPolicyWantsACurrentOne() throws Exception {
        X509CRL stale = crl(ROOT, NOW.minus(Duration.ofDays(30)), NOW.minus(Duration.ofDays(1)), LEAF_DIRECT.cert());
        rejected(Reason.REVOKED, validator(stale), payloads(LEAF_DIRECT), fqdn("node-a.cluster.example"));

        X509CRL staleEmpty = crl(ROOT, NOW.minus(Duration.ofDays(30)), NOW.minus(Duration.ofDays(1)));
        IdPayload id = fqdn("node-a.cluster.example");
        assertEquals(LEAF_DIRECT.cert(), validator(staleEmpty).validate(payloads(LEAF_DIRECT), id));
        CertificateValidator strictStale = new CertificateValidator(List.of(ROOT.cert()), List.of(staleEmpty), CLOCK, true);
        CertificateRejectedException e = rejected(Reason.UNTRUSTED, strictStale, payloads(LEAF_DIRECT), id);
        assertTrue(e.getMessage().contains("nextUpdate"), e.getMessage());
        CertificateValidator strictNone = new CertificateValidator(List.of(ROOT.cert()), List.of(), CLOCK, true);
        rejected(Reason.UNTRUSTED, strictNone, payloads(LEAF_DIRECT), id);
        CertificateValidator strictCurrent = new CertificateValidator(List.of(ROOT.cert()), List.of(crl(ROOT)), CLOCK, true);
        assertEquals(LEAF_DIRECT.cert(), strictCurrent.validate(payloads(LEAF_DIRECT), id));
        // Strict: the intermediate needs the root's CRL and the leaf the intermediate's.
        CertificateValidator strictHalf = new CertificateValidator(List.of(ROOT.cert()), List.of(crl(ROOT)), CLOCK, true);
        rejected(Reason.UNTRUSTED, strictHalf, payloads(LEAF, INTER), fqdn("node-b.cluster.example"));
    }

    // ---- identities ----

    @Test
    void fqdnMatchesADnsNameIgnoringCase() throws Exception {
        CertificateValidator v = validator();
        v.validate(payloads(LEAF_DIRECT), fqdn("node-a.cluster.example"));
        v.validate(payloads(LEAF_DIRECT), fqdn("Node-A.Cluster.EXAMPLE"));
        rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT), fqdn("node-b.cluster.example"));
        rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT), fqdn("node-a.cluster.example.evil"));
        // The IP SAN's text is no dNSName.
        rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT), fqdn("198.18.1.1"));
    }

    @Test
    void ipv4MatchesAnIpAddressSan() throws Exception {
        CertificateValidator v = validator();
        v.validate(payloads(LEAF_DIRECT), id("198.18.1.1"));
        CertificateRejectedException e = rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT), id("198.18.1.2"));
        assertTrue(e.getMessage().contains("198.18.1.2") && e.getMessage().contains("CN=node-a"), e.getMessage());
    }

    @Test
    void ipv6MatchesAnIpAddressSan() throws Exception {
        CertificateValidator v = validator();
        v.validate(payloads(LEAF_DIRECT), id("2001:db8::a"));
        v.validate(payloads(LEAF_DIRECT), id("2001:0db8:0:0:0:0:0:000a"));
        rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT), id("2001:db8::b"));
        // The IPv4 address as an IPv4-mapped IPv6 address is another identity.
        rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT), id("::ffff:198.18.1.1"));
    }

    @Test
    void rfc822MatchesAnRfc822NameSan() throws Exception {
        CertificateValidator v = validator();
        v.validate(payloads(LEAF_DIRECT), id("admin@node-a.cluster.example"));
        rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT), id("root@node-a.cluster.example"));
        // A dNSName is no rfc822Name.
        rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT), id("@@node-a.cluster.example"));
    }

    @Test
    void dnMatchesTheSubjectAsAnX500Name() throws Exception {
        CertificateValidator v = validator();
        v.validate(payloads(LEAF_DIRECT), id("C=CH, O=ipsec-mesh, CN=node-a"));
        v.validate(payloads(LEAF_DIRECT), id("C=CH,O=ipsec-mesh,CN=node-a"));
        v.validate(payloads(LEAF_DIRECT), id("c=ch,   o=IPSEC-MESH , cn=Node-A"));
        rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT), id("C=CH, O=ipsec-mesh, CN=node-b"));
        rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT), id("CN=node-a, O=ipsec-mesh, C=CH"));
        rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT), id("C=CH, O=ipsec-mesh"));
    }

    @Test
    void otherIdTypesAndMalformedDnsDoNotMatch() {
        CertificateValidator v = validator();
        rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT), id("@#0102030405"));
        rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT),
                new IdPayload(false, IdPayload.ID_DER_ASN1_DN, new byte[] {0x30, 0x05, 0x31}));
        rejected(Reason.ID_MISMATCH, v, payloads(LEAF_DIRECT),
                new IdPayload(false, IdPayload.ID_DER_ASN1_GN, new byte[] {(byte) 0x82, 0x01, 'x'}));
    }

    // ---- hostile and empty input ----

    @Test
    void garbageIsBadEncoding() {
        CertificateValidator v = validator();
        IdPayload id = fqdn("node-a.cluster.example");
        rejected(Reason.BAD_ENCODING, v, List.of(new CertPayload(4, "not a certificate".getBytes(StandardCharsets.US_ASCII))), id);
        rejected(Reason.BAD_ENCODING, v, List.of(new CertPayload(4, new byte[0])), id);
        byte[] good = der(LEAF_DIRECT.cert());
        rejected(Reason.BAD_ENCODING, v, List.of(new CertPayload(4, Arrays.copyOf(good, good.length - 1))), id);
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        rejected(Reason.BAD_ENCODING, v, List.of(new CertPayload(4, trailing)), id);
        // A good end entity followed by a garbage intermediate.
        List<CertPayload> mixed = new ArrayList<>(payloads(LEAF_DIRECT));
        mixed.add(new CertPayload(4, new byte[] {0x30, (byte) 0x82, 0x7f, (byte) 0xff, 0x01}));
        rejected(Reason.BAD_ENCODING, v, mixed, id);
        // PEM text is not what encoding 4 carries.
        byte[] pem = TestPki.pem("CERTIFICATE", good).getBytes(StandardCharsets.US_ASCII);
        rejected(Reason.BAD_ENCODING, v, List.of(new CertPayload(4, pem)), id);
    }

    @Test
    void noCertificate() {
        CertificateValidator v = validator();
        rejected(Reason.NO_CERTIFICATE, v, List.of(), fqdn("node-a"));
        CertificateRejectedException e = rejected(Reason.NO_CERTIFICATE, v,
                List.of(new CertPayload(CertPayload.HASH_AND_URL_X509, new byte[40])), fqdn("node-a"));
        assertTrue(e.getMessage().contains("12"), e.getMessage());
    }

    @Test
    void tooManyCertPayloads() {
        List<CertPayload> many = new ArrayList<>(payloads(LEAF_DIRECT));
        for (int i = 0; i < CertificateValidator.MAX_CERT_PAYLOADS; i++) {
            many.addAll(payloads(INTER));
        }
        rejected(Reason.BAD_ENCODING, validator(), many, fqdn("node-a.cluster.example"));
    }

    /** Bit flips, truncations and splices of real certificates give a rejection, never another exception. */
    @Test
    void mutatedCertificatesOnlyEverGiveCertificateRejectedException() {
        CertificateValidator v = validator(crl(ROOT), crl(INTER));
        byte[][] seeds = {der(LEAF.cert()), der(INTER.cert()), der(LEAF_DIRECT.cert())};
        Random random = new Random(7296);
        int accepted = 0;
        for (int round = 0; round < 600; round++) {
            byte[] m = seeds[round % seeds.length].clone();
            switch (round % 4) {
                case 0 -> m[random.nextInt(m.length)] ^= (byte) (1 << random.nextInt(8));
                case 1 -> m = Arrays.copyOf(m, random.nextInt(m.length));
                case 2 -> {
                    for (int k = 0; k < 8; k++) {
                        m[random.nextInt(m.length)] = (byte) random.nextInt(256);
                    }
                }
                default -> {
                    // length fields of nested structures
                    int at = 1 + random.nextInt(Math.min(40, m.length - 1));
                    m[at] = (byte) (0x80 | random.nextInt(5));
                }
            }
            List<CertPayload> presented = round % 3 == 0
                    ? List.of(new CertPayload(4, der(LEAF.cert())), new CertPayload(4, m))
                    : List.of(new CertPayload(4, m), new CertPayload(4, der(INTER.cert())));
            try {
                v.validate(presented, fqdn("node-b.cluster.example"));
                accepted++;
            } catch (CertificateRejectedException expected) {
                assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
            } catch (RuntimeException e) {
                throw new AssertionError("round " + round + " threw " + e, e);
            }
        }
        // Only flips in signatures' unused trailing room or the like could survive; most must not.
        assertTrue(accepted < 30, "accepted " + accepted + " mutated chains");
    }

    // ---- CERTREQ ----

    @Test
    void caKeyHashesAndCertReq() throws Exception {
        CertificateValidator v = new CertificateValidator(List.of(ROOT.cert(), OTHER_ROOT.cert()), List.of(), CLOCK);
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        byte[] rootHash = sha1.digest(ROOT.cert().getPublicKey().getEncoded());
        byte[] otherHash = sha1.digest(OTHER_ROOT.cert().getPublicKey().getEncoded());
        List<byte[]> hashes = v.caKeyHashes();
        assertEquals(2, hashes.size());
        assertArrayEquals(rootHash, hashes.get(0));
        assertArrayEquals(otherHash, hashes.get(1));

        CertReqPayload req = v.certReqPayload();
        assertEquals(CertPayload.X509_SIGNATURE, req.encoding());
        byte[] both = new byte[40];
        System.arraycopy(rootHash, 0, both, 0, 20);
        System.arraycopy(otherHash, 0, both, 20, 20);
        assertArrayEquals(both, req.certificationAuthority());

        assertTrue(validator().acceptsAnyOf(req));
        assertTrue(validator().acceptsAnyOf(new CertReqPayload(4, both)));
        CertificateValidator otherOnly = new CertificateValidator(List.of(OTHER_ROOT.cert()), List.of(), CLOCK);
        assertFalse(otherOnly.acceptsAnyOf(validator().certReqPayload()));
        assertFalse(validator().acceptsAnyOf(new CertReqPayload(12, rootHash)));
        assertFalse(validator().acceptsAnyOf(new CertReqPayload(4, Arrays.copyOf(rootHash, 19))));
        assertFalse(validator().acceptsAnyOf(new CertReqPayload(4, new byte[0])));
    }

    // ---- loading ----

    @Test
    void loadCertificatesAndCrlsInPemAndDer(@TempDir Path dir) throws Exception {
        Path pem = dir.resolve("cas.pem");
        Files.writeString(pem, "a comment openssl leaves\n" + TestPki.pem("CERTIFICATE", der(ROOT.cert()))
                + TestPki.pem("CERTIFICATE", der(OTHER_ROOT.cert())));
        assertEquals(List.of(ROOT.cert(), OTHER_ROOT.cert()), CertificateValidator.loadCertificates(pem));
        Path derFile = dir.resolve("ca.der");
        Files.write(derFile, der(ROOT.cert()));
        assertEquals(List.of(ROOT.cert()), CertificateValidator.loadCertificates(derFile));

        X509CRL crl = crl(ROOT, LEAF_DIRECT.cert());
        Path crlDer = dir.resolve("crl.der");
        Files.write(crlDer, crl.getEncoded());
        Path crlPem = dir.resolve("crl.pem");
        Files.writeString(crlPem, TestPki.pem("X509 CRL", crl.getEncoded()));
        assertEquals(crl, CertificateValidator.loadCrl(crlDer));
        assertEquals(crl, CertificateValidator.loadCrl(crlPem));
        rejected(Reason.REVOKED, new CertificateValidator(CertificateValidator.loadCertificates(pem),
                List.of(CertificateValidator.loadCrl(crlPem)), CLOCK), payloads(LEAF_DIRECT), fqdn("node-a.cluster.example"));

        Path junk = dir.resolve("junk");
        Files.write(junk, new byte[] {0x30, 0x03, 0x02, 0x01, 0x00});
        assertThrows(CredentialException.class, () -> CertificateValidator.loadCrl(junk));
        assertThrows(CredentialException.class, () -> CertificateValidator.loadCertificates(junk));
        Path keyOnly = dir.resolve("key.pem");
        Files.writeString(keyOnly, TestPki.pem("PRIVATE KEY", new byte[] {0x30, 0x00}));
        assertThrows(CredentialException.class, () -> CertificateValidator.loadCertificates(keyOnly));
    }

    @Test
    void constructorNeedsATrustAnchor() {
        assertThrows(IllegalArgumentException.class, () -> new CertificateValidator(List.of(), List.of(), CLOCK));
    }

    @Test
    void returnsTheEndEntityWhoseKeyVerifiesAuth() throws Exception {
        X509Certificate ee = validator().validate(payloads(LEAF, INTER), fqdn("node-b.cluster.example"));
        assertEquals(LEAF.keys().getPublic(), ee.getPublicKey());
    }
}
