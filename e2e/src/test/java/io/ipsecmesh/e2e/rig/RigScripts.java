package io.ipsecmesh.e2e.rig;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the namespace scripts under {@code e2e/} (rig and interop) from JUnit: prerequisites,
 * scenario files (one line of script options each, shared with the scripts' own matrix
 * runners), and one run checked by its exit status and PASS/FAIL/RESULT lines.
 */
public final class RigScripts {

    private RigScripts() {
    }

    public static Path root() {
        Path root = Path.of("").toAbsolutePath();
        return root.getFileName().toString().equals("e2e") ? root.getParent() : root;
    }

    /**
     * Skips (or, with {@code CI=true} or {@code IPSM_REQUIRE_RIG=true}, fails) when root, a tool
     * or the sidecar jar is missing.
     */
    public static void requirePrerequisites(List<String> tools) throws IOException, InterruptedException {
        List<String> missing = new ArrayList<>();
        if (!"0".equals(run("id", "-u").strip())) {
            missing.add("root");
        }
        for (String tool : tools) {
            if (run("sh", "-c", "command -v " + tool).isBlank()) {
                missing.add(tool);
            }
        }
        if (!Files.exists(root().resolve("sidecar/target/ipsec-mesh-sidecar.jar"))) {
            missing.add("sidecar/target/ipsec-mesh-sidecar.jar (mvn package)");
        }
        boolean required = "true".equals(System.getenv("CI")) || "true".equals(System.getenv("IPSM_REQUIRE_RIG"));
        if (!missing.isEmpty()) {
            if (required) {
                fail("the namespace rig needs " + missing);
            }
            Assumptions.abort("the namespace rig needs " + missing);
        }
    }

    /** The non-comment lines of a scenario file under the repository root. */
    public static Stream<String> scenarios(String file) throws IOException {
        return Files.readAllLines(root().resolve(file)).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"));
    }

    /** Runs {@code script scenario...}; passes only on exit 0 with a RESULT line and no FAIL line. */
    public static void runScenario(String script, String scenario, int timeoutSeconds) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(root().resolve(script).toString());
        cmd.addAll(List.of(scenario.split("\\s+")));
        Path log = Files.createTempFile("ipsm-rig-", ".log");
        Process p = new ProcessBuilder(cmd).directory(root().toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!done) {
            // The script's own trap removes its namespaces and daemons on SIGTERM.
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        out.lines().filter(l -> l.startsWith("PASS") || l.startsWith("FAIL") || l.startsWith("SKIP")
                || l.startsWith("RESULT") || l.startsWith("TIMING")).forEach(System.out::println);
        assertTrue(done, script + " timed out; log " + log);
        assertEquals(0, p.exitValue(), script + " failed; log " + log + "\n" + tail(out));
        assertTrue(out.contains("RESULT") && !out.contains("\nFAIL"), script + " printed no clean result; log " + log);
        Files.deleteIfExists(log);
    }

    private static String tail(String s) {
        List<String> lines = s.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    public static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }
}
