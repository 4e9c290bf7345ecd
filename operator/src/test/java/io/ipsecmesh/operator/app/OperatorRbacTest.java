package io.ipsecmesh.operator.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The operator's RBAC grants exactly what it uses: reads cluster-wide, writes only where needed. */
class OperatorRbacTest {

    static List<HasMetadata> load() throws IOException {
        try (InputStream in = Files.newInputStream(Path.of("src/main/kubernetes/rbac.yaml"))) {
            Object o = Serialization.unmarshal(in);
            if (o instanceof List<?> l) {
                return l.stream().map(HasMetadata.class::cast).toList();
            }
            return o instanceof KubernetesList l ? l.getItems() : List.of((HasMetadata) o);
        }
    }

    static Set<String> grants(List<PolicyRule> rules) {
        Set<String> out = new TreeSet<>();
        for (PolicyRule r : rules) {
            for (String g : r.getApiGroups()) {
                for (String res : r.getResources()) {
                    for (String v : r.getVerbs()) {
                        String names = r.getResourceNames() == null || r.getResourceNames().isEmpty() ? ""
                                : r.getResourceNames().toString();
                        out.add(g + "/" + res + names + ":" + v);
                    }
                }
            }
        }
        return out;
    }

    @Test
    void clusterWideTheOperatorOnlyReadsAndWritesPolicyStatus() throws IOException {
        ClusterRole role = load().stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast)
                .findFirst().orElseThrow();
        assertEquals(new TreeSet<>(Set.of(
                "/pods:get", "/pods:list", "/pods:watch",
                "/namespaces:get", "/namespaces:list", "/namespaces:watch",
                "/nodes:get", "/nodes:list", "/nodes:watch",
                "ipsec.ipsecmesh.io/ipsecpolicies:get", "ipsec.ipsecmesh.io/ipsecpolicies:list",
                "ipsec.ipsecmesh.io/ipsecpolicies:watch",
                "ipsec.ipsecmesh.io/ipsecpolicies/status:get", "ipsec.ipsecmesh.io/ipsecpolicies/status:patch",
                "ipsec.ipsecmesh.io/ipsecpolicies/status:update",
                "authentication.k8s.io/tokenreviews:create")), grants(role.getRules()));
    }

    @Test
    void secretsAndConfigMapsOnlyInItsNamespaceAndByName() throws IOException {
        Role role = load().stream().filter(Role.class::isInstance).map(Role.class::cast).findFirst().orElseThrow();
        assertEquals("ipsec-mesh", role.getMetadata().getNamespace());
        Set<String> g = grants(role.getRules());
        assertEquals(new TreeSet<>(Set.of("/secrets:create", "/secrets[ipsec-mesh-ca]:get",
                "/configmaps:create", "/configmaps[ipsec-mesh-ca-bundle]:get",
                "/configmaps[ipsec-mesh-ca-bundle]:update")), g);
        assertFalse(g.stream().anyMatch(x -> x.contains("*")));
    }
}
