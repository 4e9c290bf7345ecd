package io.ipsecmesh.e2e.rig;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs {@code e2e/rig/two-node.sh}: two nodes and two pods as network namespaces, our data
 * plane on each node with SAs from a manual-keying file; ping, iperf3 TCP, a capture that must
 * show only ESP/AH, replayed and bit-flipped packets dropped and counted, plaintext dropped for a
 * Require pair, and a discard policy that lets nothing through. Needs root; with {@code CI=true}
 * a missing prerequisite fails instead of skipping.
 */
@Execution(ExecutionMode.SAME_THREAD)
class TwoNodeRigTest {

    @BeforeAll
    static void prerequisites() throws Exception {
        RigScripts.requirePrerequisites(List.of("ip", "nft", "iperf3", "tcpdump", "ping", "python3"));
    }

    /** The scenarios of {@code e2e/rig/scenarios.txt}, which {@code matrix.sh} runs too. */
    static Stream<String> scenarios() throws IOException {
        return RigScripts.scenarios("e2e/rig/scenarios.txt");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void twoNodes(String scenario) throws Exception {
        RigScripts.runScenario("e2e/rig/two-node.sh", scenario, 240);
    }
}
