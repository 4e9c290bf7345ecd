package io.ipsecmesh.ike;

import java.security.Key;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The signature algorithms ipsec-mesh signs and verifies with RFC 7427 Digital Signature
 * authentication (auth method 14), each with the DER AlgorithmIdentifier that goes into the
 * AUTH data, the JCE algorithm that computes it, the key it needs and the hash it announces
 * in SIGNATURE_HASH_ALGORITHMS.
 *
 * <p>The AlgorithmIdentifier octets are those of RFC 7427 Appendix A (A.1.3
 * sha256WithRSAEncryption, A.3.1 ecdsa-with-sha256, A.3.2 ecdsa-with-sha384, A.4.3 RSASSA-PSS
 * with SHA-256: hash SHA-256, MGF1 with SHA-256, salt length 32, trailer field default).
 * {@code SignatureAlgorithmTest} rebuilds each from its OIDs (RFC 5758 §3.2, RFC 4055 §3.1,
 * §5, §6) with an independent DER encoder and compares.
 *
 * <p>Key policy (ipsec-mesh's, stricter than RFC 7427, which leaves the curve free): ECDSA with
 * SHA-256 only on P-256 and with SHA-384 only on P-384; RSA keys of at least
 * {@value #MIN_RSA_BITS} bits.
 */
public enum SignatureAlgorithm {
    /** ecdsa-with-SHA256 (1.2.840.10045.4.3.2), parameters absent; DER ECDSA-Sig-Value. */
    ECDSA_SHA256_P256("300a06082a8648ce3d040302", "SHA256withECDSA", null, "secp256r1",
            SignatureHashAlgorithm.SHA2_256),
    /** ecdsa-with-SHA384 (1.2.840.10045.4.3.3), parameters absent; DER ECDSA-Sig-Value. */
    ECDSA_SHA384_P384("300a06082a8648ce3d040303", "SHA384withECDSA", null, "secp384r1",
            SignatureHashAlgorithm.SHA2_384),
    /** id-RSASSA-PSS (1.2.840.113549.1.1.10) with SHA-256, MGF1-SHA-256, salt 32, trailer 1. */
    RSASSA_PSS_SHA256("3041"
            + "06092a864886f70d01010a"
            + "3034"
            + "a00f300d06096086480165030402010500"
            + "a11c301a06092a864886f70d010108300d06096086480165030402010500"
            + "a203020120",
            "RSASSA-PSS", new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32,
                    PSSParameterSpec.TRAILER_FIELD_BC), null, SignatureHashAlgorithm.SHA2_256),
    /** sha256WithRSAEncryption (1.2.840.113549.1.1.11), NULL parameters; RSASSA-PKCS1-v1_5. */
    RSA_PKCS1_SHA256("300d06092a864886f70d01010b0500", "SHA256withRSA", null, null,
            SignatureHashAlgorithm.SHA2_256);

    /** Smallest RSA modulus accepted for signing or verifying. */
    public static final int MIN_RSA_BITS = 2048;

    private final byte[] algorithmIdentifier;
    private final String jceName;
    private final AlgorithmParameterSpec parameters;
    private final String curve;
    private final SignatureHashAlgorithm hash;

    SignatureAlgorithm(String algorithmIdentifierHex, String jceName, AlgorithmParameterSpec parameters, String curve,
                       SignatureHashAlgorithm hash) {
        this.algorithmIdentifier = HexFormat.of().parseHex(algorithmIdentifierHex);
        this.jceName = jceName;
        this.parameters = parameters;
        this.curve = curve;
        this.hash = hash;
    }

    /** The DER AlgorithmIdentifier (a copy). */
    public byte[] algorithmIdentifier() {
        return algorithmIdentifier.clone();
    }

    int algorithmIdentifierLength() {
        return algorithmIdentifier.length;
    }

    boolean algorithmIdentifierEquals(byte[] buf, int off, int len) {
        return java.util.Arrays.equals(algorithmIdentifier, 0, algorithmIdentifier.length, buf, off, off + len);
    }

    public String jceName() {
        return jceName;
    }

    /** Parameters to set on the JCE {@code Signature}, or null. */
    AlgorithmParameterSpec parameters() {
        return parameters;
    }

    /** The hash announced in SIGNATURE_HASH_ALGORITHMS (RFC 7427 §4). */
    public SignatureHashAlgorithm hash() {
        return hash;
    }

    public boolean isEcdsa() {
        return curve != null;
    }

    /** The algorithm whose AlgorithmIdentifier is exactly these octets. */
    public static Optional<SignatureAlgorithm> fromAlgorithmIdentifier(byte[] buf, int off, int len) {
        for (SignatureAlgorithm a : values()) {
            if (a.algorithmIdentifierEquals(buf, off, len)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /**
     * Why this key cannot be used with this algorithm, or null if it can: an EC key on the
     * algorithm's curve for ECDSA, an RSA key of at least {@value #MIN_RSA_BITS} bits for RSA.
     */
    String keyMismatch(Key key) {
        if (key == null) {
            return "no key";
        }
        if (curve != null) {
            if (!(key instanceof ECKey ec)) {
                return this + " needs an EC key, got " + key.getAlgorithm();
            }
            return sameCurve(ec.getParams(), namedCurve(curve)) ? null : this + " needs a " + curve + " key";
        }
        if (!(key instanceof RSAKey rsa)) {
            return this + " needs an RSA key, got " + key.getAlgorithm();
        }
        int bits = rsa.getModulus().bitLength();
        return bits >= MIN_RSA_BITS ? null : this + " needs an RSA key of at least " + MIN_RSA_BITS + " bits, got "
                + bits;
    }

    static ECParameterSpec namedCurve(String name) {
        return EcProvider.namedCurve(name);
    }

    static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
        return a != null && a.getCurve().equals(b.getCurve()) && a.getGenerator().equals(b.getGenerator())
                && a.getOrder().equals(b.getOrder()) && a.getCofactor() == b.getCofactor();
    }
}
