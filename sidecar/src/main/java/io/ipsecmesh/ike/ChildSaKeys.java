package io.ipsecmesh.ike;

import io.ipsecmesh.crypto.EspProposal;
import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * The ESP keys of a CHILD_SA pair (RFC 7296 §2.17), taken in this order from KEYMAT:
 * encryption key (with salt for AEAD) then integrity key for the SA carrying data from the
 * initiator to the responder, then the same for the reverse direction. Accessors return
 * copies; {@link #destroy()} zeroes the originals. Never printed.
 */
public final class ChildSaKeys implements Destroyable {

    private final EspProposal proposal;
    private final byte[] encryptionI;
    private final byte[] integrityI;
    private final byte[] encryptionR;
    private final byte[] integrityR;
    private volatile boolean destroyed;

    private ChildSaKeys(EspProposal proposal, byte[] keymat) {
        int e = proposal.encryption().keyMaterialLength();
        int a = proposal.integrity().keyLength();
        int o = 0;
        this.proposal = proposal;
        encryptionI = Arrays.copyOfRange(keymat, o, o += e);
        integrityI = Arrays.copyOfRange(keymat, o, o += a);
        encryptionR = Arrays.copyOfRange(keymat, o, o += e);
        integrityR = Arrays.copyOfRange(keymat, o, o + a);
    }

    /** KEYMAT an ESP SA pair with this proposal needs: 2 x (encryption key + salt + integrity key). */
    public static int keyMaterialLength(EspProposal proposal) {
        return 2 * (proposal.encryption().keyMaterialLength() + proposal.integrity().keyLength());
    }

    static ChildSaKeys split(EspProposal proposal, byte[] keymat) {
        Objects.requireNonNull(proposal, "proposal");
        if (keymat.length != keyMaterialLength(proposal)) {
            throw new IllegalArgumentException("need " + keyMaterialLength(proposal) + " bytes of KEYMAT, got "
                    + keymat.length);
        }
        return new ChildSaKeys(proposal, keymat);
    }

    public EspProposal proposal() {
        return proposal;
    }

    private byte[] copy(byte[] k) {
        if (destroyed) {
            throw new IllegalStateException("CHILD_SA keys destroyed");
        }
        return k.clone();
    }

    /** Encryption key (+ salt) of the SA from initiator to responder. */
    public byte[] initiatorToResponderEncryption() {
        return copy(encryptionI);
    }

    /** Integrity key of the SA from initiator to responder; empty with AEAD. */
    public byte[] initiatorToResponderIntegrity() {
        return copy(integrityI);
    }

    /** Encryption key (+ salt) of the SA from responder to initiator. */
    public byte[] responderToInitiatorEncryption() {
        return copy(encryptionR);
    }

    /** Integrity key of the SA from responder to initiator; empty with AEAD. */
    public byte[] responderToInitiatorIntegrity() {
        return copy(integrityR);
    }

    @Override
    public void destroy() {
        for (byte[] k : new byte[][] {encryptionI, integrityI, encryptionR, integrityR}) {
            Arrays.fill(k, (byte) 0);
        }
        destroyed = true;
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "ChildSaKeys[" + proposal + ", encryption " + encryptionI.length + ", integrity " + integrityI.length
                + " bytes per direction" + (destroyed ? ", destroyed" : "") + "]";
    }
}
