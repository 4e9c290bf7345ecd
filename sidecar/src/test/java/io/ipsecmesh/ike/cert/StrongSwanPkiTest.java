package io.ipsecmesh.ike.cert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipsecmesh.ike.IdPayload;
import io.ipsecmesh.ike.cert.CertificateRejectedException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keys, certificates and CRLs made by strongSwan's own {@code pki} (5.9.8 on CI), read and
 * validated here: the files a strongSwan user already has must work unchanged.
 */
class StrongSwanPkiTest {

    private static final Path PKI = Path.of("/usr/bin/pki");

    /** Runs pki with {@code args}, its stdin from {@code in} (or nothing), its stdout into {@code out}. */
    private static void pki(Path dir, Path in, Path out, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(PKI.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(out.toFile())
                .redirectError(dir.resolve("pki.err").toFile());
        if (in != null) {
            pb.redirectInput(in.toFile());
        } else {
            pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        }
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("pki " + String.join(" ", args) + " timed out");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("pki " + String.join(" ", args) + " exited " + p.exitValue() + ": "
                    + Files.readString(dir.resolve("pki.err"), StandardCharsets.ISO_8859_1));
        }
    }

    @Test
    void validatesWhatStrongSwansPkiMakes(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PKI), "strongSwan pki is not installed");
        Path caKey = dir.resolve("ca.key");
        Path caCrt = dir.resolve("ca.crt");
        // CA: PEM (SEC1 key). Node a: DER SEC1 key and DER certificate. Node b: RSA PKCS#1 PEM.
        pki(dir, null, caKey, "--gen", "--type", "ecdsa", "--size", "256", "--outform", "pem");
        pki(dir, null, caCrt, "--self", "--ca", "--lifetime", "3650", "--in", "ca.key", "--type", "ecdsa",
                "--dn", "C=CH, O=ipsec-mesh, CN=ipsm CA", "--outform", "pem");

        Path aKey = dir.resolve("a.key");
        Path aPub = dir.resolve("a.pub");
        Path aCrt = dir.resolve("a.crt");
        pki(dir, null, aKey, "--gen", "--type", "ecdsa", "--size", "256");
        pki(dir, null, aPub, "--pub", "--in", "a.key", "--type", "ecdsa");
        pki(dir, aPub, aCrt, "--issue", "--lifetime", "30", "--cacert", "ca.crt", "--cakey", "ca.key",
                "--dn", "C=CH, O=ipsec-mesh, CN=node-a", "--san", "node-a", "--san", "198.18.1.1",
                "--san", "2001:db8::a", "--flag", "serverAuth");

        Path bKey = dir.resolve("b.key");
        Path bPub = dir.resolve("b.pub");
        Path bCrt = dir.resolve("b.crt");
        pki(dir, null, bKey, "--gen", "--type", "rsa", "--size", "2048", "--outform", "pem");
        pki(dir, null, bPub, "--pub", "--in", "b.key", "--type", "rsa");
        pki(dir, bPub, bCrt, "--issue", "--lifetime", "30", "--cacert", "ca.crt", "--cakey", "ca.key",
                "--dn", "C=CH, O=ipsec-mesh, CN=node-b", "--san", "node-b", "--outform", "pem");

        Path crlDer = dir.resolve("crl.der");
        Path crlPem = dir.resolve("crl.pem");
        pki(dir, null, crlDer, "--signcrl", "--cacert", "ca.crt", "--cakey", "ca.key", "--lifetime", "15",
                "--cert", "b.crt", "--reason", "key-compromise");
        pki(dir, null, crlPem, "--signcrl", "--cacert", "ca.crt", "--cakey", "ca.key", "--lifetime", "15",
                "--cert", "b.crt", "--outform", "pem");
        assertTrue(Files.readString(caKey).contains("EC PRIVATE KEY"));
        assertTrue(Files.readString(bKey).contains("RSA PRIVATE KEY"));

        LocalCredentials a = LocalCredentials.load(aKey, aCrt, List.of());
        LocalCredentials b = LocalCredentials.load(bKey, bCrt, List.of(caCrt));
        assertEquals(2, b.chain().size());
        assertEquals(IkeIdentity.parse("node-a"), a.defaultIdentity());
        // strongSwan encodes a DN string byte for byte as we do.
        assertArrayEquals(a.certificate().getSubjectX500Principal().getEncoded(),
                IkeIdentity.parse("C=CH, O=ipsec-mesh, CN=node-a").data());

        X509CRL crl = CertificateValidator.loadCrl(crlDer);
        // The two CRLs were signed a moment apart (their revocation dates may differ by a second):
        // they must revoke the same serial numbers.
        assertEquals(serials(crl), serials(CertificateValidator.loadCrl(crlPem)));
        CertificateValidator v = new CertificateValidator(CertificateValidator.loadCertificates(caCrt), List.of(crl),
                Clock.systemUTC(), true);
        for (String id : List.of("node-a", "198.18.1.1", "2001:db8::a", "C=CH, O=ipsec-mesh, CN=node-a")) {
            IdPayload peerId = IkeIdentity.parse(id).toIdPayload(true);
            assertEquals(a.certificate(), v.validate(a.certPayloads(), peerId), id);
        }
        assertEquals(Reason.ID_MISMATCH, assertThrows(CertificateRejectedException.class,
                () -> v.validate(a.certPayloads(), IkeIdentity.parse("node-b").toIdPayload(true))).reason());
        assertEquals(Reason.REVOKED, assertThrows(CertificateRejectedException.class,
                () -> v.validate(b.certPayloads(), IkeIdentity.parse("node-b").toIdPayload(true))).reason());
        CertificateValidator in31Days = new CertificateValidator(List.of(CertificateValidator.loadCertificates(caCrt)
                .getFirst()), List.of(), Clock.offset(Clock.systemUTC(), Duration.ofDays(31)));
        assertEquals(Reason.EXPIRED, assertThrows(CertificateRejectedException.class,
                () -> in31Days.validate(a.certPayloads(), IkeIdentity.parse("node-a").toIdPayload(true))).reason());
    }

    private static java.util.Set<java.math.BigInteger> serials(X509CRL crl) {
        java.util.Set<java.math.BigInteger> out = new java.util.HashSet<>();
        crl.getRevokedCertificates().forEach(r -> out.add(r.getSerialNumber()));
        return out;
    }
}
