package io.ipsecmesh.operator.compiler;

import static io.ipsecmesh.operator.compiler.Fixtures.labels;
import static io.ipsecmesh.operator.compiler.Fixtures.peer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.ipsecmesh.api.v1alpha1.IPsecIpBlock;
import io.ipsecmesh.api.v1alpha1.IPsecLifetimes;
import io.ipsecmesh.api.v1alpha1.IPsecPeer;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import io.ipsecmesh.api.v1alpha1.IPsecPolicySpec;
import io.ipsecmesh.api.v1alpha1.IPsecPort;
import io.ipsecmesh.api.v1alpha1.IPsecProposals;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class PolicyValidatorTest {

    static IPsecPolicySpec valid() {
        return Fixtures.policy("ns", "p", labels(Map.of("app", "a")), peer(null, labels(Map.of("app", "b")))).getSpec();
    }

    static List<String> problems(IPsecPolicySpec spec) {
        return PolicyValidator.validate(spec).problems();
    }

    @Test
    void defaultsAreFilledIn() {
        PolicyValidator.Result r = PolicyValidator.validate(valid());
        assertTrue(r.valid(), r.message());
        Protection p = r.protection();
        assertEquals("Transport", p.mode());
        assertEquals("ESP", p.protocol());
        assertEquals("Require", p.enforcement());
        assertEquals(List.of("aes256gcm16-prfsha384-ecp384"), p.ikeProposals());
        assertEquals(List.of("aes256gcm16"), p.childProposals());
        assertEquals(86400, p.ikeLifetimeSeconds());
        assertEquals(3600, p.childLifetimeSeconds());
    }

    @Test
    void everyExamplePolicyIsValid() throws IOException {
        try (Stream<Path> files = Files.list(Path.of(System.getProperty("ipsm.crds.dir", "../crds"), "examples"))) {
            for (Path f : files.filter(x -> x.toString().endsWith(".yaml")).toList()) {
                IPsecPolicy p;
                try (InputStream in = Files.newInputStream(f)) {
                    p = Serialization.unmarshal(in, IPsecPolicy.class);
                }
                PolicyValidator.Result r = PolicyValidator.validate(p.getSpec());
                assertTrue(r.valid(), f.getFileName() + ": " + r.message());
                assertEquals(List.of(), ComplianceProfiles.violations(r.protection()), f.getFileName().toString());
            }
        }
    }

    @Test
    void badProposalStringsAreNamedWithWhatIsAccepted() {
        IPsecPolicySpec s = valid();
        s.setProposals(new IPsecProposals(List.of("aes256gcm16-prfsha384-ecp385"), List.of("aes256-sha1"), null));
        List<String> p = problems(s);
        assertEquals(2, p.size(), p.toString());
        assertTrue(p.get(0).startsWith("spec.proposals.ike[0] 'aes256gcm16-prfsha384-ecp385': "), p.get(0));
        assertTrue(p.get(0).contains("ecp385"), p.get(0));
        assertTrue(p.get(0).contains("ecp384"), "lists accepted groups: " + p.get(0));
        assertTrue(p.get(1).startsWith("spec.proposals.esp[0] 'aes256-sha1': "), p.get(1));
    }

    @Test
    void legacyAlgorithmsNeedTheOptIn() {
        IPsecPolicySpec s = valid();
        s.setProposals(new IPsecProposals(null, List.of("3des-sha256"), null));
        List<String> p = problems(s);
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.getFirst().contains("spec.allowLegacyAlgorithms: true"), p.getFirst());
        s.setAllowLegacyAlgorithms(true);
        assertEquals(List.of(), problems(s));
    }

    @Test
    void unknownEnumsSayWhatIsAllowed() {
        IPsecPolicySpec s = valid();
        s.setMode("tunnel");
        s.setProtocol("ESP-in-UDP");
        s.setEnforcement("Enforce");
        s.setComplianceProfile("FIPS");
        assertEquals(List.of(
                "spec.mode 'tunnel' is not one of [Transport, Tunnel]",
                "spec.protocol 'ESP-in-UDP' is not one of [AH, ESP]",
                "spec.enforcement 'Enforce' is not one of [Audit, Require]",
                "spec.complianceProfile 'FIPS' is not one of [CNSA-2.0, NIST-SP-800-77r1, None]"), problems(s));
    }

    @Test
    void selectorsAndPeers() {
        IPsecPolicySpec s = valid();
        s.setPodSelector(null);
        s.setPeers(List.of(new IPsecPeer(), peer(null, new LabelSelectorBuilder().addNewMatchExpression().withKey("app")
                .withOperator("Equals").withValues("x").endMatchExpression().build())));
        assertEquals(List.of(
                "spec.podSelector is missing; write podSelector: {} to select every pod in the namespace",
                "spec.peers[0] selects nothing; give it podSelector, namespaceSelector or ipBlock",
                "spec.peers[1].podSelector.matchExpressions[0]: operator 'Equals' is not one of In, NotIn, Exists, "
                        + "DoesNotExist"), problems(s));
        s = valid();
        s.setPeers(List.of());
        assertEquals(List.of("spec.peers is empty; name at least one peer (podSelector, namespaceSelector or ipBlock)"),
                problems(s));
    }

    @Test
    void ipBlocks() {
        IPsecPolicySpec s = valid();
        IPsecPeer ext = new IPsecPeer();
        IPsecIpBlock b = new IPsecIpBlock();
        b.setCidr("198.18.7.1/24");
        b.setExcept(List.of("198.19.0.0/28"));
        ext.setIpBlock(b);
        ext.setPodSelector(labels(Map.of()));
        s.setPeers(List.of(ext));
        assertEquals(List.of(
                "spec.peers[0] mixes ipBlock with a selector; put ipBlock in a peer of its own",
                "spec.peers[0].ipBlock.cidr '198.18.7.1/24' is not a CIDR such as 198.51.100.0/24 or 2001:db8::/64"),
                problems(s));
        b.setCidr("198.18.0.0/16");
        ext.setPodSelector(null);
        assertEquals(List.of("spec.peers[0].ipBlock.except[0] 198.19.0.0/28 is not inside 198.18.0.0/16"), problems(s));
        b.setExcept(List.of("198.18.1.0/24"));
        assertEquals(List.of(), problems(s));
        assertEquals(List.of("198.18.0.0/16", "!198.18.1.0/24"),
                PolicyValidator.validate(s).protection().externalCidrs());
    }

    @Test
    void protocolAhTakesAhProposals() {
        IPsecPolicySpec s = valid();
        s.setProtocol("AH");
        s.setProposals(new IPsecProposals(null, List.of("aes256gcm16"), List.of("md5")));
        assertEquals(List.of(
                "spec.proposals.esp is set but spec.protocol is AH; AH takes spec.proposals.ah (e.g. sha384)",
                "spec.proposals.ah[0] 'md5': not an AH proposal; AH takes one integrity algorithm: sha256, sha384 or sha512"),
                problems(s));
    }

    @Test
    void portsAndLifetimes() {
        IPsecPolicySpec s = valid();
        s.setPorts(List.of(new IPsecPort("TCP", 8080, 8000), new IPsecPort("ICMP", 70000, null),
                new IPsecPort("UDP", null, 53)));
        s.setLifetimes(new IPsecLifetimes("1y", "30s", 1000L, null));
        assertEquals(List.of(
                "spec.ports[0].endPort 8000 must be between port (8080) and 65535",
                "spec.ports[1].protocol 'ICMP' is not one of [SCTP, TCP, UDP]",
                "spec.ports[1].port 70000 is outside 1..65535",
                "spec.ports[2].endPort needs port (the first port of the range)",
                "spec.lifetimes.ike '1y' is not a duration; write e.g. 24h, 90m, 1h30m or 45s",
                "spec.lifetimes.child 30s is outside 1m..168h",
                "spec.lifetimes.childBytes 1000 is below 1 MiB (1048576); SAs would rekey constantly"), problems(s));
    }

    @Test
    void complianceProfilesFlagWhatTheyDoNotAllow() {
        IPsecPolicySpec s = valid();
        s.setComplianceProfile("CNSA-2.0");
        s.setProposals(new IPsecProposals(List.of("aes128gcm16-prfsha256-ecp256"), List.of("aes256gcm16-ecp384"), null));
        assertEquals(List.of(
                "IKE proposal aes128gcm16-prfsha256-ecp256: encryption aes128gcm16 is not allowed by CNSA-2.0",
                "IKE proposal aes128gcm16-prfsha256-ecp256: PRF prfsha256 is not allowed by CNSA-2.0",
                "IKE proposal aes128gcm16-prfsha256-ecp256: key exchange ecp256 is not allowed by CNSA-2.0"),
                ComplianceProfiles.violations(PolicyValidator.validate(s).protection()));
        s.setComplianceProfile("NIST-SP-800-77r1");
        s.setProposals(new IPsecProposals(List.of("chacha20poly1305-prfsha256-x25519"), null, null));
        assertEquals(List.of(
                "IKE proposal chacha20poly1305-prfsha256-curve25519: encryption chacha20poly1305 is not allowed by NIST-SP-800-77r1",
                "IKE proposal chacha20poly1305-prfsha256-curve25519: key exchange curve25519 is not allowed by NIST-SP-800-77r1"),
                ComplianceProfiles.violations(PolicyValidator.validate(s).protection()));
    }
}
