package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.ChildProposal;
import io.ipsecmesh.ike.IkeProposal;
import io.ipsecmesh.ike.cert.TestPki;
import io.ipsecmesh.sa.Mode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.ipsecmesh.ike.engine.IkeEngineTest.ip;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon's start-up self-test: handshakes straight and through its NAT, PSK and certificates. */
class EngineSelfTestTest {

    @TempDir
    Path dir;

    @Test
    void pskHandshakesStraightAndThroughTheNat() throws Exception {
        String r = EngineSelfTest.run(List.of(IkeProposal.parse("aes128gcm16-prfsha256-ecp256"),
                IkeProposal.parse("aes128-sha256-modp2048")), List.of(), 8, Duration.ofMinutes(1));
        assertTrue(r.startsWith("self-test passed: crypto known answers, 8 IKE_SA+CHILD_SA handshake(s)"), r);
    }

    @Test
    void ourOwnCertificateIsUsedWhenItChainsToOurCas() throws Exception {
        TestPki.Issued ca = TestPki.root("CN=ipsm test CA", TestPki.p256());
        TestPki.Issued node = TestPki.leaf("CN=a", TestPki.p256(), ca, "a.ipsm.test");
        TestPki.Issued otherCa = TestPki.root("CN=some other CA", TestPki.p256());
        IkeConfig.Conn good = conn("good", node, ca);
        IkeConfig.Conn foreign = conn("foreign", node, otherCa);
        String r = EngineSelfTest.run(List.of(), List.of(good, foreign), 8, Duration.ofMinutes(1));
        assertTrue(r.startsWith("self-test passed: crypto known answers, 4 IKE_SA+CHILD_SA handshake(s)"), r);
        assertTrue(r.contains("conn foreign: our certificate does not chain to our CAs"), r);
    }

    /** A case whose time is spent still runs a batch straight and one through the NAT. */
    @Test
    void aSpentTimeBudgetStillTestsBothPaths() throws Exception {
        String r = EngineSelfTest.run(List.of(IkeProposal.parse("aes128-sha256-modp2048")), List.of(), 600, Duration.ZERO);
        assertTrue(r.startsWith("self-test passed: crypto known answers, 32 IKE_SA+CHILD_SA handshake(s)"), r);
    }

    private IkeConfig.Conn conn(String name, TestPki.Issued node, TestPki.Issued trusted) throws Exception {
        TestPki.Files f = TestPki.write(dir, name, node, trusted);
        IkeConfig.Child child = new IkeConfig.Child("net", Mode.TUNNEL, IkeConfigFile.selectors("198.18.1.0/24"),
                IkeConfigFile.selectors("198.18.2.0/24"), List.of(ChildProposal.parse("aes256gcm16")),
                Duration.ZERO, Duration.ZERO, 0, 0, 128);
        return new IkeConfig.Conn(name, ip("198.19.0.1"), ip("198.19.0.2"), "a.ipsm.test", "b.ipsm.test",
                IkeConfig.AuthMethod.CERT, null, f.cert(), f.key(), List.of(f.ca()), List.of(),
                List.of(IkeProposal.parse("aes256gcm16-prfsha384-ecp384")), true, Duration.ZERO, Duration.ZERO,
                IkeEngineTest.FAST, false, List.of(child));
    }
}
