package io.ipsecmesh.ike;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECKey;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Signature authentication of IKEv2 over the signed octets of {@link IkeAuth}.
 *
 * <p><b>Digital Signature, auth method 14 (RFC 7427 §3).</b> The authentication data is
 * <pre>
 *   one octet: length of the AlgorithmIdentifier | DER AlgorithmIdentifier | signature value
 * </pre>
 * with the signature value as the algorithm defines it: the DER ECDSA-Sig-Value for
 * ecdsa-with-SHA* (what JCE "SHAxxxwithECDSA" produces), the octet string of the modulus
 * length for RSA. Verification reads the length octet and the AlgorithmIdentifier, accepts it
 * only if it is byte for byte one of the {@link SignatureAlgorithm} encodings, in the caller's
 * allowed set and fitting the peer's public key, and then verifies the signature.
 *
 * <p><b>Classic ECDSA, auth methods 9, 10 and 11 (RFC 4754 §3, §7, §8).</b> The
 * authentication data is r | s, each left-padded to the curve's coordinate length (32, 48 and
 * 66 octets); the JCE's "SHAxxxwithECDSAinP1363Format" signatures are exactly this encoding, so
 * no DER conversion is hand-written here.
 */
public final class DigitalSignatureAuth {

    /** ECDSA with SHA-384 on the P-384 curve (RFC 4754). */
    public static final int ECDSA_SHA384_P384 = 10;
    /** ECDSA with SHA-512 on the P-521 curve (RFC 4754). */
    public static final int ECDSA_SHA512_P521 = 11;

    private DigitalSignatureAuth() {
    }

    /** The RFC 4754 methods: auth method number, curve, hash and r/s length. */
    public enum ClassicEcdsa {
        SHA256_P256(AuthPayload.ECDSA_SHA256_P256, "secp256r1", "SHA256withECDSAinP1363Format", 32),
        SHA384_P384(ECDSA_SHA384_P384, "secp384r1", "SHA384withECDSAinP1363Format", 48),
        SHA512_P521(ECDSA_SHA512_P521, "secp521r1", "SHA512withECDSAinP1363Format", 66);

        private final int method;
        private final String curve;
        private final String jceName;
        private final int coordinateLength;

        ClassicEcdsa(int method, String curve, String jceName, int coordinateLength) {
            this.method = method;
            this.curve = curve;
            this.jceName = jceName;
            this.coordinateLength = coordinateLength;
        }

        public int method() {
            return method;
        }

        /** Length of r and of s in octets; the AUTH data is twice this. */
        public int coordinateLength() {
            return coordinateLength;
        }

        public static Optional<ClassicEcdsa> ofMethod(int method) {
            for (ClassicEcdsa c : values()) {
                if (c.method == method) {
                    return Optional.of(c);
                }
            }
            return Optional.empty();
        }

        String keyMismatch(java.security.Key key) {
            if (!(key instanceof ECKey ec)) {
                return "auth method " + method + " needs an EC key, got " + (key == null ? "none" : key.getAlgorithm());
            }
            return SignatureAlgorithm.sameCurve(ec.getParams(), SignatureAlgorithm.namedCurve(curve)) ? null
                    : "auth method " + method + " needs a " + curve + " key";
        }
    }

    // ---------------------------------------------------------------- RFC 7427, method 14

    /**
     * Signs the signed octets and returns the AUTH payload (method 14).
     *
     * @throws IllegalArgumentException if the key does not fit the algorithm
     */
    public static AuthPayload sign(SignatureAlgorithm algorithm, PrivateKey key, byte[] signedOctets) {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(signedOctets, "signedOctets");
        String mismatch = algorithm.keyMismatch(key);
        if (mismatch != null) {
            throw new IllegalArgumentException(mismatch);
        }
        byte[] signature;
        try {
            Signature s = algorithm.isEcdsa() ? Signature.getInstance(algorithm.jceName(), EcProvider.get())
                    : Signature.getInstance(algorithm.jceName());
            if (algorithm.parameters() != null) {
                s.setParameter(algorithm.parameters());
            }
            s.initSign(key);
            s.update(signedOctets);
            signature = s.sign();
        } catch (InvalidKeyException e) {
            throw new IllegalArgumentException(algorithm + " cannot sign with this key", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(algorithm.jceName() + " is not available", e);
        }
        return new AuthPayload(AuthPayload.DIGITAL_SIGNATURE, authData(algorithm, signature));
    }

    /** Length octet | AlgorithmIdentifier | signature (RFC 7427 §3). */
    public static byte[] authData(SignatureAlgorithm algorithm, byte[] signature) {
        int n = algorithm.algorithmIdentifierLength();
        byte[] out = new byte[1 + n + signature.length];
        out[0] = (byte) n;
        System.arraycopy(algorithm.algorithmIdentifier(), 0, out, 1, n);
        System.arraycopy(signature, 0, out, 1 + n, signature.length);
        return out;
    }

    /**
     * Verifies a method-14 AUTH payload against the peer's public key.
     *
     * @param allowed the algorithms this side accepts from the peer
     * @return the algorithm the peer signed with
     * @throws IkeAuthException if the method is not 14, the data is truncated, the
     *                          AlgorithmIdentifier is unknown, not allowed or does not fit the
     *                          key, or the signature does not verify
     */
    public static SignatureAlgorithm verify(AuthPayload auth, PublicKey peerKey, byte[] signedOctets,
                                            Set<SignatureAlgorithm> allowed) throws IkeAuthException {
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(signedOctets, "signedOctets");
        Objects.requireNonNull(allowed, "allowed");
        if (auth.method() != AuthPayload.DIGITAL_SIGNATURE) {
            throw new IkeAuthException("expected AUTH method " + AuthPayload.DIGITAL_SIGNATURE
                    + " (digital signature), got " + auth.method());
        }
        byte[] d = auth.authenticationData();
        int idLen = d[0] & 0xff;
        if (idLen == 0) {
            throw new IkeAuthException("digital signature AUTH with an empty AlgorithmIdentifier");
        }
        if (d.length <= 1 + idLen) {
            throw new IkeAuthException("digital signature AUTH truncated: " + d.length
                    + " octets, AlgorithmIdentifier of " + idLen + " and a signature need more");
        }
        SignatureAlgorithm algorithm = SignatureAlgorithm.fromAlgorithmIdentifier(d, 1, idLen)
                .orElseThrow(() -> new IkeAuthException("unsupported signature AlgorithmIdentifier of " + idLen
                        + " octets"));
        if (!allowed.contains(algorithm)) {
            throw new IkeAuthException("signature algorithm " + algorithm + " is not allowed");
        }
        String mismatch = algorithm.keyMismatch(peerKey);
        if (mismatch != null) {
            throw new IkeAuthException("peer key does not fit: " + mismatch);
        }
        byte[] signature = Arrays.copyOfRange(d, 1 + idLen, d.length);
        checkSignature(algorithm.jceName(), algorithm.parameters(), peerKey, signedOctets, signature,
                algorithm.toString());
        return algorithm;
    }

    // ---------------------------------------------------------------- RFC 4754, methods 9-11

    /** Signs with a classic ECDSA method (RFC 4754): AUTH data r | s of fixed length. */
    public static AuthPayload signClassic(ClassicEcdsa method, PrivateKey key, byte[] signedOctets) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(signedOctets, "signedOctets");
        String mismatch = method.keyMismatch(key);
        if (mismatch != null) {
            throw new IllegalArgumentException(mismatch);
        }
        try {
            Signature s = Signature.getInstance(method.jceName);
            s.initSign(key);
            s.update(signedOctets);
            byte[] rs = s.sign();
            if (rs.length != 2 * method.coordinateLength) {
                throw new IllegalStateException(method.jceName + " gave " + rs.length + " octets");
            }
            return new AuthPayload(method.method, rs);
        } catch (InvalidKeyException e) {
            throw new IllegalArgumentException(method + " cannot sign with this key", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(method.jceName + " is not available", e);
        }
    }

    /**
     * Verifies a classic ECDSA AUTH payload (method 9, 10 or 11).
     *
     * @param allowed the classic methods this side accepts
     * @return the method the peer used
     * @throws IkeAuthException if the method is not allowed, r | s has the wrong length, the key
     *                          is not on the method's curve or the signature does not verify
     */
    public static ClassicEcdsa verifyClassic(AuthPayload auth, PublicKey peerKey, byte[] signedOctets,
                                             Set<ClassicEcdsa> allowed) throws IkeAuthException {
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(signedOctets, "signedOctets");
        Objects.requireNonNull(allowed, "allowed");
        ClassicEcdsa method = ClassicEcdsa.ofMethod(auth.method()).filter(allowed::contains)
                .orElseThrow(() -> new IkeAuthException("AUTH method " + auth.method() + " is not allowed"));
        byte[] rs = auth.authenticationData();
        if (rs.length != 2 * method.coordinateLength) {
            throw new IkeAuthException("AUTH method " + method.method + " needs r | s of "
                    + 2 * method.coordinateLength + " octets, got " + rs.length);
        }
        String mismatch = method.keyMismatch(peerKey);
        if (mismatch != null) {
            throw new IkeAuthException("peer key does not fit: " + mismatch);
        }
        checkSignature(method.jceName, null, peerKey, signedOctets, rs, method.toString());
        return method;
    }

    private static void checkSignature(String jceName, java.security.spec.AlgorithmParameterSpec params,
                                       PublicKey key, byte[] data, byte[] signature, String name)
            throws IkeAuthException {
        boolean ok;
        try {
            // DER-encoded ECDSA (RFC 7427) verifies on Bouncy Castle (fast P-256/P-384);
            // the P1363 names of the classic methods exist only in the JDK.
            Signature s = jceName.endsWith("withECDSA") ? Signature.getInstance(jceName, EcProvider.get())
                    : Signature.getInstance(jceName);
            if (params != null) {
                s.setParameter(params);
            }
            s.initVerify(key);
            s.update(data);
            ok = s.verify(signature);
        } catch (InvalidKeyException e) {
            throw new IkeAuthException(name + " cannot verify with the peer key", e);
        } catch (SignatureException e) {
            throw new IkeAuthException(name + " signature is malformed", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(jceName + " is not available", e);
        }
        if (!ok) {
            throw new IkeAuthException(name + " signature does not verify");
        }
    }
}
