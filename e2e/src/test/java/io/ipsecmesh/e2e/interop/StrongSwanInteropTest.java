package io.ipsecmesh.e2e.interop;

import io.ipsecmesh.e2e.rig.RigScripts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;

/**
 * Runs {@code e2e/interop/strongswan.sh}: strongSwan's charon (kernel-libipsec) in one
 * namespace and our IKE daemon in another; the IKE SA and a tunnel-mode CHILD_SA must come up,
 * and ping and TCP pass both ways through ESP in UDP. Scenarios: {@code e2e/interop/scenarios.txt}
 * (each role with certificates and PSK, a MODP group, Curve25519, IPv6).
 */
@Execution(ExecutionMode.SAME_THREAD)
class StrongSwanInteropTest {

    @BeforeAll
    static void prerequisites() throws Exception {
        RigScripts.requirePrerequisites(List.of("ip", "nft", "iperf3", "tcpdump", "ping", "python3", "tshark",
                "pki", "swanctl", "/usr/lib/ipsec/charon"));
    }

    static Stream<String> scenarios() throws IOException {
        return RigScripts.scenarios("e2e/interop/scenarios.txt");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void withCharon(String scenario) throws Exception {
        RigScripts.runScenario("e2e/interop/strongswan.sh", scenario + " --timing", 180);
    }
}
