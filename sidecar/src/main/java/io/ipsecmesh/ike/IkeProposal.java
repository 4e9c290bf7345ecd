package io.ipsecmesh.ike;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * An IKE SA proposal in strongSwan's notation, e.g. {@code aes256gcm16-prfsha384-ecp384},
 * {@code aes128-sha256-modp2048}, {@code chacha20poly1305-prfsha256-x25519} or
 * {@code aes256-sha384-prfsha384-ecp256}.
 *
 * <p>Tokens are separated by {@code -}, case-insensitive, in any order; several algorithms of
 * one type may be listed, the first preferred. Encryption: {@code aes128}, {@code aes256},
 * {@code aes128gcm16}, {@code aes256gcm16}, {@code chacha20poly1305} ({@code 3des} only when
 * legacy algorithms are allowed; {@code null} never, ENCR_NULL is not allowed in IKEv2).
 * Integrity: {@code sha256}, {@code sha384}, {@code sha512}, only with non-combined-mode
 * encryption (RFC 7296 §3.3.3), and mixing combined and non-combined encryption in one
 * proposal is refused (RFC 7296 §3.3: "two proposals are needed"). PRF: {@code prfsha256},
 * {@code prfsha384}, {@code prfsha512}; when none is given, each integrity algorithm implies the
 * PRF on the same hash, as strongSwan does; combined-mode encryption needs an explicit PRF. Key
 * exchange: {@code modp2048}, {@code ecp256}, {@code ecp384}, {@code curve25519} (alias
 * {@code x25519}); at least one is required (D-H is mandatory for IKE, RFC 7296 §3.3.3).
 *
 * <p>{@link #toString()} is canonical: encryption, integrity, PRF, groups, each in preference
 * order, with the PRF always explicit and {@code curve25519} for x25519; {@link #parse} accepts
 * it and gives back an equal proposal.
 */
public record IkeProposal(List<EncryptionAlgorithm> encryption, List<IntegrityAlgorithm> integrity,
                          List<PrfAlgorithm> prf, List<KeyExchangeGroup> groups) {

    static final String ACCEPTED = "accepted tokens: encryption "
            + ikeEncryption().map(EncryptionAlgorithm::keyword).collect(Collectors.joining("|"))
            + " (3des only if legacy algorithms are allowed); integrity "
            + integrityKeywords() + " (not with combined-mode encryption); PRF "
            + Arrays.stream(PrfAlgorithm.values()).map(PrfAlgorithm::keyword).collect(Collectors.joining("|"))
            + "; key exchange "
            + Arrays.stream(KeyExchangeGroup.values()).map(KeyExchangeGroup::keyword).collect(Collectors.joining("|"))
            + "|x25519";

    public IkeProposal {
        encryption = List.copyOf(encryption);
        integrity = List.copyOf(integrity);
        prf = List.copyOf(prf);
        groups = List.copyOf(groups);
        requireDistinct(encryption, "encryption algorithm");
        requireDistinct(integrity, "integrity algorithm");
        requireDistinct(prf, "PRF");
        requireDistinct(groups, "key exchange group");
        if (encryption.isEmpty()) {
            throw new IllegalArgumentException("an IKE proposal needs an encryption algorithm; " + ACCEPTED);
        }
        if (encryption.contains(EncryptionAlgorithm.NULL)) {
            throw new IllegalArgumentException("encryption algorithm 'null' is not allowed for IKE (ENCR_NULL); "
                    + ACCEPTED);
        }
        boolean aead = encryption.getFirst().isAead();
        if (encryption.stream().anyMatch(e -> e.isAead() != aead)) {
            throw new IllegalArgumentException("IKE proposal mixes combined-mode and other encryption algorithms "
                    + encryption.stream().map(EncryptionAlgorithm::keyword).toList()
                    + "; RFC 7296 §3.3 needs two proposals for that");
        }
        if (integrity.contains(IntegrityAlgorithm.NONE)) {
            throw new IllegalArgumentException("integrity 'none' is not a proposal token; omit integrity with "
                    + "combined-mode encryption");
        }
        if (aead && !integrity.isEmpty()) {
            throw new IllegalArgumentException("integrity algorithm '" + integrity.getFirst().keyword()
                    + "' with combined-mode encryption " + encryption.getFirst().keyword()
                    + " (RFC 7296 §3.3.3: combined-mode ciphers take no integrity transform)");
        }
        if (!aead && integrity.isEmpty()) {
            throw new IllegalArgumentException("encryption " + encryption.getFirst().keyword()
                    + " needs an integrity algorithm (" + integrityKeywords() + ")");
        }
        if (prf.isEmpty()) {
            throw new IllegalArgumentException("an IKE proposal needs a PRF ("
                    + Arrays.stream(PrfAlgorithm.values()).map(PrfAlgorithm::keyword).collect(Collectors.joining("|"))
                    + "); combined-mode encryption does not imply one");
        }
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("an IKE proposal needs a key exchange group ("
                    + Arrays.stream(KeyExchangeGroup.values()).map(KeyExchangeGroup::keyword)
                            .collect(Collectors.joining("|")) + "|x25519)");
        }
    }

    /** Parses with legacy algorithms refused. */
    public static IkeProposal parse(String proposal) {
        return parse(proposal, false);
    }

    /**
     * Parses a strongSwan-style IKE proposal.
     *
     * @param allowLegacy whether 3DES (RFC 8221 §5, SHOULD NOT) is accepted
     * @throws IllegalArgumentException naming the offending token and listing the accepted ones
     */
    public static IkeProposal parse(String proposal, boolean allowLegacy) {
        Objects.requireNonNull(proposal, "proposal");
        String text = proposal.strip().toLowerCase(Locale.ROOT);
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty IKE proposal; " + ACCEPTED);
        }
        List<EncryptionAlgorithm> enc = new ArrayList<>();
        List<IntegrityAlgorithm> integ = new ArrayList<>();
        List<PrfAlgorithm> prf = new ArrayList<>();
        List<KeyExchangeGroup> groups = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String token : text.split("-", -1)) {
            if (token.isEmpty()) {
                throw new IllegalArgumentException("empty token in IKE proposal '" + proposal + "'; " + ACCEPTED);
            }
            if (!seen.add(token)) {
                throw new IllegalArgumentException("token '" + token + "' repeated in IKE proposal '" + proposal + "'");
            }
            Optional<EncryptionAlgorithm> e = Arrays.stream(EncryptionAlgorithm.values())
                    .filter(a -> a.keyword().equals(token)).findFirst();
            if (e.isPresent()) {
                if (e.get() == EncryptionAlgorithm.NULL) {
                    throw new IllegalArgumentException("token 'null' in IKE proposal '" + proposal
                            + "': ENCR_NULL is not allowed for IKE; " + ACCEPTED);
                }
                if (e.get().isLegacy() && !allowLegacy) {
                    throw new IllegalArgumentException("token '" + token + "' in IKE proposal '" + proposal
                            + "' is the legacy algorithm " + token + " (RFC 8221 §5: SHOULD NOT), refused unless legacy "
                            + "algorithms are explicitly allowed");
                }
                enc.add(e.get());
                continue;
            }
            Optional<IntegrityAlgorithm> i = Arrays.stream(IntegrityAlgorithm.values())
                    .filter(a -> a != IntegrityAlgorithm.NONE && a.keyword().equals(token)).findFirst();
            if (i.isPresent()) {
                integ.add(i.get());
                continue;
            }
            Optional<PrfAlgorithm> p = Arrays.stream(PrfAlgorithm.values())
                    .filter(a -> a.keyword().equals(token)).findFirst();
            if (p.isPresent()) {
                prf.add(p.get());
                continue;
            }
            Optional<KeyExchangeGroup> g = groupOf(token);
            if (g.isPresent()) {
                groups.add(g.get());
                continue;
            }
            String hint = token.equals("esn") || token.equals("noesn")
                    ? " (ESN applies to CHILD_SA proposals, not IKE)" : "";
            throw new IllegalArgumentException("unknown token '" + token + "' in IKE proposal '" + proposal + "'"
                    + hint + "; " + ACCEPTED);
        }
        if (prf.isEmpty()) {
            for (IntegrityAlgorithm a : integ) {
                PrfAlgorithm implied = impliedPrf(a);
                if (!prf.contains(implied)) {
                    prf.add(implied);
                }
            }
        }
        try {
            return new IkeProposal(enc, integ, prf, groups);
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("IKE proposal '" + proposal + "': " + ex.getMessage(), ex);
        }
    }

    /** The PRF strongSwan derives from an integrity algorithm: HMAC on the same hash. */
    public static PrfAlgorithm impliedPrf(IntegrityAlgorithm integrity) {
        return Arrays.stream(PrfAlgorithm.values()).filter(p -> p.jceName().equals(integrity.jceName())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no PRF matches integrity " + integrity.keyword()));
    }

    /** Returns this proposal if its algorithms may be used, else throws (3DES when legacy is not allowed). */
    public IkeProposal requireAllowed(boolean allowLegacy) {
        if (!allowLegacy) {
            for (EncryptionAlgorithm e : encryption) {
                if (e.isLegacy()) {
                    throw new IllegalArgumentException("IKE proposal '" + this + "' uses the legacy algorithm "
                            + e.keyword() + " (RFC 8221 §5: SHOULD NOT), refused unless legacy algorithms are "
                            + "explicitly allowed");
                }
            }
        }
        return this;
    }

    public boolean isCombinedMode() {
        return encryption.getFirst().isAead();
    }

    /** The transforms in proposal order: ENCR, PRF, INTEG, D-H, each type in preference order. */
    public List<Transform> transforms() {
        List<Transform> out = new ArrayList<>();
        encryption.forEach(e -> out.add(Transform.encryption(e)));
        prf.forEach(p -> out.add(Transform.prf(p)));
        integrity.forEach(i -> out.add(Transform.integrity(i)));
        groups.forEach(g -> out.add(Transform.keyExchange(g.transformId())));
        return out;
    }

    /** The proposal substructure for IKE_SA_INIT: protocol IKE, no SPI (RFC 7296 §3.3.1). */
    public Proposal toProposal(int number) {
        return new Proposal(number, ProtocolId.IKE, new byte[0], transforms());
    }

    /** The proposal substructure for rekeying an IKE SA in CREATE_CHILD_SA: an 8-byte SPI. */
    public Proposal toProposal(int number, byte[] spi) {
        if (spi.length != 0 && spi.length != ProtocolId.IKE.spiSize()) {
            throw new IllegalArgumentException("an IKE proposal carries no SPI or an 8-byte SPI, got " + spi.length
                    + " bytes");
        }
        return new Proposal(number, ProtocolId.IKE, spi, transforms());
    }

    /** Reads a proposal back, with legacy algorithms refused. */
    public static IkeProposal fromProposal(Proposal proposal) {
        return fromProposal(proposal, false);
    }

    /**
     * Reads a proposal substructure (e.g. the responder's chosen one) back into algorithms.
     * Strict: every transform must be one this implementation knows, with exactly the
     * attributes it would send (AES with its Key Length, RFC 7296 §3.3.5).
     *
     * @throws IllegalArgumentException naming the first transform that does not fit
     */
    public static IkeProposal fromProposal(Proposal proposal, boolean allowLegacy) {
        if (proposal.protocolId() != ProtocolId.IKE.value()) {
            throw new IllegalArgumentException("proposal " + proposal.number() + " has protocol "
                    + proposal.protocolId() + ", expected IKE (1)");
        }
        if (proposal.spi().length != 0 && proposal.spi().length != ProtocolId.IKE.spiSize()) {
            throw new IllegalArgumentException("IKE proposal " + proposal.number() + " has an SPI of "
                    + proposal.spi().length + " bytes, expected 0 or 8");
        }
        List<EncryptionAlgorithm> enc = new ArrayList<>();
        List<IntegrityAlgorithm> integ = new ArrayList<>();
        List<PrfAlgorithm> prf = new ArrayList<>();
        List<KeyExchangeGroup> groups = new ArrayList<>();
        for (Transform t : proposal.transforms()) {
            TransformType type = TransformType.of(t.transformType()).orElseThrow(
                    () -> new IllegalArgumentException("unknown transform type in " + t));
            switch (type) {
                case ENCR -> enc.add(encryptionOf(t).filter(e -> e != EncryptionAlgorithm.NULL)
                        .filter(e -> allowLegacy || !e.isLegacy())
                        .orElseThrow(() -> unsupported(t)));
                case PRF -> prf.add(PrfAlgorithm.fromTransformId(t.transformId())
                        .filter(p -> t.attributes().isEmpty()).orElseThrow(() -> unsupported(t)));
                case INTEG -> {
                    IntegrityAlgorithm a = integrityOf(t).orElseThrow(() -> unsupported(t));
                    if (a != IntegrityAlgorithm.NONE) {
                        integ.add(a);
                    }
                }
                case KE -> groups.add(KeyExchangeGroup.fromTransformId(t.transformId())
                        .filter(g -> t.attributes().isEmpty()).orElseThrow(() -> unsupported(t)));
                case ESN -> throw new IllegalArgumentException("ESN transform " + t + " in an IKE proposal");
            }
        }
        return new IkeProposal(enc, integ, prf, groups);
    }

    /** The encryption algorithm an ENCR transform denotes, attributes included. */
    static Optional<EncryptionAlgorithm> encryptionOf(Transform t) {
        return Arrays.stream(EncryptionAlgorithm.values()).filter(e -> Transform.encryption(e).equals(t)).findFirst();
    }

    /** The integrity algorithm an INTEG transform denotes ({@code NONE} for ID 0). */
    static Optional<IntegrityAlgorithm> integrityOf(Transform t) {
        return Arrays.stream(IntegrityAlgorithm.values()).filter(i -> Transform.integrity(i).equals(t)).findFirst();
    }

    static Optional<KeyExchangeGroup> groupOf(String token) {
        if (token.equals("x25519")) {
            return Optional.of(KeyExchangeGroup.CURVE25519);
        }
        return Arrays.stream(KeyExchangeGroup.values()).filter(g -> g.keyword().equals(token)).findFirst();
    }

    private static IllegalArgumentException unsupported(Transform t) {
        return new IllegalArgumentException("unsupported or refused transform " + t + "; " + ACCEPTED);
    }

    @Override
    public String toString() {
        return Stream.of(encryption.stream().map(EncryptionAlgorithm::keyword),
                        integrity.stream().map(IntegrityAlgorithm::keyword),
                        prf.stream().map(PrfAlgorithm::keyword),
                        groups.stream().map(KeyExchangeGroup::keyword))
                .flatMap(s -> s).collect(Collectors.joining("-"));
    }

    private static Stream<EncryptionAlgorithm> ikeEncryption() {
        return Arrays.stream(EncryptionAlgorithm.values())
                .filter(e -> e != EncryptionAlgorithm.NULL && !e.isLegacy());
    }

    private static String integrityKeywords() {
        return Arrays.stream(IntegrityAlgorithm.values()).filter(i -> i != IntegrityAlgorithm.NONE)
                .map(IntegrityAlgorithm::keyword).collect(Collectors.joining("|"));
    }

    private static <T> void requireDistinct(List<T> items, String what) {
        if (new LinkedHashSet<>(items).size() != items.size()) {
            throw new IllegalArgumentException(what + " listed twice in " + items);
        }
    }
}
