package io.ipsecmesh.api;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the checked-in CRD manifests live (the top-level crds/ directory). */
final class Crds {

    static final String CRD_FILE = "ipsecpolicies.ipsec.ipsecmesh.io-v1.yml";

    private Crds() {
    }

    static Path dir() {
        String configured = System.getProperty("ipsm.crds.dir");
        Path dir = configured != null ? Path.of(configured) : Path.of("..", "crds");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("crds directory not found at " + dir.toAbsolutePath()
                    + " (set -Dipsm.crds.dir)");
        }
        return dir.normalize();
    }

    static Path crdFile() {
        return dir().resolve(CRD_FILE);
    }
}
