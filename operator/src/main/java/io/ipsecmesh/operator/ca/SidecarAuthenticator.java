package io.ipsecmesh.operator.ca;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Proves that a caller is the sidecar pod on a given node: its projected ServiceAccount token
 * is checked with a TokenReview (valid, not expired, for our audience, of the sidecar's
 * ServiceAccount, bound to a pod), and that pod must exist, be the one the token names (uid)
 * and run on the node the caller asks a certificate for. Tokens are never logged.
 */
public final class SidecarAuthenticator {

    static final String POD_NAME = "authentication.kubernetes.io/pod-name";
    static final String POD_UID = "authentication.kubernetes.io/pod-uid";
    static final String NODE_NAME = "authentication.kubernetes.io/node-name";

    private final KubernetesClient client;
    private final String namespace;
    private final String serviceAccount;
    private final String audience;

    /** A node proven to be the caller's, with its addresses (InternalIP first). */
    public record NodeIdentity(String node, List<String> addresses, String podNamespace, String podName) {
    }

    /** The caller could not prove it is the sidecar on that node; the message says why. */
    public static final class DeniedException extends Exception {
        public DeniedException(String message) {
            super(message);
        }
    }

    public SidecarAuthenticator(KubernetesClient client, String namespace, String serviceAccount, String audience) {
        this.client = client;
        this.namespace = namespace;
        this.serviceAccount = serviceAccount;
        this.audience = audience;
    }

    public String expectedUser() {
        return "system:serviceaccount:" + namespace + ":" + serviceAccount;
    }

    public NodeIdentity authenticate(String token, String node) throws DeniedException {
        if (token == null || token.isBlank()) {
            throw new DeniedException("no ServiceAccount token: send the sidecar's projected token as "
                    + "'authorization: Bearer <token>' metadata");
        }
        if (node == null || node.isBlank()) {
            throw new DeniedException("the request names no node");
        }
        TokenReview review = client.authentication().v1().tokenReviews().create(new TokenReviewBuilder()
                .withNewSpec().withToken(token).withAudiences(audience).endSpec().build());
        if (review.getStatus() == null || !Boolean.TRUE.equals(review.getStatus().getAuthenticated())) {
            String error = review.getStatus() == null ? null : review.getStatus().getError();
            throw new DeniedException("the token was not accepted by the API server"
                    + (error == null || error.isBlank() ? "" : ": " + error));
        }
        if (review.getStatus().getAudiences() != null && !review.getStatus().getAudiences().isEmpty()
                && !review.getStatus().getAudiences().contains(audience)) {
            throw new DeniedException("the token is not for audience " + audience);
        }
        UserInfo user = review.getStatus().getUser();
        String username = user == null ? null : user.getUsername();
        if (!expectedUser().equals(username)) {
            throw new DeniedException("the token belongs to " + username + ", not to the sidecar's ServiceAccount "
                    + namespace + "/" + serviceAccount);
        }
        Map<String, List<String>> extra = user.getExtra() == null ? Map.of() : user.getExtra();
        String podName = first(extra.get(POD_NAME));
        String podUid = first(extra.get(POD_UID));
        if (podName == null || podUid == null) {
            throw new DeniedException("the token is not bound to a pod; mount a projected ServiceAccount token");
        }
        Pod pod = client.pods().inNamespace(namespace).withName(podName).get();
        if (pod == null || !podUid.equals(pod.getMetadata().getUid())) {
            throw new DeniedException("the token's pod " + namespace + "/" + podName + " (uid " + podUid
                    + ") no longer exists");
        }
        String podNode = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
        if (!node.equals(podNode)) {
            throw new DeniedException("the token's pod " + namespace + "/" + podName + " runs on node " + podNode
                    + ", not on " + node);
        }
        String tokenNode = first(extra.get(NODE_NAME));
        if (tokenNode != null && !tokenNode.equals(node)) {
            throw new DeniedException("the token was issued on node " + tokenNode + ", not on " + node);
        }
        Node n = client.nodes().withName(node).get();
        if (n == null) {
            throw new DeniedException("node " + node + " does not exist");
        }
        return new NodeIdentity(node, addresses(n), namespace, podName);
    }

    static List<String> addresses(Node n) {
        List<String> internal = new ArrayList<>();
        List<String> other = new ArrayList<>();
        if (n.getStatus() != null && n.getStatus().getAddresses() != null) {
            for (NodeAddress a : n.getStatus().getAddresses()) {
                if ("InternalIP".equals(a.getType())) {
                    internal.add(a.getAddress());
                } else if ("ExternalIP".equals(a.getType())) {
                    other.add(a.getAddress());
                }
            }
        }
        internal.addAll(other);
        return internal;
    }

    private static String first(List<String> l) {
        return l == null || l.isEmpty() ? null : l.getFirst();
    }
}
