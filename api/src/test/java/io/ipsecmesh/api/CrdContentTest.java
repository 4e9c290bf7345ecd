package io.ipsecmesh.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What users get from the checked-in CRD: scope, status subresource, columns, docs, rules. */
class CrdContentTest {

    static CustomResourceDefinition crd;
    static CustomResourceDefinitionVersion version;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = Files.newInputStream(Crds.crdFile())) {
            crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
        }
        assertEquals(1, crd.getSpec().getVersions().size());
        version = crd.getSpec().getVersions().getFirst();
    }

    static JSONSchemaProps spec() {
        return version.getSchema().getOpenAPIV3Schema().getProperties().get("spec");
    }

    @Test
    void namesAndScope() {
        assertEquals(IPsecPolicy.CRD_NAME, crd.getMetadata().getName());
        assertEquals("Namespaced", crd.getSpec().getScope());
        assertEquals("v1alpha1", version.getName());
        assertTrue(version.getServed() && version.getStorage());
        assertEquals(List.of("ipsp"), crd.getSpec().getNames().getShortNames());
    }

    @Test
    void statusIsASubresource() {
        assertNotNull(version.getSubresources());
        assertNotNull(version.getSubresources().getStatus(), "status subresource missing");
    }

    @Test
    void printerColumnsTellTheStateAtAGlance() {
        List<String> names = version.getAdditionalPrinterColumns().stream()
                .map(CustomResourceColumnDefinition::getName).toList();
        assertEquals(List.of("Mode", "Enforcement", "Pods", "Required", "Protected", "Ready", "Compliant", "Age"), names);
        CustomResourceColumnDefinition ready = version.getAdditionalPrinterColumns().stream()
                .filter(c -> c.getName().equals("Ready")).findFirst().orElseThrow();
        assertEquals(".status.conditions[?(@.type==\"Ready\")].status", ready.getJsonPath());
    }

    @Test
    void fieldsAreDocumentedForKubectlExplain() {
        JSONSchemaProps spec = spec();
        for (String field : List.of("podSelector", "peers", "ports", "mode", "protocol", "proposals",
                "enforcement", "lifetimes", "complianceProfile")) {
            JSONSchemaProps p = spec.getProperties().get(field);
            assertNotNull(p, "spec." + field + " missing");
            assertNotNull(p.getDescription(), "spec." + field + " has no description");
        }
        assertEquals(List.of("peers", "podSelector"), spec.getRequired().stream().sorted().toList());
        assertNotNull(version.getSchema().getOpenAPIV3Schema().getDescription(), "kubectl explain ipsecpolicy");
        assertNotNull(spec.getDescription(), "kubectl explain ipsecpolicy.spec");
    }

    @Test
    void validationRulesReachTheApiServer() {
        List<String> specRules = spec().getXKubernetesValidations().stream().map(ValidationRule::getRule).toList();
        assertTrue(specRules.stream().anyMatch(r -> r.contains("proposals.esp")), "spec rules: " + specRules);
        JSONSchemaProps mode = spec().getProperties().get("mode");
        assertEquals("self in ['Transport', 'Tunnel']", mode.getXKubernetesValidations().getFirst().getRule());
        assertEquals("mode must be Transport or Tunnel", mode.getXKubernetesValidations().getFirst().getMessage());
        JSONSchemaProps peer = spec().getProperties().get("peers").getItems().getSchema();
        assertEquals(2, peer.getXKubernetesValidations().size());
        assertEquals(1L, spec().getProperties().get("peers").getMinItems());
        // What CEL rules look at is bounded, so the API server's cost estimate stays in budget.
        assertEquals(16L, mode.getMaxLength());
        assertEquals(64L, spec().getProperties().get("peers").getMaxItems());
        assertEquals(64L, peer.getProperties().get("ipBlock").getProperties().get("cidr").getMaxLength());
        assertEquals(32L, spec().getProperties().get("lifetimes").getProperties().get("ike").getMaxLength());
    }
}
