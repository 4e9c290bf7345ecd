package io.ipsecmesh.e2e.rig;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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

    @ParameterizedTest(name = "{0} {1} IPv{2} {3} {4}")
    @CsvSource({
            "esp, transport, 4, aes128gcm16, none",
            "esp, transport, 6, aes128gcm16, none",
            "esp, tunnel,    4, aes256gcm16, none",
            "esp, tunnel,    6, aes128gcm16, none",
            "esp, transport, 4, aes256,      none",
            "esp, tunnel,    4, chacha20poly1305, udp",
            "esp, transport, 6, aes128gcm16, udp",
            "ah,  transport, 4, ,            none",
            "ah,  tunnel,    6, ,            none",
    })
    void twoNodes(String proto, String mode, int family, String enc, String encap) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(root.resolve("e2e/rig/two-node.sh").toString(),
                "--proto", proto, "--mode", mode, "--family", Integer.toString(family), "--encap", encap));
        if (enc != null && !enc.isBlank()) {
            cmd.addAll(List.of("--enc", enc));
        }
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
