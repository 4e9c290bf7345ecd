package io.ipsecmesh.operator.compiler;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.ipsecmesh.api.v1alpha1.IPsecPeer;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import io.ipsecmesh.api.v1alpha1.IPsecPolicySpec;
import java.util.List;
import java.util.Map;

/** Small builders for test objects. Addresses are in 198.18.0.0/15 (benchmarking range). */
public final class Fixtures {

    private Fixtures() {
    }

    public static Node node(String name, String address) {
        return new NodeBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewStatus().addNewAddress().withType("InternalIP").withAddress(address).endAddress().endStatus()
                .build();
    }

    public static Namespace namespace(String name, Map<String, String> labels) {
        return new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build();
    }

    public static Pod pod(String ns, String name, String uid, String node, String ip, Map<String, String> labels) {
        PodBuilder b = new PodBuilder().withNewMetadata().withNamespace(ns).withName(name).withUid(uid)
                .withLabels(labels).endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("busybox").endContainer()
                .endSpec();
        if (ip != null) {
            b.withNewStatus().withPhase("Running").withPodIP(ip).addNewPodIP().withIp(ip).endPodIP().endStatus();
        }
        return b.build();
    }

    public static LabelSelector labels(Map<String, String> m) {
        return new LabelSelectorBuilder().withMatchLabels(m).build();
    }

    public static IPsecPeer peer(LabelSelector namespaceSelector, LabelSelector podSelector) {
        IPsecPeer p = new IPsecPeer();
        p.setNamespaceSelector(namespaceSelector);
        p.setPodSelector(podSelector);
        return p;
    }

    public static IPsecPolicy policy(String ns, String name, LabelSelector podSelector, IPsecPeer... peers) {
        IPsecPolicy p = new IPsecPolicy();
        p.getMetadata().setNamespace(ns);
        p.getMetadata().setName(name);
        p.getMetadata().setGeneration(1L);
        IPsecPolicySpec spec = new IPsecPolicySpec();
        spec.setPodSelector(podSelector);
        spec.setPeers(List.of(peers));
        p.setSpec(spec);
        return p;
    }
}
