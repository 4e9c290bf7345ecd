package io.ipsecmesh.operator.compiler;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.ipsecmesh.api.v1alpha1.IPsecPeer;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The expected pairs per node, computed from scratch and as directly as the rules read: for each
 * valid policy, every selected pod with every peer pod on another node, seen from both nodes.
 */
final class Oracle {

    private Oracle() {
    }

    static Map<String, Set<NodeSnapshot.Pair>> pairs(Collection<Node> nodes, Collection<Namespace> namespaces,
                                                     Collection<Pod> pods, Collection<IPsecPolicy> policies) {
        Map<String, Set<NodeSnapshot.Pair>> out = new HashMap<>();
        Set<String> nodeNames = new HashSet<>();
        for (Node n : nodes) {
            nodeNames.add(n.getMetadata().getName());
            out.put(n.getMetadata().getName(), new HashSet<>());
        }
        Map<String, Map<String, String>> nsLabels = new HashMap<>();
        for (Namespace ns : namespaces) {
            Map<String, String> l = new HashMap<>(ns.getMetadata().getLabels() == null ? Map.of() : ns.getMetadata().getLabels());
            l.put(PolicyCompiler.NAMESPACE_NAME_LABEL, ns.getMetadata().getName());
            nsLabels.put(ns.getMetadata().getName(), l);
        }
        for (IPsecPolicy p : policies) {
            if (!PolicyValidator.validate(p.getSpec()).valid()) {
                continue;
            }
            PolicyKey key = PolicyCompiler.keyOf(p);
            for (Pod a : pods) {
                if (!eligible(a, nodeNames) || !a.getMetadata().getNamespace().equals(key.namespace())
                        || !LabelSelectors.matches(p.getSpec().getPodSelector(), a.getMetadata().getLabels())) {
                    continue;
                }
                for (Pod b : pods) {
                    if (!eligible(b, nodeNames) || !isPeer(p, b, nsLabels)) {
                        continue;
                    }
                    String na = a.getSpec().getNodeName();
                    String nb = b.getSpec().getNodeName();
                    if (na.equals(nb)) {
                        continue;
                    }
                    String ua = PolicyCompiler.uidOf(a);
                    String ub = PolicyCompiler.uidOf(b);
                    out.get(na).add(new NodeSnapshot.Pair(key, SnapshotKey.Role.SELECTED, ua, ub));
                    out.get(nb).add(new NodeSnapshot.Pair(key, SnapshotKey.Role.PEER, ub, ua));
                }
            }
        }
        return out;
    }

    private static boolean eligible(Pod p, Set<String> nodes) {
        return p.getSpec().getNodeName() != null && nodes.contains(p.getSpec().getNodeName())
                && p.getStatus() != null && p.getStatus().getPodIP() != null
                && !Boolean.TRUE.equals(p.getSpec().getHostNetwork())
                && !"Succeeded".equals(p.getStatus().getPhase()) && !"Failed".equals(p.getStatus().getPhase());
    }

    private static boolean isPeer(IPsecPolicy p, Pod b, Map<String, Map<String, String>> nsLabels) {
        String ns = b.getMetadata().getNamespace();
        for (IPsecPeer peer : p.getSpec().getPeers()) {
            if (peer.getIpBlock() != null) {
                continue;
            }
            boolean nsOk = peer.getNamespaceSelector() == null ? ns.equals(p.getMetadata().getNamespace())
                    : LabelSelectors.matches(peer.getNamespaceSelector(),
                    nsLabels.getOrDefault(ns, Map.of(PolicyCompiler.NAMESPACE_NAME_LABEL, ns)));
            if (nsOk && (peer.getPodSelector() == null
                    || LabelSelectors.matches(peer.getPodSelector(), b.getMetadata().getLabels()))) {
                return true;
            }
        }
        return false;
    }
}
