package io.ipsecmesh.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crdv2.generator.CRDGenerator;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import io.ipsecmesh.api.v1alpha1.IPsecPolicySpec;
import io.ipsecmesh.api.v1alpha1.IPsecPolicyStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRD under crds/ is what the model classes generate. When the classes change, regenerate
 * it with {@code mvn -pl api -am test -Dtest=CrdDriftTest -Dipsm.crds.update=true
 * -Dsurefire.failIfNoSpecifiedTests=false} and commit both.
 *
 * <p>Generation is Fabric8's crd-generator, then one deterministic step: the printer columns
 * in the order {@code kubectl get} should show them (the generator sorts them by JSON path,
 * which would put Age first), and the descriptions of the resource, its spec and its status
 * from the classes' {@code @JsonClassDescription} (which the generator leaves out).
 */
class CrdDriftTest {

    static final List<String> COLUMN_ORDER = List.of("Mode", "Enforcement", "Pods", "Required", "Protected",
            "Ready", "Compliant", "Age");

    static String generate(Path dir) throws IOException {
        new CRDGenerator()
                .inOutputDir(dir.toFile())
                .forCRDVersions("v1")
                .customResourceClasses(IPsecPolicy.class)
                .generate();
        Path out = dir.resolve(Crds.CRD_FILE);
        assertTrue(Files.exists(out), "the generator wrote no " + Crds.CRD_FILE + " in " + dir);
        CustomResourceDefinition crd;
        try (InputStream in = Files.newInputStream(out)) {
            crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
        }
        for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
            List<CustomResourceColumnDefinition> columns = new ArrayList<>(v.getAdditionalPrinterColumns());
            for (CustomResourceColumnDefinition c : columns) {
                assertTrue(COLUMN_ORDER.contains(c.getName()), "column " + c.getName() + " has no place in COLUMN_ORDER");
            }
            columns.sort(Comparator.comparingInt(c -> COLUMN_ORDER.indexOf(c.getName())));
            v.setAdditionalPrinterColumns(columns);
            // kubectl explain ipsecpolicy / .spec / .status: the classes' descriptions.
            var root = v.getSchema().getOpenAPIV3Schema();
            root.setDescription(IPsecPolicy.class.getAnnotation(JsonClassDescription.class).value());
            root.getProperties().get("spec").setDescription(
                    IPsecPolicySpec.class.getAnnotation(JsonClassDescription.class).value());
            root.getProperties().get("status").setDescription(
                    IPsecPolicyStatus.class.getAnnotation(JsonClassDescription.class).value());
        }
        String yaml = "# Generated from io.ipsecmesh.api.v1alpha1 by CrdDriftTest (Fabric8 crd-generator, printer\n"
                + "# columns in display order, class descriptions). Do not edit: change the classes and regenerate.\n"
                + Serialization.asYaml(crd);
        Files.writeString(out, yaml);
        return yaml;
    }

    @Test
    void checkedInCrdIsWhatTheClassesGenerate(@TempDir Path tmp) throws IOException {
        String generated = generate(tmp);
        Path checkedIn = Crds.crdFile();
        if (Boolean.getBoolean("ipsm.crds.update")) {
            Files.copy(tmp.resolve(Crds.CRD_FILE), checkedIn, StandardCopyOption.REPLACE_EXISTING);
        }
        assertTrue(Files.exists(checkedIn), checkedIn + " is missing; generate it with -Dipsm.crds.update=true");
        assertEquals(generated, Files.readString(checkedIn),
                checkedIn + " has drifted from the classes in io.ipsecmesh.api.v1alpha1; regenerate it with "
                        + "mvn -pl api -am test -Dtest=CrdDriftTest -Dipsm.crds.update=true "
                        + "-Dsurefire.failIfNoSpecifiedTests=false, then commit it");
    }
}
