package io.ipsecmesh.operator.compiler;

import io.ipsecmesh.api.v1alpha1.IPsecIpBlock;
import io.ipsecmesh.api.v1alpha1.IPsecLifetimes;
import io.ipsecmesh.api.v1alpha1.IPsecPeer;
import io.ipsecmesh.api.v1alpha1.IPsecPolicySpec;
import io.ipsecmesh.api.v1alpha1.IPsecPort;
import io.ipsecmesh.api.v1alpha1.IPsecProposals;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.ike.ChildProposal;
import io.ipsecmesh.ike.IkeProposal;
import io.ipsecmesh.sa.Prefix;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks an IPsecPolicy spec the way a user reads it: every problem names the field and says
 * what would be accepted. The API server already enforces most of this through the CRD's
 * schema and rules; the operator checks again because it must not compile what a server
 * without those rules (or an older CRD) let through, and because proposal strings can only be
 * judged by the same parser the data plane uses.
 */
public final class PolicyValidator {

    public static final List<String> DEFAULT_IKE = List.of("aes256gcm16-prfsha384-ecp384");
    public static final List<String> DEFAULT_ESP = List.of("aes256gcm16");
    public static final List<String> DEFAULT_AH = List.of("sha384");
    public static final long DEFAULT_IKE_LIFETIME_S = 24 * 3600;
    public static final long DEFAULT_CHILD_LIFETIME_S = 3600;

    private static final Set<String> MODES = Set.of(IPsecPolicySpec.MODE_TRANSPORT, IPsecPolicySpec.MODE_TUNNEL);
    private static final Set<String> PROTOCOLS = Set.of(IPsecPolicySpec.PROTOCOL_ESP, IPsecPolicySpec.PROTOCOL_AH);
    private static final Set<String> ENFORCEMENTS = Set.of(IPsecPolicySpec.ENFORCEMENT_REQUIRE,
            IPsecPolicySpec.ENFORCEMENT_AUDIT);
    private static final Set<String> PROFILES = Set.of(IPsecPolicySpec.PROFILE_NONE, IPsecPolicySpec.PROFILE_NIST,
            IPsecPolicySpec.PROFILE_CNSA2);
    private static final Set<String> PORT_PROTOCOLS = Set.of("TCP", "UDP", "SCTP");

    /** The outcome: a protection when the spec is valid, otherwise the problems. */
    public record Result(Protection protection, List<String> problems) {
        public boolean valid() {
            return problems.isEmpty();
        }

        /** All problems in one message, for a condition. */
        public String message() {
            return String.join("; ", problems);
        }
    }

    /** An AH proposal: one integrity algorithm, e.g. {@code sha256}. */
    public record AhProposal(IntegrityAlgorithm integrity) {
        @Override
        public String toString() {
            return integrity.keyword();
        }
    }

    private PolicyValidator() {
    }

    public static Result validate(IPsecPolicySpec spec) {
        List<String> problems = new ArrayList<>();
        if (spec == null) {
            return new Result(null, List.of("the policy has no spec"));
        }
        if (spec.getPodSelector() == null) {
            problems.add("spec.podSelector is missing; write podSelector: {} to select every pod in the namespace");
        } else {
            problems.addAll(LabelSelectors.validate(spec.getPodSelector(), "spec.podSelector"));
        }
        List<String> external = new ArrayList<>();
        if (spec.getPeers() == null || spec.getPeers().isEmpty()) {
            problems.add("spec.peers is empty; name at least one peer (podSelector, namespaceSelector or ipBlock)");
        } else {
            for (int i = 0; i < spec.getPeers().size(); i++) {
                validatePeer(spec.getPeers().get(i), "spec.peers[" + i + "]", problems, external);
            }
        }
        String mode = orDefault(spec.getMode(), IPsecPolicySpec.MODE_TRANSPORT);
        oneOf("spec.mode", mode, MODES, problems);
        String protocol = orDefault(spec.getProtocol(), IPsecPolicySpec.PROTOCOL_ESP);
        oneOf("spec.protocol", protocol, PROTOCOLS, problems);
        String enforcement = orDefault(spec.getEnforcement(), IPsecPolicySpec.ENFORCEMENT_REQUIRE);
        oneOf("spec.enforcement", enforcement, ENFORCEMENTS, problems);
        String profile = orDefault(spec.getComplianceProfile(), IPsecPolicySpec.PROFILE_NONE);
        oneOf("spec.complianceProfile", profile, PROFILES, problems);
        boolean legacy = Boolean.TRUE.equals(spec.getAllowLegacyAlgorithms());

        List<Protection.PortRange> ports = new ArrayList<>();
        if (spec.getPorts() != null) {
            for (int i = 0; i < spec.getPorts().size(); i++) {
                validatePort(spec.getPorts().get(i), "spec.ports[" + i + "]", problems, ports);
            }
        }

        IPsecProposals proposals = spec.getProposals() == null ? new IPsecProposals() : spec.getProposals();
        List<String> ike = new ArrayList<>();
        for (int i = 0; i < listOf(proposals.getIke()).size(); i++) {
            String s = proposals.getIke().get(i);
            try {
                ike.add(IkeProposal.parse(s, legacy).toString());
            } catch (IllegalArgumentException e) {
                problems.add("spec.proposals.ike[" + i + "] '" + s + "': " + legacyHint(e.getMessage(), legacy));
            }
        }
        if (proposals.getIke() == null || proposals.getIke().isEmpty()) {
            ike.addAll(DEFAULT_IKE);
        }
        List<String> child = new ArrayList<>();
        boolean ah = IPsecPolicySpec.PROTOCOL_AH.equals(protocol);
        if (ah && proposals.getEsp() != null && !proposals.getEsp().isEmpty()) {
            problems.add("spec.proposals.esp is set but spec.protocol is AH; AH takes spec.proposals.ah (e.g. sha384)");
        }
        if (!ah && proposals.getAh() != null && !proposals.getAh().isEmpty()) {
            problems.add("spec.proposals.ah is set but spec.protocol is ESP; set protocol: AH or use spec.proposals.esp");
        }
        List<String> childSource = ah ? listOf(proposals.getAh()) : listOf(proposals.getEsp());
        String childField = ah ? "spec.proposals.ah" : "spec.proposals.esp";
        for (int i = 0; i < childSource.size(); i++) {
            String s = childSource.get(i);
            try {
                child.add(ah ? parseAh(s).toString() : ChildProposal.parse(s, legacy).toString());
            } catch (IllegalArgumentException e) {
                problems.add(childField + "[" + i + "] '" + s + "': " + legacyHint(e.getMessage(), legacy));
            }
        }
        if (childSource.isEmpty()) {
            child.addAll(ah ? DEFAULT_AH : DEFAULT_ESP);
        }

        long ikeLife = DEFAULT_IKE_LIFETIME_S;
        long childLife = DEFAULT_CHILD_LIFETIME_S;
        long bytes = 0;
        long packets = 0;
        IPsecLifetimes lt = spec.getLifetimes();
        if (lt != null) {
            ikeLife = duration("spec.lifetimes.ike", lt.getIke(), 300, 720 * 3600, ikeLife, problems);
            childLife = duration("spec.lifetimes.child", lt.getChild(), 60, 168 * 3600, childLife, problems);
            if (lt.getChildBytes() != null) {
                if (lt.getChildBytes() < 1 << 20) {
                    problems.add("spec.lifetimes.childBytes " + lt.getChildBytes() + " is below 1 MiB (1048576); "
                            + "SAs would rekey constantly");
                }
                bytes = lt.getChildBytes();
            }
            if (lt.getChildPackets() != null) {
                if (lt.getChildPackets() < 1000) {
                    problems.add("spec.lifetimes.childPackets " + lt.getChildPackets() + " is below 1000; "
                            + "SAs would rekey constantly");
                }
                packets = lt.getChildPackets();
            }
        }
        if (!problems.isEmpty()) {
            return new Result(null, List.copyOf(problems));
        }
        return new Result(new Protection(mode, protocol, enforcement, ike, child, ports, ikeLife, childLife, bytes,
                packets, external, profile), List.of());
    }

    /** Parses an AH proposal: one integrity algorithm (sha256, sha384, sha512). */
    public static AhProposal parseAh(String proposal) {
        String s = proposal == null ? "" : proposal.strip().toLowerCase(Locale.ROOT);
        for (IntegrityAlgorithm a : IntegrityAlgorithm.values()) {
            if (a != IntegrityAlgorithm.NONE && a.keyword().equals(s)) {
                return new AhProposal(a);
            }
        }
        throw new IllegalArgumentException("not an AH proposal; AH takes one integrity algorithm: sha256, sha384 or sha512");
    }

    private static void validatePeer(IPsecPeer peer, String path, List<String> problems, List<String> external) {
        if (peer == null) {
            problems.add(path + " is empty; give it podSelector, namespaceSelector or ipBlock");
            return;
        }
        boolean selectors = peer.getPodSelector() != null || peer.getNamespaceSelector() != null;
        if (!selectors && peer.getIpBlock() == null) {
            problems.add(path + " selects nothing; give it podSelector, namespaceSelector or ipBlock");
        }
        if (selectors && peer.getIpBlock() != null) {
            problems.add(path + " mixes ipBlock with a selector; put ipBlock in a peer of its own");
        }
        if (peer.getPodSelector() != null) {
            problems.addAll(LabelSelectors.validate(peer.getPodSelector(), path + ".podSelector"));
        }
        if (peer.getNamespaceSelector() != null) {
            problems.addAll(LabelSelectors.validate(peer.getNamespaceSelector(), path + ".namespaceSelector"));
        }
        IPsecIpBlock block = peer.getIpBlock();
        if (block != null) {
            Prefix cidr = null;
            try {
                cidr = parseCidr(block.getCidr());
                external.add(block.getCidr().strip());
            } catch (IllegalArgumentException e) {
                problems.add(path + ".ipBlock.cidr '" + block.getCidr() + "' is not a CIDR such as 198.51.100.0/24 or "
                        + "2001:db8::/64");
            }
            for (int j = 0; block.getExcept() != null && j < block.getExcept().size(); j++) {
                String ex = block.getExcept().get(j);
                try {
                    Prefix e = parseCidr(ex);
                    if (cidr != null && !(e.v4() == cidr.v4() && cidr.contains(e.hi(), e.lo()) && e.bits() > cidr.bits())) {
                        problems.add(path + ".ipBlock.except[" + j + "] " + ex + " is not inside " + block.getCidr());
                    }
                    external.add("!" + ex.strip());
                } catch (IllegalArgumentException e) {
                    problems.add(path + ".ipBlock.except[" + j + "] '" + ex + "' is not a CIDR");
                }
            }
        }
    }

    private static Prefix parseCidr(String s) {
        if (s == null || !s.contains("/")) {
            throw new IllegalArgumentException("no prefix length");
        }
        String t = s.strip();
        Prefix p = Prefix.parse(t);
        Prefix host = Prefix.host(Prefix.parseAddress(t.substring(0, t.indexOf('/'))));
        if (host.hi() != p.hi() || host.lo() != p.lo()) {
            // host bits set, e.g. 10.0.0.1/24: Kubernetes' isCIDR() rejects those too.
            throw new IllegalArgumentException("host bits set");
        }
        return p;
    }

    private static void validatePort(IPsecPort port, String path, List<String> problems,
                                     List<Protection.PortRange> out) {
        String proto = orDefault(port.getProtocol(), "TCP");
        oneOf(path + ".protocol", proto, PORT_PROTOCOLS, problems);
        int p = port.getPort() == null ? 0 : port.getPort();
        int end = port.getEndPort() == null ? 0 : port.getEndPort();
        if (port.getPort() != null && (p < 1 || p > 65535)) {
            problems.add(path + ".port " + p + " is outside 1..65535");
        }
        if (port.getEndPort() != null) {
            if (port.getPort() == null) {
                problems.add(path + ".endPort needs port (the first port of the range)");
            } else if (end < p || end > 65535) {
                problems.add(path + ".endPort " + end + " must be between port (" + p + ") and 65535");
            }
        }
        out.add(new Protection.PortRange(proto, p, end));
    }

    private static long duration(String path, String value, long minS, long maxS, long dflt, List<String> problems) {
        if (value == null) {
            return dflt;
        }
        try {
            long ms = Durations.parseMillis(value);
            if (ms < minS * 1000 || ms > maxS * 1000) {
                problems.add(path + " " + value + " is outside " + human(minS) + ".." + human(maxS));
            }
            return ms / 1000;
        } catch (IllegalArgumentException | ArithmeticException e) {
            problems.add(path + " " + e.getMessage());
            return dflt;
        }
    }

    private static String human(long s) {
        return s % 3600 == 0 ? s / 3600 + "h" : s % 60 == 0 ? s / 60 + "m" : s + "s";
    }

    private static String legacyHint(String message, boolean legacy) {
        if (!legacy && message.contains("legacy")) {
            return message + " (set spec.allowLegacyAlgorithms: true to allow it)";
        }
        return message;
    }

    private static void oneOf(String path, String value, Set<String> allowed, List<String> problems) {
        if (!allowed.contains(value)) {
            problems.add(path + " '" + value + "' is not one of " + allowed.stream().sorted().toList());
        }
    }

    private static String orDefault(String v, String d) {
        return v == null ? d : v;
    }

    private static <T> List<T> listOf(List<T> l) {
        return l == null ? List.of() : l;
    }
}
