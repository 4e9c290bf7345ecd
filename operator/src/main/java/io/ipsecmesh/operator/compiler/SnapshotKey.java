package io.ipsecmesh.operator.compiler;

/**
 * One entry of a node snapshot. A snapshot is a map from these keys to values; a delta is a
 * set of keys with their new value (or none: removed).
 */
public sealed interface SnapshotKey {


    /** Which side of a policy the node's local pods are on. */
    enum Role {
        /** Local pods are selected by the policy's podSelector; remote pods are its peers. */
        SELECTED,
        /** Local pods are the policy's peers; remote pods are selected by it. */
        PEER
    }

    /** A pod on this node that some group pairs; value {@link PodValue}. */
    record LocalPod(String uid) implements SnapshotKey {
    }

    /** A pod on another node that some group pairs with a local pod; value {@link PodValue}. */
    record RemotePod(String uid) implements SnapshotKey {
    }

    /** A node hosting at least one remote pod; value {@link NodeValue}. */
    record PeerNode(String name) implements SnapshotKey {
    }

    /** The pairs one policy gives this node in one role; value {@link Protection}. */
    record Group(PolicyKey policy, Role role) implements SnapshotKey {
    }

    /** A pod on one side of a group; value {@link Boolean#TRUE}. */
    record Member(PolicyKey policy, Role role, boolean local, String uid) implements SnapshotKey {
    }

    /**
     * A revoked node certificate (hex serial), in every node's snapshot until it expires;
     * value {@link RevokedValue}.
     */
    record Revoked(String serial) implements SnapshotKey {
    }

    /** When a revoked certificate expires (then its entry goes). */
    record RevokedValue(long notAfterEpochSeconds) {
    }

    /** Pod data as a node needs it. */
    record PodValue(String namespace, String name, String node, java.util.List<String> addresses) {
        public PodValue {
            addresses = java.util.List.copyOf(addresses);
        }
    }

    /** A node's addresses, InternalIP first. */
    record NodeValue(java.util.List<String> addresses) {
        public NodeValue {
            addresses = java.util.List.copyOf(addresses);
        }
    }
}
