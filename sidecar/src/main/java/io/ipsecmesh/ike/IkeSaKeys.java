package io.ipsecmesh.ike;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * The seven secrets of an IKE SA (RFC 7296 §2.14), taken in this order from
 * prf+(SKEYSEED, Ni | Nr | SPIi | SPIr):
 * SK_d, SK_ai, SK_ar, SK_ei, SK_er, SK_pi, SK_pr.
 *
 * <p>SK_d, SK_pi and SK_pr have the PRF's preferred key length; SK_a* the integrity key
 * length, none with a combined-mode (AEAD) cipher; SK_e* the cipher's key plus its salt
 * (RFC 5282 §7.1 for AES-GCM, RFC 7634 §3 for ChaCha20-Poly1305). Accessors return copies;
 * {@link #destroy()} zeroes the originals. Never printed.
 */
public final class IkeSaKeys implements Destroyable {

    private final byte[] skD;
    private final byte[] skAi;
    private final byte[] skAr;
    private final byte[] skEi;
    private final byte[] skEr;
    private final byte[] skPi;
    private final byte[] skPr;
    private volatile boolean destroyed;

    private IkeSaKeys(byte[] dkm, int prfLen, int integLen, int encLen) {
        int o = 0;
        skD = Arrays.copyOfRange(dkm, o, o += prfLen);
        skAi = Arrays.copyOfRange(dkm, o, o += integLen);
        skAr = Arrays.copyOfRange(dkm, o, o += integLen);
        skEi = Arrays.copyOfRange(dkm, o, o += encLen);
        skEr = Arrays.copyOfRange(dkm, o, o += encLen);
        skPi = Arrays.copyOfRange(dkm, o, o += prfLen);
        skPr = Arrays.copyOfRange(dkm, o, o + prfLen);
    }

    /**
     * Total keying material an IKE SA with these transforms needs:
     * 3 x PRF key + 2 x integrity key + 2 x (encryption key + salt).
     *
     * @throws IllegalArgumentException for ENCR_NULL (never allowed for IKE, RFC 7296 §5),
     *                                  an AEAD cipher with an integrity algorithm or another
     *                                  cipher without one
     */
    public static int keyMaterialLength(PrfAlgorithm prf, EncryptionAlgorithm encryption, IntegrityAlgorithm integrity) {
        checkTransforms(encryption, integrity);
        return 3 * prf.keyLength() + 2 * integrity.keyLength() + 2 * encryption.keyMaterialLength();
    }

    static void checkTransforms(EncryptionAlgorithm encryption, IntegrityAlgorithm integrity) {
        Objects.requireNonNull(encryption, "encryption");
        Objects.requireNonNull(integrity, "integrity");
        if (encryption == EncryptionAlgorithm.NULL) {
            throw new IllegalArgumentException("ENCR_NULL cannot protect an IKE SA");
        }
        if (encryption.isAead() && integrity != IntegrityAlgorithm.NONE) {
            throw new IllegalArgumentException(encryption.keyword() + " is combined mode: no integrity transform, got "
                    + integrity.keyword());
        }
        if (!encryption.isAead() && integrity == IntegrityAlgorithm.NONE) {
            throw new IllegalArgumentException(encryption.keyword() + " needs an integrity transform");
        }
    }

    /** Splits derived keying material of exactly {@link #keyMaterialLength} bytes. */
    static IkeSaKeys split(byte[] dkm, PrfAlgorithm prf, EncryptionAlgorithm encryption, IntegrityAlgorithm integrity) {
        int need = keyMaterialLength(prf, encryption, integrity);
        if (dkm.length != need) {
            throw new IllegalArgumentException("need " + need + " bytes of keying material, got " + dkm.length);
        }
        return new IkeSaKeys(dkm, prf.keyLength(), integrity.keyLength(), encryption.keyMaterialLength());
    }

    private byte[] copy(byte[] k) {
        if (destroyed) {
            throw new IllegalStateException("IKE SA keys destroyed");
        }
        return k.clone();
    }

    /** SK_d: derives CHILD_SA keying material and the next IKE SA's SKEYSEED. */
    public byte[] skD() {
        return copy(skD);
    }

    /** SK_ai: integrity key for messages from the original initiator; empty with AEAD. */
    public byte[] skAi() {
        return copy(skAi);
    }

    /** SK_ar: integrity key for messages from the original responder; empty with AEAD. */
    public byte[] skAr() {
        return copy(skAr);
    }

    /** SK_ei: encryption key (+ salt) for messages from the original initiator. */
    public byte[] skEi() {
        return copy(skEi);
    }

    /** SK_er: encryption key (+ salt) for messages from the original responder. */
    public byte[] skEr() {
        return copy(skEr);
    }

    /** SK_pi: key for the initiator's AUTH (§2.15). */
    public byte[] skPi() {
        return copy(skPi);
    }

    /** SK_pr: key for the responder's AUTH (§2.15). */
    public byte[] skPr() {
        return copy(skPr);
    }

    @Override
    public void destroy() {
        for (byte[] k : new byte[][] {skD, skAi, skAr, skEi, skEr, skPi, skPr}) {
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
        return "IkeSaKeys[SK_d " + skD.length + ", SK_a " + skAi.length + ", SK_e " + skEi.length + ", SK_p "
                + skPi.length + " bytes" + (destroyed ? ", destroyed" : "") + "]";
    }
}
