package io.ipsecmesh.crypto;

import java.util.Objects;

/**
 * Factory of {@link IntegrityMac}s: HMAC-SHA-256-128, HMAC-SHA-384-192 and HMAC-SHA-512-256
 * (RFC 4868) on a reused {@link javax.crypto.Mac} of the JDK, truncated to the leftmost half
 * of the hash output (RFC 4868 §2.3) and verified in constant time.
 */
public final class IntegrityMacs {

    private IntegrityMacs() {
    }

    /**
     * Creates a MAC for one SA and one direction; the key is copied (the caller should wipe
     * its own copy).
     *
     * @param key exactly {@link IntegrityAlgorithm#keyLength()} bytes: RFC 4868 §2.1.1 fixes
     *            the key length of HMAC-SHA-256/384/512 in IPsec to the hash output length
     * @throws IllegalArgumentException for {@link IntegrityAlgorithm#NONE} or a key of the
     *                                  wrong length
     */
    public static IntegrityMac create(IntegrityAlgorithm alg, byte[] key) {
        Objects.requireNonNull(alg, "integrity algorithm");
        if (alg == IntegrityAlgorithm.NONE) {
            throw new IllegalArgumentException("integrity algorithm 'none' has no MAC; expected one of sha256, sha384, sha512");
        }
        Objects.requireNonNull(key, "integrity key");
        if (key.length != alg.keyLength()) {
            throw new IllegalArgumentException("integrity key for " + alg.keyword() + " must be " + alg.keyLength()
                    + " bytes (RFC 4868 §2.1.1), got " + key.length);
        }
        return new HmacIntegrityMac(alg, key);
    }

    /**
     * Like {@link #create} but with a key of any non-zero length, as plain HMAC (RFC 2104)
     * allows. Only for test vectors such as RFC 4231 §4, whose keys are not IPsec-sized.
     */
    static HmacIntegrityMac createAnyKeyLength(IntegrityAlgorithm alg, byte[] key) {
        return new HmacIntegrityMac(alg, key);
    }
}
