package io.ipsecmesh.dataplane;

import io.ipsecmesh.sa.Policy;
import io.ipsecmesh.sa.SaConfig;
import io.ipsecmesh.sa.SaListener;
import io.ipsecmesh.sa.SecurityAssociation;

import java.util.List;

/**
 * The one interface between key management (IKE, or a manual-keying file) and the packet path.
 *
 * <p>Make-before-break rekeying with it: install the new inbound SA, then the new outbound SA,
 * then {@link #replacePolicies} so outbound traffic moves to the new SA, and only then remove
 * the old SAs. Each call publishes a new consistent snapshot; packets in flight use the old
 * one and are not lost.
 */
public interface DataPlane {

    /** Installs an SA; throws IllegalArgumentException for a bad or duplicate SA. */
    void installSa(SaConfig config);

    /**
     * Removes an SA by name; false if there was none. Its keys are zeroed once no packet in
     * flight can still be using it (within about a second, see the implementation).
     */
    boolean removeSa(String name);

    /**
     * Adds a policy. The policies are a set: a policy equal to an installed one is not added
     * again (it could never win a lookup over the installed one, which ranks before it).
     */
    void installPolicy(Policy policy);

    /** Removes a policy equal to the given one; false if there was none. */
    boolean removePolicy(Policy policy);

    /**
     * Several changes published as one snapshot, in this order: the SAs are installed, the new
     * policies added, the old policies removed, and the named SAs removed (their keys zeroed).
     * Nothing changes if an SA cannot be installed (IllegalArgumentException). With thousands
     * of SAs, one snapshot per CHILD_SA half instead of one per entry keeps IKE fast.
     */
    void update(List<SaConfig> installSas, List<Policy> addPolicies, List<Policy> removePolicies,
                List<String> removeSas);

    /**
     * Defers publishing: changes made until the matching {@link #release} become visible to the
     * packet path together, as one snapshot. Calls nest. IKE holds the data plane while it works
     * through a batch of events and releases it before any message leaves, so an SA is always
     * in place before the peer can use it.
     */
    default void hold() {
    }

    /** Ends a {@link #hold}; the outermost release publishes what changed. */
    default void release() {
    }

    /** Replaces every policy at once (one snapshot: no gap in which traffic goes unprotected). */
    void replacePolicies(List<Policy> policies);

    /** Receives soft/hard expiry and acquire events. */
    void setListener(SaListener listener);

    List<SecurityAssociation> securityAssociations();

    List<Policy> policies();

    Counters counters();
}
