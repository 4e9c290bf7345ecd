package io.ipsecmesh.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The example policies under crds/examples/ are applied through the Fabric8 client, as
 * {@code kubectl apply -f} would, after the CRD; each is also checked against the CRD's schema
 * for fields the API server would prune or reject (the mock server does not validate).
 */
@EnableKubernetesMockClient(crud = true)
class ExamplesTest {

    KubernetesClient client;

    static List<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(Crds.dir().resolve("examples"))) {
            return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    @Test
    void examplesApplyThroughTheClientAndReadBackUnchanged() throws IOException {
        CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions()
                .load(Files.newInputStream(Crds.crdFile())).item();
        client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        assertNotNull(client.apiextensions().v1().customResourceDefinitions().withName(IPsecPolicy.CRD_NAME).get());

        List<Path> examples = examples();
        assertTrue(examples.size() >= 5, "examples: " + examples);
        for (Path file : examples) {
            IPsecPolicy policy;
            try (InputStream in = Files.newInputStream(file)) {
                policy = client.resources(IPsecPolicy.class).load(in).item();
            }
            String ns = policy.getMetadata().getNamespace();
            assertNotNull(ns, file + " names no namespace");
            if (client.namespaces().withName(ns).get() == null) {
                client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                        .create();
            }
            client.resources(IPsecPolicy.class).inNamespace(ns).resource(policy).create();
            IPsecPolicy back = client.resources(IPsecPolicy.class).inNamespace(ns)
                    .withName(policy.getMetadata().getName()).get();
            assertNotNull(back, file.getFileName() + " was not stored");
            assertEquals(Serialization.asJson(policy.getSpec()), Serialization.asJson(back.getSpec()),
                    file.getFileName() + " changed on the way");
        }
        assertEquals(examples.size(), client.resources(IPsecPolicy.class).inAnyNamespace().list().getItems().size());
    }

    @Test
    void examplesUseOnlyFieldsTheSchemaKnows() throws IOException {
        CustomResourceDefinition crd;
        try (InputStream in = Files.newInputStream(Crds.crdFile())) {
            crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
        }
        JSONSchemaProps spec = crd.getSpec().getVersions().getFirst().getSchema().getOpenAPIV3Schema()
                .getProperties().get("spec");
        for (Path file : examples()) {
            JsonNode doc = Serialization.yamlMapper().readTree(file.toFile());
            List<String> problems = new ArrayList<>();
            check(doc.get("spec"), spec, "spec", problems);
            assertTrue(problems.isEmpty(), file.getFileName() + ": " + problems);
        }
    }

    @Test
    void theSchemaCheckCatchesATypo() throws IOException {
        CustomResourceDefinition crd;
        try (InputStream in = Files.newInputStream(Crds.crdFile())) {
            crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
        }
        JSONSchemaProps spec = crd.getSpec().getVersions().getFirst().getSchema().getOpenAPIV3Schema()
                .getProperties().get("spec");
        JsonNode bad = Serialization.yamlMapper().readTree("""
                podSelector: {}
                peers: [{podSelector: {}}]
                enforcment: Audit
                ports: [{port: "80"}]
                """);
        List<String> problems = new ArrayList<>();
        check(bad, spec, "spec", problems);
        assertEquals(List.of("spec.enforcment: unknown field", "spec.ports[0].port: expected integer, got \"80\""),
                problems);
    }

    /** Unknown fields, missing required fields and JSON types, recursively. */
    static void check(JsonNode node, JSONSchemaProps schema, String path, List<String> problems) {
        if (Boolean.TRUE.equals(schema.getXKubernetesPreserveUnknownFields())) {
            return;
        }
        String type = schema.getType();
        if (type == null) {
            return;
        }
        switch (type) {
            case "object" -> {
                if (!node.isObject()) {
                    problems.add(path + ": expected object, got " + node);
                    return;
                }
                if (schema.getRequired() != null) {
                    for (String r : schema.getRequired()) {
                        if (!node.has(r)) {
                            problems.add(path + "." + r + ": required");
                        }
                    }
                }
                Map<String, JSONSchemaProps> props = schema.getProperties();
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    if (props != null && props.containsKey(e.getKey())) {
                        check(e.getValue(), props.get(e.getKey()), path + "." + e.getKey(), problems);
                    } else if (schema.getAdditionalProperties() == null
                            || Boolean.FALSE.equals(schema.getAdditionalProperties().getAllows())) {
                        problems.add(path + "." + e.getKey() + ": unknown field");
                    } else if (schema.getAdditionalProperties().getSchema() != null) {
                        check(e.getValue(), schema.getAdditionalProperties().getSchema(),
                                path + "." + e.getKey(), problems);
                    }
                }
            }
            case "array" -> {
                if (!node.isArray()) {
                    problems.add(path + ": expected array, got " + node);
                    return;
                }
                for (int i = 0; i < node.size(); i++) {
                    check(node.get(i), schema.getItems().getSchema(), path + "[" + i + "]", problems);
                }
            }
            case "string" -> {
                if (!node.isTextual()) {
                    problems.add(path + ": expected string, got " + node);
                }
            }
            case "integer" -> {
                if (!node.isIntegralNumber()) {
                    problems.add(path + ": expected integer, got " + node);
                }
            }
            case "boolean" -> {
                if (!node.isBoolean()) {
                    problems.add(path + ": expected boolean, got " + node);
                }
            }
            default -> assertFalse(type.isEmpty());
        }
    }
}
