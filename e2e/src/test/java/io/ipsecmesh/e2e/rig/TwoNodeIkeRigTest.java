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
 * Runs {@code e2e/rig/two-node-ike.sh}: two of our IKE daemons negotiate transport- and
 * tunnel-mode SAs for the rig's pods (IPv4, IPv6, PSK, certificates); ping and TCP pass, the
 * capture holds only IKE and ESP, tshark decrypts IKE and ESP with the keys the daemons wrote,
 * rekeys started by each side lose no ping, and a killed peer is noticed and comes back.
 */
@Execution(ExecutionMode.SAME_THREAD)
class TwoNodeIkeRigTest {

    @BeforeAll
    static void prerequisites() throws Exception {
        RigScripts.requirePrerequisites(List.of("ip", "nft", "iperf3", "tcpdump", "ping", "python3", "tshark", "pki"));
    }

    static Stream<String> scenarios() throws IOException {
        return RigScripts.scenarios("e2e/rig/ike-scenarios.txt");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void twoIkeDaemons(String scenario) throws Exception {
        RigScripts.runScenario("e2e/rig/two-node-ike.sh", scenario, 240);
    }
}
