package io.ipsecmesh.ike;

import io.ipsecmesh.crypto.RawSecretKey;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.Mac;

/**
 * IKEv2 pseudorandom functions (RFC 4868 §2.1.2), named as strongSwan names them, with their
 * IKEv2 transform IDs (IANA "Transform Type 2 - Pseudorandom Function Transform IDs"), and
 * the {@code prf} and {@code prf+} of RFC 7296 §2.13.
 *
 * <p>HMAC takes keys of any length (longer than the block they are hashed first, RFC 2104
 * §2), which SKEYSEED = prf(Ni | Nr, g^ir) relies on; the preferred key length, the length
 * of SK_d, SK_pi and SK_pr (§2.14), is the output length (RFC 4868 §2.1.2).
 */
public enum PrfAlgorithm {
    HMAC_SHA2_256("prfsha256", 5, "HmacSHA256", 32),
    HMAC_SHA2_384("prfsha384", 6, "HmacSHA384", 48),
    HMAC_SHA2_512("prfsha512", 7, "HmacSHA512", 64);

    /** prf+ counts its blocks in one octet (RFC 7296 §2.13). */
    public static final int MAX_PRF_PLUS_BLOCKS = 255;

    private final String keyword;
    private final int ikeTransformId;
    private final String jceName;
    private final int outputLength;

    PrfAlgorithm(String keyword, int ikeTransformId, String jceName, int outputLength) {
        this.keyword = keyword;
        this.ikeTransformId = ikeTransformId;
        this.jceName = jceName;
        this.outputLength = outputLength;
    }

    public String keyword() {
        return keyword;
    }

    public int ikeTransformId() {
        return ikeTransformId;
    }

    public String jceName() {
        return jceName;
    }

    /** Output length in bytes. */
    public int outputLength() {
        return outputLength;
    }

    /** Preferred key length in bytes: the output length. */
    public int keyLength() {
        return outputLength;
    }

    /** The longest prf+ output: 255 blocks. */
    public int maxPrfPlusLength() {
        return MAX_PRF_PLUS_BLOCKS * outputLength;
    }

    public static Optional<PrfAlgorithm> fromTransformId(int id) {
        for (PrfAlgorithm a : values()) {
            if (a.ikeTransformId == id) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** prf(key, data[0] | data[1] | ...). */
    public byte[] prf(byte[] key, byte[]... data) {
        Mac mac = mac(key);
        for (byte[] d : data) {
            mac.update(d);
        }
        return mac.doFinal();
    }

    /**
     * prf+(key, seed) truncated to {@code length} bytes (RFC 7296 §2.13):
     * T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n), output T1 | T2 | ...
     *
     * @param seed concatenated in order to form S
     * @throws IllegalArgumentException if {@code length} needs more than 255 blocks
     */
    public byte[] prfPlus(byte[] key, int length, byte[]... seed) {
        if (length < 0 || length > maxPrfPlusLength()) {
            throw new IllegalArgumentException("prf+ output of " + length + " bytes, " + this + " gives at most "
                    + maxPrfPlusLength());
        }
        Mac mac = mac(key);
        byte[] out = new byte[length];
        byte[] t = new byte[0];
        int filled = 0;
        for (int n = 1; filled < length; n++) {
            mac.update(t);
            for (byte[] s : seed) {
                mac.update(s);
            }
            mac.update((byte) n);
            Arrays.fill(t, (byte) 0);
            t = mac.doFinal();
            int take = Math.min(t.length, length - filled);
            System.arraycopy(t, 0, out, filled, take);
            filled += take;
        }
        Arrays.fill(t, (byte) 0);
        return out;
    }

    private Mac mac(byte[] key) {
        RawSecretKey k = new RawSecretKey(key, 0, key.length, jceName);
        try {
            Mac mac = Mac.getInstance(jceName);
            mac.init(k);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(jceName + " is not available", e);
        } finally {
            k.destroy();
        }
    }
}
