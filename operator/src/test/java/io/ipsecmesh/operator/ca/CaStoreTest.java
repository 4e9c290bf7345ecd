package io.ipsecmesh.operator.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CA in its Secret: created on first start, reused after, or brought by the user. */
@EnableKubernetesMockClient(crud = true)
class CaStoreTest {

    KubernetesClient client;

    @Test
    void createdOnFirstStartThenReused() {
        CaStore store = new CaStore(client, "ipsec-mesh");
        CertificateAuthority first = store.loadOrCreate(CaStore.DEFAULT_SECRET, true, Duration.ofDays(3650),
                Clock.systemUTC());
        Secret s = client.secrets().inNamespace("ipsec-mesh").withName(CaStore.DEFAULT_SECRET).get();
        assertEquals("kubernetes.io/tls", s.getType());
        assertTrue(decode(s.getData().get("tls.key")).contains("PRIVATE KEY"));
        assertEquals(first.certificatePem(), client.configMaps().inNamespace("ipsec-mesh")
                .withName(CaStore.BUNDLE_CONFIGMAP).get().getData().get("ca.crt"));

        CertificateAuthority second = new CaStore(client, "ipsec-mesh").loadOrCreate(CaStore.DEFAULT_SECRET, true,
                Duration.ofDays(3650), Clock.systemUTC());
        assertEquals(first.certificate(), second.certificate(), "a restart keeps the CA");
        assertEquals(first.privateKeyPem(), second.privateKeyPem());
    }

    @Test
    void aUserProvidedSecretIsUsedAndMustExist() {
        CertificateAuthority theirs = CertificateAuthority.create("corporate issuing CA", Duration.ofDays(30),
                Clock.systemUTC());
        IllegalStateException missing = assertThrows(IllegalStateException.class, () -> new CaStore(client, "ipsec-mesh")
                .loadOrCreate("corp-ca", false, Duration.ofDays(1), Clock.systemUTC()));
        assertEquals("the CA Secret ipsec-mesh/corp-ca does not exist", missing.getMessage());

        client.secrets().inNamespace("ipsec-mesh").resource(new SecretBuilder().withNewMetadata().withName("corp-ca")
                .endMetadata().withType("kubernetes.io/tls").withData(Map.of(
                        "tls.crt", encode(theirs.certificatePem()), "tls.key", encode(theirs.privateKeyPem()),
                        "ca.crt", encode(theirs.certificatePem()))).build()).create();
        CertificateAuthority loaded = new CaStore(client, "ipsec-mesh").loadOrCreate("corp-ca", false,
                Duration.ofDays(1), Clock.systemUTC());
        assertEquals(theirs.certificate(), loaded.certificate());
        assertFalse(loaded.toString().contains("PRIVATE"), "no key in toString");
    }

    @Test
    void aNonCaCertificateIsRefused() {
        CertificateAuthority ca = CertificateAuthority.create("ca", Duration.ofDays(1), Clock.systemUTC());
        CertificateAuthority.KeyAndCertificate leaf = ca.serverCertificate(java.util.List.of("localhost"),
                Duration.ofDays(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CertificateAuthority.fromPem(
                CertificateAuthority.pem(leaf.certificate()), CertificateAuthority.pem(leaf.key()), Clock.systemUTC()));
        assertTrue(e.getMessage().contains("is not a CA certificate"), e.getMessage());
        assertFalse(leaf.toString().contains("PRIVATE"));
    }

    static String encode(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
    }

    static String decode(String s) {
        return new String(Base64.getDecoder().decode(s), StandardCharsets.US_ASCII);
    }
}
