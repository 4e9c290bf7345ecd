package io.ipsecmesh.crypto;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * An ESP proposal in strongSwan's notation: one encryption algorithm, plus an integrity
 * algorithm unless the encryption is combined mode, which supplies its own integrity
 * (RFC 4303 §3.2).
 *
 * <p>Accepted strings (case-insensitive, surrounding blanks ignored): {@code aes128gcm16},
 * {@code aes256gcm16}, {@code chacha20poly1305}, and {@code <enc>-<integ>} with enc one of
 * {@code aes128}, {@code aes256}, {@code 3des}, {@code null} and integ one of {@code sha256},
 * {@code sha384}, {@code sha512}, e.g. {@code aes128-sha256}. Any other token, including
 * Diffie-Hellman groups and ESN flags (which belong to the CHILD_SA configuration, not to
 * this transform), is rejected with the accepted list. {@link #toString()} gives the
 * canonical form, which {@link #parse} accepts.
 *
 * @param encryption the encryption transform
 * @param integrity  {@link IntegrityAlgorithm#NONE} exactly when {@code encryption} is
 *                   combined mode
 */
public record EspProposal(EncryptionAlgorithm encryption, IntegrityAlgorithm integrity) {

    private static final String ACCEPTED = "accepted: "
            + Arrays.stream(EncryptionAlgorithm.values()).filter(EncryptionAlgorithm::isAead)
                    .map(EncryptionAlgorithm::keyword).collect(Collectors.joining(", "))
            + ", or <" + Arrays.stream(EncryptionAlgorithm.values()).filter(a -> !a.isAead())
                    .map(EncryptionAlgorithm::keyword).collect(Collectors.joining("|"))
            + ">-<" + Arrays.stream(IntegrityAlgorithm.values()).filter(a -> a != IntegrityAlgorithm.NONE)
                    .map(IntegrityAlgorithm::keyword).collect(Collectors.joining("|"))
            + "> such as aes128-sha256";

    /** Checks the combination: combined mode without, every other algorithm with integrity. */
    public EspProposal {
        Objects.requireNonNull(encryption, "encryption");
        Objects.requireNonNull(integrity, "integrity");
        if (encryption.isAead() && integrity != IntegrityAlgorithm.NONE) {
            throw new IllegalArgumentException(encryption.keyword() + " is combined mode and carries its own ICV; "
                    + "it takes no integrity algorithm, got " + integrity.keyword());
        }
        if (!encryption.isAead() && integrity == IntegrityAlgorithm.NONE) {
            throw new IllegalArgumentException(encryption.keyword() + " needs an integrity algorithm, e.g. "
                    + encryption.keyword() + "-sha256");
        }
    }

    /**
     * Parses a strongSwan-style ESP proposal such as {@code aes256gcm16} or
     * {@code aes128-sha256}.
     *
     * @throws IllegalArgumentException naming the offending token and listing what is accepted
     */
    public static EspProposal parse(String proposal) {
        Objects.requireNonNull(proposal, "proposal");
        String text = proposal.strip().toLowerCase(Locale.ROOT);
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty ESP proposal; " + ACCEPTED);
        }
        String[] tokens = text.split("-", -1);
        EncryptionAlgorithm enc = encryptionOf(tokens[0]);
        if (enc == null) {
            throw new IllegalArgumentException("unknown encryption algorithm '" + tokens[0] + "' in ESP proposal '"
                    + proposal + "'; " + ACCEPTED);
        }
        if (enc.isAead()) {
            if (tokens.length > 1) {
                throw new IllegalArgumentException("unexpected token '" + tokens[1] + "' in ESP proposal '" + proposal + "': "
                        + enc.keyword() + " is combined mode and takes nothing after it; " + ACCEPTED);
            }
            return new EspProposal(enc, IntegrityAlgorithm.NONE);
        }
        if (tokens.length == 1) {
            throw new IllegalArgumentException("ESP proposal '" + proposal + "' lacks an integrity algorithm, e.g. "
                    + enc.keyword() + "-sha256; " + ACCEPTED);
        }
        IntegrityAlgorithm integ = integrityOf(tokens[1]);
        if (integ == null) {
            throw new IllegalArgumentException("unknown integrity algorithm '" + tokens[1] + "' in ESP proposal '"
                    + proposal + "'; " + ACCEPTED);
        }
        if (tokens.length > 2) {
            throw new IllegalArgumentException("unexpected token '" + tokens[2] + "' in ESP proposal '" + proposal
                    + "' (Diffie-Hellman groups and ESN flags are not part of the ESP transform); " + ACCEPTED);
        }
        return new EspProposal(enc, integ);
    }

    /**
     * Returns this proposal if its algorithms may be used, else throws. Legacy algorithms
     * (3DES: "SHOULD NOT" in RFC 8221 §5) are refused unless the configuration enables them
     * explicitly.
     *
     * @throws IllegalArgumentException for a legacy algorithm when {@code allowLegacy} is false
     */
    public EspProposal requireAllowed(boolean allowLegacy) {
        if (!allowLegacy && encryption.isLegacy()) {
            throw new IllegalArgumentException("ESP proposal '" + this + "' uses the legacy algorithm "
                    + encryption.keyword() + " (RFC 8221 §5: SHOULD NOT), which is refused unless legacy algorithms are "
                    + "explicitly allowed");
        }
        return this;
    }

    /** True when the ICV comes from the encryption algorithm itself. */
    public boolean isCombinedMode() {
        return encryption.isAead();
    }

    /** The canonical strongSwan string, e.g. {@code aes256gcm16} or {@code aes128-sha256}. */
    @Override
    public String toString() {
        return encryption.isAead() ? encryption.keyword() : encryption.keyword() + "-" + integrity.keyword();
    }

    private static EncryptionAlgorithm encryptionOf(String token) {
        for (EncryptionAlgorithm a : EncryptionAlgorithm.values()) {
            if (a.keyword().equals(token)) {
                return a;
            }
        }
        return null;
    }

    private static IntegrityAlgorithm integrityOf(String token) {
        for (IntegrityAlgorithm a : IntegrityAlgorithm.values()) {
            if (a != IntegrityAlgorithm.NONE && a.keyword().equals(token)) {
                return a;
            }
        }
        return null;
    }
}
