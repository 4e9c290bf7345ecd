package io.ipsecmesh.operator.compiler;

import java.util.List;

/**
 * How one policy protects its pairs, with defaults filled in and proposals in canonical form.
 *
 * @param childProposals ESP or AH proposals, according to {@code protocol}
 * @param externalCidrs  ipBlock peers (outside the cluster), with their exceptions as "!cidr"
 */
public record Protection(String mode, String protocol, String enforcement, List<String> ikeProposals,
                         List<String> childProposals, List<PortRange> ports, long ikeLifetimeSeconds,
                         long childLifetimeSeconds, long childLifetimeBytes, long childLifetimePackets,
                         List<String> externalCidrs, String complianceProfile) {

    public Protection {
        ikeProposals = List.copyOf(ikeProposals);
        childProposals = List.copyOf(childProposals);
        ports = List.copyOf(ports);
        externalCidrs = List.copyOf(externalCidrs);
    }

    /** A destination port range; port 0 means every port of the protocol. */
    public record PortRange(String protocol, int port, int endPort) {
    }
}
