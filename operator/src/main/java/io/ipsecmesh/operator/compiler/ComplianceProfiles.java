package io.ipsecmesh.operator.compiler;

import io.ipsecmesh.api.v1alpha1.IPsecPolicySpec;
import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.ike.ChildProposal;
import io.ipsecmesh.ike.IkeProposal;
import io.ipsecmesh.ike.KeyExchangeGroup;
import io.ipsecmesh.ike.PrfAlgorithm;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Checks a protection's algorithms against a named profile. The profiles are deliberately
 * plain lists of what this implementation offers:
 * <ul>
 *   <li>NIST-SP-800-77r1: FIPS-approved algorithms only: AES (CBC, GCM), SHA-2 HMAC and PRF,
 *       MODP 2048 and NIST P-256/P-384; not ChaCha20-Poly1305, Curve25519, 3DES or NULL.</li>
 *   <li>CNSA-2.0 (its classical part): AES-256 only, SHA-384 or SHA-512, P-384.</li>
 * </ul>
 */
public final class ComplianceProfiles {

    private static final Set<EncryptionAlgorithm> NIST_ENCR = EnumSet.noneOf(EncryptionAlgorithm.class);
    private static final Set<EncryptionAlgorithm> CNSA_ENCR = EnumSet.noneOf(EncryptionAlgorithm.class);

    static {
        for (EncryptionAlgorithm a : EncryptionAlgorithm.values()) {
            String k = a.keyword();
            if (k.startsWith("aes")) {
                NIST_ENCR.add(a);
                if (k.startsWith("aes256")) {
                    CNSA_ENCR.add(a);
                }
            }
        }
    }

    private static final Set<IntegrityAlgorithm> NIST_INTEG = EnumSet.of(IntegrityAlgorithm.NONE,
            IntegrityAlgorithm.fromKeyword("sha256"), IntegrityAlgorithm.fromKeyword("sha384"),
            IntegrityAlgorithm.fromKeyword("sha512"));
    private static final Set<IntegrityAlgorithm> CNSA_INTEG = EnumSet.of(IntegrityAlgorithm.NONE,
            IntegrityAlgorithm.fromKeyword("sha384"), IntegrityAlgorithm.fromKeyword("sha512"));
    private static final Set<KeyExchangeGroup> NIST_GROUPS = EnumSet.of(KeyExchangeGroup.fromKeyword("modp2048"),
            KeyExchangeGroup.fromKeyword("ecp256"), KeyExchangeGroup.fromKeyword("ecp384"));
    private static final Set<KeyExchangeGroup> CNSA_GROUPS = EnumSet.of(KeyExchangeGroup.fromKeyword("ecp384"));

    private ComplianceProfiles() {
    }

    /** What the profile does not allow, one line per algorithm and proposal; empty when compliant. */
    public static List<String> violations(Protection p) {
        String profile = p.complianceProfile();
        if (IPsecPolicySpec.PROFILE_NONE.equals(profile)) {
            return List.of();
        }
        boolean cnsa = IPsecPolicySpec.PROFILE_CNSA2.equals(profile);
        Set<EncryptionAlgorithm> encr = cnsa ? CNSA_ENCR : NIST_ENCR;
        Set<IntegrityAlgorithm> integ = cnsa ? CNSA_INTEG : NIST_INTEG;
        Set<KeyExchangeGroup> groups = cnsa ? CNSA_GROUPS : NIST_GROUPS;
        List<String> out = new ArrayList<>();
        for (String s : p.ikeProposals()) {
            IkeProposal ike = IkeProposal.parse(s, true);
            ike.encryption().stream().filter(a -> !encr.contains(a))
                    .forEach(a -> out.add("IKE proposal " + s + ": encryption " + a.keyword() + " is not allowed by " + profile));
            ike.integrity().stream().filter(a -> !integ.contains(a))
                    .forEach(a -> out.add("IKE proposal " + s + ": integrity " + a.keyword() + " is not allowed by " + profile));
            ike.prf().stream().filter(a -> !prfAllowed(a, cnsa))
                    .forEach(a -> out.add("IKE proposal " + s + ": PRF " + a.keyword() + " is not allowed by " + profile));
            ike.groups().stream().filter(g -> !groups.contains(g))
                    .forEach(g -> out.add("IKE proposal " + s + ": key exchange " + g.keyword() + " is not allowed by " + profile));
        }
        boolean ah = IPsecPolicySpec.PROTOCOL_AH.equals(p.protocol());
        for (String s : p.childProposals()) {
            if (ah) {
                IntegrityAlgorithm a = PolicyValidator.parseAh(s).integrity();
                if (!integ.contains(a)) {
                    out.add("AH proposal " + s + ": integrity " + a.keyword() + " is not allowed by " + profile);
                }
                continue;
            }
            ChildProposal c = ChildProposal.parse(s, true);
            if (!encr.contains(c.esp().encryption())) {
                out.add("ESP proposal " + s + ": encryption " + c.esp().encryption().keyword() + " is not allowed by " + profile);
            }
            if (!integ.contains(c.esp().integrity())) {
                out.add("ESP proposal " + s + ": integrity " + c.esp().integrity().keyword() + " is not allowed by " + profile);
            }
            c.groups().stream().filter(g -> !groups.contains(g))
                    .forEach(g -> out.add("ESP proposal " + s + ": key exchange " + g.keyword() + " is not allowed by " + profile));
        }
        return out;
    }

    private static boolean prfAllowed(PrfAlgorithm prf, boolean cnsa) {
        String k = prf.keyword();
        return cnsa ? k.equals("prfsha384") || k.equals("prfsha512") : k.startsWith("prfsha");
    }
}
