package io.ipsecmesh.crypto;

/**
 * ESP encryption transforms, named as strongSwan names them, with their IKEv2 transform IDs
 * (IANA "Transform Type 1 - Encryption Algorithm Transform IDs").
 *
 * <p>Key lengths are in bytes and exclude the salt: the keying material an SA needs is
 * {@link #keyMaterialLength()} = key + salt (RFC 4106 §8.1, RFC 7634 §4: the salt is the last
 * four bytes of the keying material, as in Linux {@code rfc4106(gcm(aes))} keys).
 */
public enum EncryptionAlgorithm {
    /** RFC 2410: no confidentiality; only valid together with an integrity algorithm. */
    NULL("null", 11, 0, 0, 4, 0, 0, false, false),
    /** RFC 3602. */
    AES_CBC_128("aes128", 12, 16, 16, 16, 0, 0, false, false),
    /** RFC 3602. */
    AES_CBC_256("aes256", 12, 32, 16, 16, 0, 0, false, false),
    /** RFC 2451; legacy, refused unless explicitly allowed, and flagged by every compliance profile. */
    TRIPLE_DES_CBC("3des", 3, 24, 8, 8, 0, 0, false, true),
    /** RFC 4106 with a 16-byte ICV. */
    AES_GCM_16_128("aes128gcm16", 20, 16, 8, 4, 4, 16, true, false),
    /** RFC 4106 with a 16-byte ICV. */
    AES_GCM_16_256("aes256gcm16", 20, 32, 8, 4, 4, 16, true, false),
    /** RFC 7634. */
    CHACHA20_POLY1305("chacha20poly1305", 28, 32, 8, 4, 4, 16, true, false);

    private final String keyword;
    private final int ikeTransformId;
    private final int keyLength;
    private final int ivLength;
    private final int blockSize;
    private final int saltLength;
    private final int aeadIcvLength;
    private final boolean aead;
    private final boolean legacy;

    EncryptionAlgorithm(String keyword, int ikeTransformId, int keyLength, int ivLength, int blockSize,
                        int saltLength, int aeadIcvLength, boolean aead, boolean legacy) {
        this.keyword = keyword;
        this.ikeTransformId = ikeTransformId;
        this.keyLength = keyLength;
        this.ivLength = ivLength;
        this.blockSize = blockSize;
        this.saltLength = saltLength;
        this.aeadIcvLength = aeadIcvLength;
        this.aead = aead;
        this.legacy = legacy;
    }

    /** strongSwan proposal keyword, e.g. {@code aes128gcm16}. */
    public String keyword() { return keyword; }

    public int ikeTransformId() { return ikeTransformId; }

    /** Cipher key length in bytes, without salt. */
    public int keyLength() { return keyLength; }

    /** Explicit IV carried in each ESP packet, in bytes. */
    public int ivLength() { return ivLength; }

    /** Alignment of the plaintext (payload + padding + pad length + next header), at least 4. */
    public int blockSize() { return blockSize; }

    public int saltLength() { return saltLength; }

    /** Key + salt, in bytes: what an SA's encryption key must hold. */
    public int keyMaterialLength() { return keyLength + saltLength; }

    /** ICV length of a combined-mode (AEAD) algorithm; 0 for the others. */
    public int aeadIcvLength() { return aeadIcvLength; }

    public boolean isAead() { return aead; }

    /** Legacy algorithms are refused unless the configuration enables them explicitly. */
    public boolean isLegacy() { return legacy; }

    /** Looks up a strongSwan keyword such as {@code aes256gcm16}; throws with the accepted list. */
    public static EncryptionAlgorithm fromKeyword(String keyword) {
        for (EncryptionAlgorithm a : values()) {
            if (a.keyword.equalsIgnoreCase(keyword)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown encryption algorithm '" + keyword + "', expected one of "
                + java.util.Arrays.stream(values()).map(EncryptionAlgorithm::keyword).toList());
    }
}
