package io.ipsecmesh.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.crdv2.generator.CRDGenerator;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRD under crds/ is what the model classes generate. When the classes change, regenerate
 * it with {@code mvn -pl api -am test -Dtest=CrdDriftTest -Dipsm.crds.update=true
 * -Dsurefire.failIfNoSpecifiedTests=false} and commit both.
 */
class CrdDriftTest {

    static String generate(Path dir) throws IOException {
        new CRDGenerator()
                .inOutputDir(dir.toFile())
                .forCRDVersions("v1")
                .customResourceClasses(IPsecPolicy.class)
                .generate();
        Path out = dir.resolve(Crds.CRD_FILE);
        assertTrue(Files.exists(out), "the generator wrote no " + Crds.CRD_FILE + " in " + dir);
        return Files.readString(out);
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
