package io.ipsecmesh.crypto;

/**
 * ESP/AH integrity transforms (RFC 4868), named as strongSwan names them, with their IKEv2
 * transform IDs (IANA "Transform Type 3 - Integrity Algorithm Transform IDs").
 */
public enum IntegrityAlgorithm {
    /** Used with AEAD encryption, which carries its own ICV. */
    NONE("none", 0, 0, 0, null),
    HMAC_SHA2_256_128("sha256", 12, 32, 16, "HmacSHA256"),
    HMAC_SHA2_384_192("sha384", 13, 48, 24, "HmacSHA384"),
    HMAC_SHA2_512_256("sha512", 14, 64, 32, "HmacSHA512");

    private final String keyword;
    private final int ikeTransformId;
    private final int keyLength;
    private final int icvLength;
    private final String jceName;

    IntegrityAlgorithm(String keyword, int ikeTransformId, int keyLength, int icvLength, String jceName) {
        this.keyword = keyword;
        this.ikeTransformId = ikeTransformId;
        this.keyLength = keyLength;
        this.icvLength = icvLength;
        this.jceName = jceName;
    }

    public String keyword() { return keyword; }

    public int ikeTransformId() { return ikeTransformId; }

    /** Key length in bytes (RFC 4868 §2.1.1: the hash output length). */
    public int keyLength() { return keyLength; }

    /** Truncated ICV length in bytes (RFC 4868 §2.3: half the hash output). */
    public int icvLength() { return icvLength; }

    /** JCE {@code Mac} algorithm name; null for {@link #NONE}. */
    public String jceName() { return jceName; }

    public static IntegrityAlgorithm fromKeyword(String keyword) {
        for (IntegrityAlgorithm a : values()) {
            if (a.keyword.equalsIgnoreCase(keyword)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown integrity algorithm '" + keyword + "', expected one of "
                + java.util.Arrays.stream(values()).map(IntegrityAlgorithm::keyword).toList());
    }
}
