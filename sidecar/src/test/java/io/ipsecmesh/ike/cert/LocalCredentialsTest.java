package io.ipsecmesh.ike.cert;

import static io.ipsecmesh.ike.cert.TestPki.der;
import static io.ipsecmesh.ike.cert.TestPki.pem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipsecmesh.ike.CertPayload;
import io.ipsecmesh.ike.IdPayload;
import io.ipsecmesh.ike.cert.TestPki.Issued;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Loading keys and certificates as strongSwan's pki writes them, and the checks on them. */
class LocalCredentialsTest {

    private static final Issued ROOT = TestPki.root("CN=Test Root", TestPki.p384());
    private static final Issued INTER = TestPki.intermediate("CN=Test Intermediate", TestPki.p256(), ROOT);

    enum KeyType { P256, P384, RSA3072 }

    enum KeyFormat { PKCS8, TRADITIONAL }

    static Stream<Arguments> formats() {
        List<Arguments> out = new ArrayList<>();
        for (KeyType t : KeyType.values()) {
            for (KeyFormat f : KeyFormat.values()) {
                out.add(Arguments.of(t, f, true));
                out.add(Arguments.of(t, f, false));
            }
        }
        return out.stream();
    }

    private static KeyPair keys(KeyType t) {
        return switch (t) {
            case P256 -> TestPki.p256();
            case P384 -> TestPki.p384();
            case RSA3072 -> TestPki.rsa3072();
        };
    }

    /** The key's DER and PEM label: PKCS#8, or SEC1 with curve and public key (as openssl and pki write it), or PKCS#1. */
    private static byte[] keyDer(KeyPair keys, KeyFormat f) throws Exception {
        byte[] pkcs8 = keys.getPrivate().getEncoded();
        if (f == KeyFormat.PKCS8) {
            return pkcs8;
        }
        PrivateKeyInfo info = PrivateKeyInfo.getInstance(pkcs8);
        if (keys.getPrivate() instanceof ECPrivateKey ec) {
            int bits = ec.getParams().getOrder().bitLength();
            return new org.bouncycastle.asn1.sec.ECPrivateKey(bits, ec.getS(),
                    SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()).getPublicKeyData(),
                    info.getPrivateKeyAlgorithm().getParameters()).getEncoded();
        }
        return RSAPrivateKey.getInstance(info.parsePrivateKey()).getEncoded();
    }

    private static String label(KeyPair keys, KeyFormat f) {
        if (f == KeyFormat.PKCS8) {
            return "PRIVATE KEY";
        }
        return keys.getPrivate() instanceof ECPrivateKey ? "EC PRIVATE KEY" : "RSA PRIVATE KEY";
    }

    private static void assertSameKey(PrivateKey expected, PrivateKey actual) {
        if (expected instanceof ECPrivateKey e) {
            assertEquals(e.getS(), ((ECPrivateKey) actual).getS());
            assertEquals(e.getParams().getCurve(), ((ECPrivateKey) actual).getParams().getCurve());
        } else {
            RSAPrivateCrtKey e = (RSAPrivateCrtKey) expected;
            RSAPrivateCrtKey a = (RSAPrivateCrtKey) actual;
            assertEquals(e.getModulus(), a.getModulus());
            assertEquals(e.getPrivateExponent(), a.getPrivateExponent());
        }
    }

    private static Path write(Path dir, String name, byte[] content) throws Exception {
        return Files.write(dir.resolve(name), content);
    }

    private static Path write(Path dir, String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    @ParameterizedTest(name = "{0} {1} pem={2}")
    @MethodSource("formats")
    void loadsEveryKeyFormat(KeyType type, KeyFormat format, boolean asPem, @TempDir Path dir) throws Exception {
        KeyPair keys = keys(type);
        Issued leaf = TestPki.leaf("CN=node-" + type, keys, INTER, "node-" + type.name().toLowerCase());
        byte[] keyDer = keyDer(keys, format);
        Path keyFile = asPem ? write(dir, "k.pem", pem(label(keys, format), keyDer)) : write(dir, "k.der", keyDer);
        Path certFile = asPem ? write(dir, "c.pem", pem("CERTIFICATE", der(leaf.cert()))) : write(dir, "c.der", der(leaf.cert()));
        Path interFile = asPem ? write(dir, "i.pem", pem("CERTIFICATE", der(INTER.cert()))) : write(dir, "i.der", der(INTER.cert()));

        LocalCredentials creds = LocalCredentials.load(keyFile, certFile, List.of(interFile));
        assertSameKey(keys.getPrivate(), creds.privateKey());
        assertEquals(leaf.cert(), creds.certificate());
        assertEquals(List.of(leaf.cert(), INTER.cert()), creds.chain());
        List<CertPayload> payloads = creds.certPayloads();
        assertEquals(2, payloads.size());
        assertEquals(CertPayload.X509_SIGNATURE, payloads.get(0).encoding());
        assertArrayEquals(der(leaf.cert()), payloads.get(0).data());
        assertArrayEquals(der(INTER.cert()), payloads.get(1).data());
    }

    @Test
    void sec1KeyWithoutCurveTakesTheCertificatesCurve(@TempDir Path dir) throws Exception {
        KeyPair keys = TestPki.p384();
        Issued leaf = TestPki.leaf("CN=bare", keys, ROOT, "bare");
        ECPrivateKey ec = (ECPrivateKey) keys.getPrivate();
        byte[] bare = new org.bouncycastle.asn1.sec.ECPrivateKey(384, ec.getS()).getEncoded();
        LocalCredentials creds = LocalCredentials.load(write(dir, "k.der", bare),
                write(dir, "c.der", der(leaf.cert())), List.of());
        assertSameKey(ec, creds.privateKey());
    }

    @Test
    void opensslStyleFileWithParametersBlockAndTextAround(@TempDir Path dir) throws Exception {
        KeyPair keys = TestPki.p256();
        Issued leaf = TestPki.leaf("CN=openssl", keys, ROOT, "openssl");
        String content = pem("EC PARAMETERS", new ASN1ObjectIdentifier("1.2.840.10045.3.1.7").getEncoded())
                + pem("EC PRIVATE KEY", keyDer(keys, KeyFormat.TRADITIONAL));
        Path certs = write(dir, "chain.pem", "Bag Attributes: leaf\n" + pem("CERTIFICATE", der(leaf.cert())));
        LocalCredentials creds = LocalCredentials.load(write(dir, "k.pem", content), certs, List.of());
        assertSameKey(keys.getPrivate(), creds.privateKey());
    }

    @Test
    void certificateFileMayHoldTheWholeChain(@TempDir Path dir) throws Exception {
        KeyPair keys = TestPki.p256();
        Issued leaf = TestPki.leaf("CN=chained", keys, INTER, "chained");
        Path certs = write(dir, "chain.pem", pem("CERTIFICATE", der(leaf.cert())) + pem("CERTIFICATE", der(INTER.cert()))
                + pem("CERTIFICATE", der(ROOT.cert())));
        LocalCredentials creds = LocalCredentials.load(write(dir, "k.der", keys.getPrivate().getEncoded()), certs, List.of());
        assertEquals(List.of(leaf.cert(), INTER.cert(), ROOT.cert()), creds.chain());
    }

    @Test
    void keyOfAnotherCertificateIsRejectedWithoutShowingIt(@TempDir Path dir) throws Exception {
        KeyPair mine = TestPki.p256();
        KeyPair other = TestPki.p256();
        Issued leaf = TestPki.leaf("CN=node-m", mine, ROOT, "node-m");
        Path key = write(dir, "k.pem", pem("PRIVATE KEY", other.getPrivate().getEncoded()));
        CredentialException e = assertThrows(CredentialException.class,
                () -> LocalCredentials.load(key, write(dir, "c.der", der(leaf.cert())), List.of()));
        assertTrue(e.getMessage().contains("does not belong") && e.getMessage().contains("CN=node-m"), e.getMessage());
        assertNoKeyMaterial(e.getMessage(), other.getPrivate());
    }

    @Test
    void keyOfAnotherAlgorithm(@TempDir Path dir) throws Exception {
        Issued leaf = TestPki.leaf("CN=node-n", TestPki.p256(), ROOT, "node-n");
        Path key = write(dir, "k.der", TestPki.rsa3072().getPrivate().getEncoded());
        CredentialException e = assertThrows(CredentialException.class,
                () -> LocalCredentials.load(key, write(dir, "c.der", der(leaf.cert())), List.of()));
        assertTrue(e.getMessage().contains("RSA") && e.getMessage().contains("EC"), e.getMessage());
        // The same curve family but another curve.
        Path p384 = write(dir, "k384.der", TestPki.p384().getPrivate().getEncoded());
        assertThrows(CredentialException.class,
                () -> LocalCredentials.load(p384, write(dir, "c2.der", der(leaf.cert())), List.of()));
    }

    @Test
    void chainOutOfOrderOrUnrelated(@TempDir Path dir) throws Exception {
        KeyPair keys = TestPki.p256();
        Issued leaf = TestPki.leaf("CN=node-o", keys, INTER, "node-o");
        Path key = write(dir, "k.der", keys.getPrivate().getEncoded());
        Path cert = write(dir, "c.der", der(leaf.cert()));
        Path root = write(dir, "root.der", der(ROOT.cert()));
        Path inter = write(dir, "inter.der", der(INTER.cert()));
        CredentialException e = assertThrows(CredentialException.class,
                () -> LocalCredentials.load(key, cert, List.of(root, inter)));
        assertTrue(e.getMessage().contains("Test Intermediate") && e.getMessage().contains("in order"), e.getMessage());
        assertEquals(3, LocalCredentials.load(key, cert, List.of(inter, root)).chain().size());
        // Same name as the intermediate, other key.
        Issued impostor = TestPki.cert("CN=Test Intermediate", TestPki.p256()).ca(null).issuedBy(ROOT);
        Path fake = write(dir, "fake.der", der(impostor.cert()));
        CredentialException e2 = assertThrows(CredentialException.class,
                () -> LocalCredentials.load(key, cert, List.of(fake)));
        assertTrue(e2.getMessage().contains("not signed"), e2.getMessage());
    }

    @Test
    void unusableKeyFiles(@TempDir Path dir) throws Exception {
        Issued leaf = TestPki.leaf("CN=node-p", TestPki.p256(), ROOT, "node-p");
        Path cert = write(dir, "c.der", der(leaf.cert()));
        String[][] cases = {
                {"garbage", "this is no key"},
                {"encrypted", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"},
                {"legacy-encrypted", "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nMAA=\n-----END EC PRIVATE KEY-----\n"},
                {"only-a-cert", pem("CERTIFICATE", der(leaf.cert()))},
                {"bad-base64", "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n"},
                {"truncated-der", new String(Base64.getEncoder().encode(new byte[] {0x30, 0x10, 0x02}), StandardCharsets.US_ASCII)},
        };
        for (String[] c : cases) {
            Path key = write(dir, c[0], c[1]);
            CredentialException e = assertThrows(CredentialException.class, () -> LocalCredentials.load(key, cert, List.of()), c[0]);
            assertTrue(e.getMessage().contains(c[0]), e.getMessage());
        }
        CredentialException enc = assertThrows(CredentialException.class,
                () -> LocalCredentials.load(dir.resolve("encrypted"), cert, List.of()));
        assertTrue(enc.getMessage().contains("encrypted"), enc.getMessage());
    }

    @Test
    void defaultIdentityPrefersTheFirstDnsNameOrAddress() throws Exception {
        KeyPair keys = TestPki.p256();
        LocalCredentials dns = LocalCredentials.of(keys.getPrivate(),
                List.of(TestPki.cert("CN=node-q", keys).san("q@example.org").san("node-q.example").san("198.18.3.1")
                        .issuedBy(ROOT).cert()));
        assertEquals(IkeIdentity.parse("node-q.example"), dns.defaultIdentity());
        LocalCredentials ip = LocalCredentials.of(keys.getPrivate(),
                List.of(TestPki.cert("CN=node-q", keys).san("2001:db8::3").san("node-q.example").issuedBy(ROOT).cert()));
        assertEquals(IkeIdentity.parse("2001:db8::3"), ip.defaultIdentity());
        var subjectOnly = TestPki.cert("C=CH, O=ipsec-mesh, CN=node-q", keys).issuedBy(ROOT).cert();
        LocalCredentials dn = LocalCredentials.of(keys.getPrivate(), List.of(subjectOnly));
        assertEquals(IdPayload.ID_DER_ASN1_DN, dn.defaultIdentity().type());
        assertArrayEquals(subjectOnly.getSubjectX500Principal().getEncoded(), dn.defaultIdentity().data());
        assertEquals("C=CH, O=ipsec-mesh, CN=node-q", dn.defaultIdentity().toString());
    }

    @Test
    void toStringShowsNoKey() throws Exception {
        KeyPair keys = TestPki.p256();
        LocalCredentials creds = LocalCredentials.of(keys.getPrivate(),
                List.of(TestPki.leaf("CN=node-r", keys, INTER, "node-r").cert(), INTER.cert()));
        String s = creds.toString();
        assertTrue(s.contains("CN=node-r") && s.contains("EC"), s);
        assertNoKeyMaterial(s, keys.getPrivate());
    }

    private static void assertNoKeyMaterial(String text, PrivateKey key) {
        BigInteger secret = ((ECPrivateKey) key).getS();
        String lower = text.toLowerCase();
        assertFalse(lower.contains(secret.toString(16)), text);
        assertFalse(text.contains(secret.toString()), text);
        assertFalse(lower.contains(HexFormat.of().formatHex(key.getEncoded()).substring(0, 32)), text);
        assertFalse(text.contains(Base64.getEncoder().encodeToString(key.getEncoded()).substring(0, 24)), text);
    }
}
