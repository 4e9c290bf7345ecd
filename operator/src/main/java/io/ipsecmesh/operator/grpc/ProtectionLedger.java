package io.ipsecmesh.operator.grpc;

import io.ipsecmesh.operator.compiler.PolicyCompiler;
import io.ipsecmesh.operator.compiler.PolicyKey;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which required pairs nodes report as protected by an established SA. A node's claims count
 * only for pairs its own snapshot holds (a node cannot vouch for other nodes' pods), and a pair
 * counts while it is still required. Pairs are kept per node and SA (inbound SPI), so a
 * deleted or failed SA, or a node's report stream ending, withdraws exactly its claims.
 */
public final class ProtectionLedger {

    /** A pair as the policy sees it: a pod it selects, a peer pod. */
    public record PolicyPair(PolicyKey policy, String selectedPod, String peerPod) {
    }

    private final PolicyCompiler compiler;
    private final Map<String, Map<Long, Set<PolicyPair>>> byNodeAndSa = new HashMap<>();

    public ProtectionLedger(PolicyCompiler compiler) {
        this.compiler = compiler;
    }

    /** Records an established (or rekeyed) SA of node; returns how many of the claimed pairs counted. */
    public synchronized int established(String node, long spi, Set<PolicyPair> claimed) {
        Set<PolicyPair> valid = new HashSet<>();
        for (PolicyPair p : claimed) {
            if (compiler.nodeHoldsPair(node, p.policy(), p.selectedPod(), p.peerPod())) {
                valid.add(p);
            }
        }
        byNodeAndSa.computeIfAbsent(node, n -> new HashMap<>()).put(spi, valid);
        return valid.size();
    }

    public synchronized void ended(String node, long spi) {
        Map<Long, Set<PolicyPair>> m = byNodeAndSa.get(node);
        if (m != null) {
            m.remove(spi);
        }
    }

    /** The node's report stream ended: its SAs are no longer vouched for. */
    public synchronized void nodeGone(String node) {
        byNodeAndSa.remove(node);
    }

    /** Distinct pairs of this policy reported protected and still required. */
    public synchronized long protectedPairs(PolicyKey policy) {
        Set<PolicyPair> seen = new HashSet<>();
        for (Map<Long, Set<PolicyPair>> m : byNodeAndSa.values()) {
            for (Set<PolicyPair> s : m.values()) {
                for (PolicyPair p : s) {
                    if (p.policy().equals(policy)) {
                        seen.add(p);
                    }
                }
            }
        }
        seen.removeIf(p -> !compiler.requiredPair(p.policy(), p.selectedPod(), p.peerPod()));
        return seen.size();
    }
}
