package io.ipsecmesh.e2e.rig;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

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
 * Runs {@code e2e/rig/two-node.sh}: two nodes and two pods as network namespaces, our data
 * plane on each node with SAs from a manual-keying file; ping, iperf3 TCP, a capture that must
 * show only ESP/AH, replayed and bit-flipped packets dropped and counted, plaintext dropped for a
 * Require pair, and a discard policy that lets nothing through. Needs root; with {@code CI=true}
 * a missing prerequisite fails instead of skipping.
 */
@Execution(ExecutionMode.SAME_THREAD)
class TwoNodeRigTest {
    static Path root;

    @BeforeAll
    static void prerequisites() throws Exception {
        root = Path.of("").toAbsolutePath();
        if (root.getFileName().toString().equals("e2e")) {
            root = root.getParent();
        }
        List<String> missing = new ArrayList<>();
        if (!"0".equals(run("id", "-u").strip())) {
            missing.add("root");
        }
        for (String tool : List.of("ip", "nft", "iperf3", "tcpdump", "ping", "python3")) {
            if (run("sh", "-c", "command -v " + tool).isBlank()) {
                missing.add(tool);
            }
        }
        if (!Files.exists(root.resolve("sidecar/target/ipsec-mesh-sidecar.jar"))) {
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

    /** The scenarios of {@code e2e/rig/scenarios.txt}, which {@code matrix.sh} runs too. */
    static Stream<String> scenarios() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        if (root.getFileName().toString().equals("e2e")) {
            root = root.getParent();
        }
        return Files.readAllLines(root.resolve("e2e/rig/scenarios.txt")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void twoNodes(String scenario) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(root.resolve("e2e/rig/two-node.sh").toString());
        cmd.addAll(List.of(scenario.split("\\s+")));
        Path log = Files.createTempFile("ipsm-rig-", ".log");
        Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(240, TimeUnit.SECONDS);
        if (!done) {
            // The script's own trap removes its namespaces and daemons on SIGTERM.
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        out.lines().filter(l -> l.startsWith("PASS") || l.startsWith("FAIL") || l.startsWith("RESULT"))
                .forEach(System.out::println);
        assertTrue(done, "rig timed out; log " + log);
        assertEquals(0, p.exitValue(), "rig failed; log " + log + "\n" + tail(out));
        assertTrue(out.contains("RESULT") && !out.contains("\nFAIL"), "rig printed no clean result; log " + log);
        Files.deleteIfExists(log);
    }

    private static String tail(String s) {
        List<String> lines = s.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }
}
