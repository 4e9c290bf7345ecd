package io.ipsecmesh.crypto;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Factory of {@link EspCipher}s on the JDK's JCE, one implementation per family:
 * <ul>
 *   <li>AES-GCM-16 128/256 (RFC 4106) and ChaCha20-Poly1305 (RFC 7634): combined mode, the
 *       explicit IV is the 64-bit sequence number (these modes need IVs that are unique per
 *       key, not unpredictable), the salt is the last 4 bytes of the keying material;</li>
 *   <li>AES-CBC 128/256 (RFC 3602) and legacy 3DES-CBC (RFC 2451) with HMAC-SHA-256-128,
 *       HMAC-SHA-384-192 or HMAC-SHA-512-256 (RFC 4868): random IVs, encrypt-then-MAC, ICV
 *       checked before decryption;</li>
 *   <li>NULL (RFC 2410) with one of those HMACs: integrity only.</li>
 * </ul>
 * Whether a legacy algorithm may be used at all is policy, decided before this factory is
 * called (see {@link EspProposal#requireAllowed(boolean)}).
 */
public final class EspCiphers {

    private EspCiphers() {
    }

    /**
     * Creates the ESP transform of one SA in one direction. The keys are copied (the caller
     * should wipe its own copies); {@link EspCipher#close()} wipes the copies.
     *
     * @param enc            the encryption algorithm
     * @param encKeyWithSalt {@link EncryptionAlgorithm#keyMaterialLength()} bytes: the key,
     *                       followed for AES-GCM and ChaCha20-Poly1305 by the 4-byte salt
     *                       (RFC 4106 §8.1, RFC 7634 §4); empty or null for NULL
     * @param integ          {@link IntegrityAlgorithm#NONE} for the combined-mode algorithms
     *                       (they carry their own ICV, RFC 4303 §3.2), a real integrity
     *                       algorithm for all others (RFC 4303 §3.2: NULL encryption without
     *                       integrity is forbidden; CBC without integrity is not offered)
     * @param integKey       {@link IntegrityAlgorithm#keyLength()} bytes (RFC 4868 §2.1.1); empty
     *                       or null with {@link IntegrityAlgorithm#NONE}
     * @param random         the source of CBC IVs, which must be unpredictable (RFC 3602 §3):
     *                       a {@link java.security.SecureRandom} in production, a seeded
     *                       generator in tests; unused (may be null) for the other algorithms
     * @throws IllegalArgumentException for a wrong key length or a bad combination
     */
    public static EspCipher create(EncryptionAlgorithm enc, byte[] encKeyWithSalt, IntegrityAlgorithm integ,
                                   byte[] integKey, RandomGenerator random) {
        Objects.requireNonNull(enc, "encryption algorithm");
        Objects.requireNonNull(integ, "integrity algorithm");
        checkCombination(enc, integ);
        byte[] encKey = encKeyWithSalt == null ? new byte[0] : encKeyWithSalt;
        byte[] macKey = integKey == null ? new byte[0] : integKey;
        if (encKey.length != enc.keyMaterialLength()) {
            throw new IllegalArgumentException("encryption key for " + enc.keyword() + " must be " + enc.keyMaterialLength()
                    + " bytes" + (enc.saltLength() > 0 ? " (" + enc.keyLength() + " key + " + enc.saltLength() + " salt)" : "")
                    + ", got " + encKey.length);
        }
        if (macKey.length != integ.keyLength()) {
            throw new IllegalArgumentException("integrity key for " + integ.keyword() + " must be " + integ.keyLength()
                    + " bytes" + (integ == IntegrityAlgorithm.NONE ? "" : " (RFC 4868 §2.1.1)") + ", got " + macKey.length);
        }
        return switch (enc) {
            case AES_GCM_16_128, AES_GCM_16_256 -> new AesGcmEspCipher(enc, encKey);
            case CHACHA20_POLY1305 -> new ChaCha20Poly1305EspCipher(encKey);
            case AES_CBC_128, AES_CBC_256 -> new CbcHmacEspCipher(enc, encKey, integ, macKey, requireRandom(enc, random));
            case TRIPLE_DES_CBC -> {
                checkTripleDesKey(encKey);
                yield new CbcHmacEspCipher(enc, encKey, integ, macKey, requireRandom(enc, random));
            }
            case NULL -> new NullHmacEspCipher(integ, macKey);
        };
    }

    private static void checkCombination(EncryptionAlgorithm enc, IntegrityAlgorithm integ) {
        if (enc.isAead() && integ != IntegrityAlgorithm.NONE) {
            throw new IllegalArgumentException(enc.keyword() + " is a combined-mode algorithm with its own ICV; "
                    + "integrity must be none, got " + integ.keyword() + " (RFC 4303 §3.2)");
        }
        if (!enc.isAead() && integ == IntegrityAlgorithm.NONE) {
            throw new IllegalArgumentException(enc.keyword() + " needs an integrity algorithm (one of sha256, sha384, sha512)"
                    + (enc == EncryptionAlgorithm.NULL ? "; NULL encryption without integrity is forbidden (RFC 4303 §3.2)" : ""));
        }
    }

    private static RandomGenerator requireRandom(EncryptionAlgorithm enc, RandomGenerator random) {
        if (random == null) {
            throw new IllegalArgumentException(enc.keyword() + " needs a random generator for its IVs (RFC 3602 §3)");
        }
        return random;
    }

    /** Compares two DES keys ignoring the parity bit (the low bit of each byte, FIPS 46-3). */
    private static boolean sameDesKey(byte[] key, int a, int b) {
        int diff = 0;
        for (int i = 0; i < 8; i++) {
            diff |= (key[a + i] ^ key[b + i]) & 0xfe;
        }
        return diff == 0;
    }

    /**
     * A 3DES key whose first and second, or second and third, 8-byte parts are equal
     * degenerates to single DES; NIST SP 800-67 requires three distinct keys.
     */
    private static void checkTripleDesKey(byte[] key) {
        if (sameDesKey(key, 0, 8) || sameDesKey(key, 8, 16)) {
            throw new IllegalArgumentException("3des key parts must be distinct (equal parts reduce 3DES to single DES)");
        }
    }
}
