package io.ipsecmesh.operator.ca;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/**
 * Where the CA lives: a Secret of type kubernetes.io/tls (tls.crt, tls.key) in the operator's
 * namespace, created on first start, or one the user names (e.g. issued by cert-manager, which
 * also writes ca.crt). The CA certificate is published in a ConfigMap (key ca.crt) that
 * sidecars mount.
 */
public final class CaStore {

    public static final String DEFAULT_SECRET = "ipsec-mesh-ca";
    public static final String BUNDLE_CONFIGMAP = "ipsec-mesh-ca-bundle";

    private final KubernetesClient client;
    private final String namespace;

    public CaStore(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    /**
     * Loads the CA from the Secret; when it does not exist: creates a new CA there if
     * {@code create}, otherwise fails (a user-provided Secret must exist).
     */
    public CertificateAuthority loadOrCreate(String secretName, boolean create, Duration validity, Clock clock) {
        Secret s = client.secrets().inNamespace(namespace).withName(secretName).get();
        if (s == null) {
            if (!create) {
                throw new IllegalStateException("the CA Secret " + namespace + "/" + secretName + " does not exist");
            }
            CertificateAuthority ca = CertificateAuthority.create("ipsec-mesh CA", validity, clock);
            Secret secret = new SecretBuilder().withNewMetadata().withName(secretName).withNamespace(namespace)
                    .addToLabels("app.kubernetes.io/part-of", "ipsec-mesh").endMetadata()
                    .withType("kubernetes.io/tls")
                    .withData(Map.of("tls.crt", b64(ca.certificatePem()), "tls.key", b64(ca.privateKeyPem())))
                    .build();
            try {
                client.secrets().inNamespace(namespace).resource(secret).create();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                // Another replica created it first: use that one.
                return loadOrCreate(secretName, false, validity, clock);
            }
            publishBundle(ca);
            return ca;
        }
        Map<String, String> data = s.getData() == null ? Map.of() : s.getData();
        if (!data.containsKey("tls.crt") || !data.containsKey("tls.key")) {
            throw new IllegalStateException("the CA Secret " + namespace + "/" + secretName
                    + " needs the keys tls.crt and tls.key, has " + data.keySet());
        }
        CertificateAuthority ca = CertificateAuthority.fromPem(unb64(data.get("tls.crt")), unb64(data.get("tls.key")),
                clock);
        publishBundle(ca);
        return ca;
    }

    /** Writes (or updates) the CA bundle ConfigMap. */
    public void publishBundle(CertificateAuthority ca) {
        ConfigMap cm = new ConfigMapBuilder().withNewMetadata().withName(BUNDLE_CONFIGMAP).withNamespace(namespace)
                .addToLabels("app.kubernetes.io/part-of", "ipsec-mesh").endMetadata()
                .withData(Map.of("ca.crt", ca.certificatePem())).build();
        ConfigMap existing = client.configMaps().inNamespace(namespace).withName(BUNDLE_CONFIGMAP).get();
        if (existing == null) {
            client.configMaps().inNamespace(namespace).resource(cm).create();
        } else if (!cm.getData().equals(existing.getData())) {
            existing.setData(cm.getData());
            client.configMaps().inNamespace(namespace).resource(existing).update();
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s), StandardCharsets.US_ASCII);
    }
}
