package io.ipsecmesh.ike;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.EspProposal;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * An ESP CHILD_SA proposal for IKE_AUTH and CREATE_CHILD_SA: one {@link EspProposal}, the
 * extended sequence number choices (ESN is mandatory for ESP, RFC 7296 §3.3.3) and optional
 * key exchange groups for PFS.
 *
 * <p>String form, strongSwan style: the ESP proposal followed by groups and ESN tokens, e.g.
 * {@code aes128gcm16}, {@code aes256-sha512-ecp384-esn}, {@code aes128gcm16-x25519-esn-noesn}.
 * With no ESN token the proposal offers {@code noesn} only (strongSwan's default). Canonical
 * {@link #toString()}: ESP part, groups, then ESN tokens unless they are just {@code noesn}.
 *
 * @param esp    encryption and integrity
 * @param esn    ESN choices in preference order, at least one
 * @param groups PFS groups in preference order; empty for no PFS
 */
public record ChildProposal(EspProposal esp, List<Esn> esn, List<KeyExchangeGroup> groups) {

    /** Transform Type 5 values (RFC 7296 §3.3.2). */
    public enum Esn {
        NO_ESN(0, "noesn"),
        ESN(1, "esn");

        private final int transformId;
        private final String keyword;

        Esn(int transformId, String keyword) {
            this.transformId = transformId;
            this.keyword = keyword;
        }

        public int transformId() {
            return transformId;
        }

        public String keyword() {
            return keyword;
        }

        public Transform transform() {
            return new Transform(TransformType.ESN, transformId);
        }

        public static Optional<Esn> fromTransform(Transform t) {
            for (Esn e : values()) {
                if (e.transform().equals(t)) {
                    return Optional.of(e);
                }
            }
            return Optional.empty();
        }
    }

    public ChildProposal {
        Objects.requireNonNull(esp, "esp");
        esn = List.copyOf(esn);
        groups = List.copyOf(groups);
        if (esn.isEmpty()) {
            throw new IllegalArgumentException("an ESP proposal needs at least one ESN choice (esn, noesn)");
        }
        if (new LinkedHashSet<>(esn).size() != esn.size()) {
            throw new IllegalArgumentException("ESN choice listed twice in " + esn);
        }
        if (new LinkedHashSet<>(groups).size() != groups.size()) {
            throw new IllegalArgumentException("key exchange group listed twice in " + groups);
        }
    }

    /** Without PFS, offering no ESN only. */
    public static ChildProposal of(EspProposal esp) {
        return new ChildProposal(esp, List.of(Esn.NO_ESN), List.of());
    }

    public static ChildProposal parse(String proposal) {
        return parse(proposal, false);
    }

    /**
     * Parses an ESP proposal with optional group and ESN tokens.
     *
     * @throws IllegalArgumentException naming the offending token and listing the accepted ones
     */
    public static ChildProposal parse(String proposal, boolean allowLegacy) {
        Objects.requireNonNull(proposal, "proposal");
        String text = proposal.strip().toLowerCase(Locale.ROOT);
        List<String> espTokens = new ArrayList<>();
        List<Esn> esn = new ArrayList<>();
        List<KeyExchangeGroup> groups = new ArrayList<>();
        for (String token : text.split("-", -1)) {
            Optional<KeyExchangeGroup> g = IkeProposal.groupOf(token);
            if (g.isPresent()) {
                if (groups.contains(g.get())) {
                    throw new IllegalArgumentException("token '" + token + "' repeats a key exchange group in ESP proposal '"
                            + proposal + "'");
                }
                groups.add(g.get());
            } else if (token.equals("esn") || token.equals("noesn")) {
                Esn e = token.equals("esn") ? Esn.ESN : Esn.NO_ESN;
                if (esn.contains(e)) {
                    throw new IllegalArgumentException("token '" + token + "' repeated in ESP proposal '" + proposal + "'");
                }
                esn.add(e);
            } else {
                espTokens.add(token);
            }
        }
        EspProposal esp;
        try {
            esp = EspProposal.parse(String.join("-", espTokens)).requireAllowed(allowLegacy);
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException(ex.getMessage() + "; after it, optional key exchange groups "
                    + groupKeywords() + " (PFS) and esn|noesn (in '" + proposal + "')", ex);
        }
        return new ChildProposal(esp, esn.isEmpty() ? List.of(Esn.NO_ESN) : esn, groups);
    }

    /** The transforms: ENCR, INTEG (not for combined mode), D-H (if requested), ESN. */
    public List<Transform> transforms(boolean includeKeyExchange) {
        List<Transform> out = new ArrayList<>();
        out.add(Transform.encryption(esp.encryption()));
        if (!esp.isCombinedMode()) {
            out.add(Transform.integrity(esp.integrity()));
        }
        if (includeKeyExchange) {
            groups.forEach(g -> out.add(Transform.keyExchange(g.transformId())));
        }
        esn.forEach(e -> out.add(e.transform()));
        return out;
    }

    /**
     * The proposal substructure: protocol ESP, our 4-byte inbound SPI.
     *
     * @param includeKeyExchange false in IKE_AUTH, whose SA carries no D-H transform (RFC 7296
     *                           §1.2); true in CREATE_CHILD_SA, where the groups request PFS
     */
    public Proposal toProposal(int number, byte[] spi, boolean includeKeyExchange) {
        if (spi.length != ProtocolId.ESP.spiSize()) {
            throw new IllegalArgumentException("an ESP proposal carries a 4-byte SPI, got " + spi.length + " bytes");
        }
        return new Proposal(number, ProtocolId.ESP, spi, transforms(includeKeyExchange));
    }

    /** Reads a proposal back, with legacy algorithms refused. */
    public static ChildProposal fromProposal(Proposal proposal) {
        return fromProposal(proposal, false);
    }

    /**
     * Reads an ESP proposal substructure (typically the responder's chosen one) back. Strict:
     * exactly one ENCR and at most one INTEG (an {@link EspProposal} holds one of each), only
     * known transforms with the attributes this implementation sends. KE NONE is read as no PFS.
     *
     * @throws IllegalArgumentException naming the first transform or field that does not fit
     */
    public static ChildProposal fromProposal(Proposal proposal, boolean allowLegacy) {
        if (proposal.protocolId() != ProtocolId.ESP.value()) {
            throw new IllegalArgumentException("proposal " + proposal.number() + " has protocol "
                    + proposal.protocolId() + ", expected ESP (3)");
        }
        if (proposal.spi().length != ProtocolId.ESP.spiSize()) {
            throw new IllegalArgumentException("ESP proposal " + proposal.number() + " has an SPI of "
                    + proposal.spi().length + " bytes, expected 4");
        }
        List<EncryptionAlgorithm> enc = new ArrayList<>();
        List<IntegrityAlgorithm> integ = new ArrayList<>();
        List<Esn> esn = new ArrayList<>();
        List<KeyExchangeGroup> groups = new ArrayList<>();
        for (Transform t : proposal.transforms()) {
            TransformType type = TransformType.of(t.transformType()).orElseThrow(
                    () -> new IllegalArgumentException("unknown transform type in " + t));
            switch (type) {
                case ENCR -> enc.add(IkeProposal.encryptionOf(t).orElseThrow(() -> unsupported(t)));
                case INTEG -> {
                    IntegrityAlgorithm a = IkeProposal.integrityOf(t).orElseThrow(() -> unsupported(t));
                    if (a != IntegrityAlgorithm.NONE) {
                        integ.add(a);
                    }
                }
                case KE -> {
                    if (t.transformId() != 0 || !t.attributes().isEmpty()) {
                        groups.add(KeyExchangeGroup.fromTransformId(t.transformId())
                                .filter(g -> t.attributes().isEmpty()).orElseThrow(() -> unsupported(t)));
                    }
                }
                case ESN -> esn.add(Esn.fromTransform(t).orElseThrow(() -> unsupported(t)));
                case PRF -> throw new IllegalArgumentException("PRF transform " + t + " in an ESP proposal");
            }
        }
        if (enc.size() != 1 || integ.size() > 1) {
            throw new IllegalArgumentException("ESP proposal " + proposal.number() + " holds " + enc.size()
                    + " encryption and " + integ.size() + " integrity transforms; expected one and at most one");
        }
        EspProposal esp = new EspProposal(enc.getFirst(), integ.isEmpty() ? IntegrityAlgorithm.NONE : integ.getFirst())
                .requireAllowed(allowLegacy);
        return new ChildProposal(esp, esn, groups);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(esp.toString());
        groups.forEach(g -> sb.append('-').append(g.keyword()));
        if (!esn.equals(List.of(Esn.NO_ESN))) {
            esn.forEach(e -> sb.append('-').append(e.keyword()));
        }
        return sb.toString();
    }

    private static String groupKeywords() {
        return java.util.Arrays.stream(KeyExchangeGroup.values()).map(KeyExchangeGroup::keyword)
                .collect(Collectors.joining("|")) + "|x25519";
    }

    private static IllegalArgumentException unsupported(Transform t) {
        return new IllegalArgumentException("unsupported or refused transform " + t + " in an ESP proposal");
    }
}
