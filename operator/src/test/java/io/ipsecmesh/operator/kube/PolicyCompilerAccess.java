package io.ipsecmesh.operator.kube;

import io.fabric8.kubernetes.api.model.Pod;

/** The compiler's pod identity (uid, or namespace/name when the server gives no uid). */
final class PolicyCompilerAccess {
    private PolicyCompilerAccess() {
    }

    static String uid(Pod p) {
        String uid = p.getMetadata().getUid();
        return uid != null ? uid : p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
    }
}
