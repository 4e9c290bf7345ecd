package io.ipsecmesh.ike;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.KeyAgreement;
import javax.crypto.interfaces.DHPublicKey;
import javax.crypto.spec.DHParameterSpec;
import javax.crypto.spec.DHPublicKeySpec;

/**
 * IKEv2 key exchange groups (IANA "Transform Type 4 - Key Exchange Method Transform IDs"),
 * through the JCE:
 * <ul>
 *   <li>{@link #MODP_2048}, group 14: RFC 3526 §3 prime, generator 2. The KE data is the
 *       public value g^x mod p as a big-endian octet string left-padded to the prime's length
 *       (RFC 7296 §3.4). A peer value must satisfy 1 &lt; y &lt; p-1; for a safe prime that
 *       check suffices (RFC 6989 §2.1). The private exponent is 256 bits (twice the group's
 *       ~110-bit strength, RFC 3526 §8).</li>
 *   <li>{@link #ECP_256} (19) and {@link #ECP_384} (20): RFC 5903. The KE data is x | y, each
 *       big-endian and the field's length, with no point-format octet (§7); the peer point is
 *       checked to lie on the curve (both curves have cofactor 1, so that is the full public
 *       key validation of RFC 6989 §2.3). The shared secret is the x coordinate of the shared
 *       point only (§7).</li>
 *   <li>{@link #CURVE25519} (31): RFC 8031, X25519 of RFC 7748. The KE data is the 32-byte
 *       little-endian u coordinate (RFC 8031 §2); its top bit is masked on receipt (RFC 7748
 *       §5). An all-zero shared secret is refused (RFC 8031 §2).</li>
 * </ul>
 *
 * <p>Every shared secret g^ir is the fixed-length octet string RFC 7296 §2.14 wants, of
 * {@link #sharedSecretLength()} bytes. Peer data that is malformed or fails validation raises
 * {@link IkeParseException} with INVALID_SYNTAX (RFC 7296 §3.4: a KE payload of the wrong
 * length; RFC 6989 §2: an invalid public value), whose message never carries key material.
 */
public enum KeyExchangeGroup {
    /** 2048-bit MODP group (RFC 3526 §3). */
    MODP_2048(14, "modp2048", 256, 256),
    /** 256-bit random ECP group, NIST P-256 (RFC 5903 §3.1). */
    ECP_256(19, "ecp256", 64, 32),
    /** 384-bit random ECP group, NIST P-384 (RFC 5903 §3.2). */
    ECP_384(20, "ecp384", 96, 48),
    /** Curve25519 (RFC 8031, RFC 7748). */
    CURVE25519(31, "curve25519", 32, 32);

    /** RFC 3526 §3, the 2048-bit MODP group's prime: 2^2048 - 2^1984 - 1 + 2^64 * ([2^1918 pi] + 124476). */
    static final BigInteger MODP_2048_PRIME = new BigInteger(
            "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
            + "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
            + "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
            + "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
            + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
            + "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
            + "83655D23DCA3AD961C62F356208552BB9ED529077096966D"
            + "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
            + "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9"
            + "DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
            + "15728E5A8AACAA68FFFFFFFFFFFFFFFF", 16);
    static final BigInteger MODP_2048_GENERATOR = BigInteger.TWO;
    /** Private exponent length in bits for the MODP group. */
    static final int MODP_PRIVATE_BITS = 256;
    /** 2^255 - 19, the field prime of Curve25519 (RFC 7748 §4.1). */
    static final BigInteger CURVE25519_PRIME = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));

    private final int transformId;
    private final String keyword;
    private final int publicValueLength;
    private final int sharedSecretLength;

    KeyExchangeGroup(int transformId, String keyword, int publicValueLength, int sharedSecretLength) {
        this.transformId = transformId;
        this.keyword = keyword;
        this.publicValueLength = publicValueLength;
        this.sharedSecretLength = sharedSecretLength;
    }

    /** IKEv2 Transform Type 4 ID, also the KE payload's group number. */
    public int transformId() {
        return transformId;
    }

    /** strongSwan proposal keyword, e.g. {@code ecp256}. */
    public String keyword() {
        return keyword;
    }

    /** Length in bytes of the KE payload's key exchange data. */
    public int publicValueLength() {
        return publicValueLength;
    }

    /** Length in bytes of the shared secret g^ir. */
    public int sharedSecretLength() {
        return sharedSecretLength;
    }

    /** The group with this Transform Type 4 ID, if supported. */
    public static Optional<KeyExchangeGroup> fromTransformId(int id) {
        for (KeyExchangeGroup g : values()) {
            if (g.transformId == id) {
                return Optional.of(g);
            }
        }
        return Optional.empty();
    }

    /** Looks up a strongSwan keyword such as {@code curve25519}; throws with the accepted list. */
    public static KeyExchangeGroup fromKeyword(String keyword) {
        for (KeyExchangeGroup g : values()) {
            if (g.keyword.equalsIgnoreCase(keyword)) {
                return g;
            }
        }
        throw new IllegalArgumentException("unknown key exchange group '" + keyword + "', expected one of "
                + Arrays.stream(values()).map(KeyExchangeGroup::keyword).toList());
    }

    /**
     * A fresh ephemeral key pair of this group drawn from {@code random}.
     *
     * @throws IllegalStateException if the JCE lacks the group
     */
    public KeyExchange generate(SecureRandom random) {
        Objects.requireNonNull(random, "random");
        try {
            KeyPairGenerator kpg = isEc() ? KeyPairGenerator.getInstance(keyPairAlgorithm(), EcProvider.get())
                    : KeyPairGenerator.getInstance(keyPairAlgorithm());
            switch (this) {
                case MODP_2048 -> kpg.initialize(
                        new DHParameterSpec(MODP_2048_PRIME, MODP_2048_GENERATOR, MODP_PRIVATE_BITS), random);
                case ECP_256, ECP_384 -> kpg.initialize(new ECGenParameterSpec(curveName()), random);
                case CURVE25519 -> kpg.initialize(NamedParameterSpec.X25519, random);
            }
            return new KeyExchange(this, kpg.generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JCE cannot generate " + keyword + " keys", e);
        }
    }

    /**
     * Wraps an existing key pair of this group (fixed keys, as in known-answer tests).
     *
     * @throws IllegalArgumentException if the keys are not of this group
     */
    KeyExchange fromKeyPair(KeyPair keyPair) {
        PublicKey pub = keyPair.getPublic();
        PrivateKey priv = keyPair.getPrivate();
        boolean ok = switch (this) {
            case MODP_2048 -> pub instanceof DHPublicKey d && d.getParams().getP().equals(MODP_2048_PRIME)
                    && d.getParams().getG().equals(MODP_2048_GENERATOR)
                    && priv instanceof javax.crypto.interfaces.DHPrivateKey;
            case ECP_256, ECP_384 -> pub instanceof ECPublicKey e && sameCurve(e.getParams())
                    && priv instanceof java.security.interfaces.ECPrivateKey;
            case CURVE25519 -> pub instanceof XECPublicKey x && x.getParams() instanceof NamedParameterSpec n
                    && n.getName().equalsIgnoreCase("X25519") && priv instanceof java.security.interfaces.XECPrivateKey;
        };
        if (!ok) {
            throw new IllegalArgumentException("key pair is not of group " + keyword);
        }
        return new KeyExchange(this, keyPair);
    }

    String keyPairAlgorithm() {
        return switch (this) {
            case MODP_2048 -> "DH";
            case ECP_256, ECP_384 -> "EC";
            case CURVE25519 -> "XDH";
        };
    }

    /** ECP groups run on {@link EcProvider}; MODP and Curve25519 on the JDK. */
    private boolean isEc() {
        return this == ECP_256 || this == ECP_384;
    }

    String keyAgreementAlgorithm() {
        return switch (this) {
            case MODP_2048 -> "DH";
            case ECP_256, ECP_384 -> "ECDH";
            case CURVE25519 -> "X25519";
        };
    }

    private String curveName() {
        return switch (this) {
            case ECP_256 -> "secp256r1";
            case ECP_384 -> "secp384r1";
            default -> throw new IllegalStateException(keyword + " is not an ECP group");
        };
    }

    /** The curve's JCE parameters (ECP groups only). */
    ECParameterSpec ecParameters() {
        return EcProvider.namedCurve(curveName());
    }

    private boolean sameCurve(ECParameterSpec spec) {
        ECParameterSpec mine = ecParameters();
        return spec.getCurve().equals(mine.getCurve()) && spec.getGenerator().equals(mine.getGenerator())
                && spec.getOrder().equals(mine.getOrder()) && spec.getCofactor() == mine.getCofactor();
    }

    /** The KE payload's key exchange data for a public key of this group. */
    byte[] encodePublicValue(PublicKey key) {
        return switch (this) {
            case MODP_2048 -> toFixedBigEndian(((DHPublicKey) key).getY(), publicValueLength);
            case ECP_256, ECP_384 -> {
                ECPoint w = ((ECPublicKey) key).getW();
                int n = sharedSecretLength;
                byte[] out = new byte[2 * n];
                System.arraycopy(toFixedBigEndian(w.getAffineX(), n), 0, out, 0, n);
                System.arraycopy(toFixedBigEndian(w.getAffineY(), n), 0, out, n, n);
                yield out;
            }
            case CURVE25519 -> reverse(toFixedBigEndian(((XECPublicKey) key).getU(), publicValueLength));
        };
    }

    /**
     * Decodes and validates a peer's key exchange data.
     *
     * @throws IkeParseException (INVALID_SYNTAX) for a wrong length or an invalid public value
     */
    PublicKey decodePublicValue(byte[] data) throws IkeParseException {
        Objects.requireNonNull(data, "data");
        if (data.length != publicValueLength) {
            throw new IkeParseException("KE data for group " + transformId + " (" + keyword + ") must be "
                    + publicValueLength + " bytes, got " + data.length + " (RFC 7296 §3.4)");
        }
        try {
            switch (this) {
                case MODP_2048 -> {
                    BigInteger y = new BigInteger(1, data);
                    if (y.compareTo(BigInteger.ONE) <= 0
                            || y.compareTo(MODP_2048_PRIME.subtract(BigInteger.ONE)) >= 0) {
                        throw new IkeParseException("MODP public value out of range: need 1 < y < p-1 (RFC 6989 §2.1)");
                    }
                    return KeyFactory.getInstance("DH").generatePublic(
                            new DHPublicKeySpec(y, MODP_2048_PRIME, MODP_2048_GENERATOR));
                }
                case ECP_256, ECP_384 -> {
                    int n = sharedSecretLength;
                    BigInteger x = new BigInteger(1, Arrays.copyOfRange(data, 0, n));
                    BigInteger y = new BigInteger(1, Arrays.copyOfRange(data, n, 2 * n));
                    ECParameterSpec spec = ecParameters();
                    if (!onCurve(spec, x, y)) {
                        throw new IkeParseException("ECP public value for group " + transformId
                                + " is not a point on the curve (RFC 6989 §2.3)");
                    }
                    return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), spec));
                }
                case CURVE25519 -> {
                    byte[] le = data.clone();
                    le[31] &= 0x7f; // RFC 7748 §5: mask the most significant bit
                    BigInteger u = new BigInteger(1, reverse(le)).mod(CURVE25519_PRIME);
                    return KeyFactory.getInstance("XDH").generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, u));
                }
                default -> throw new IllegalStateException();
            }
        } catch (java.security.spec.InvalidKeySpecException e) {
            throw new IkeParseException("invalid public value for group " + transformId + " (" + keyword + ")");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("JCE lacks " + keyPairAlgorithm(), e);
        }
    }

    /** y^2 = x^3 + ax + b over GF(p), with 0 &lt;= x, y &lt; p. */
    private static boolean onCurve(ECParameterSpec spec, BigInteger x, BigInteger y) {
        BigInteger p = ((ECFieldFp) spec.getCurve().getField()).getP();
        if (x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
            return false;
        }
        BigInteger lhs = y.multiply(y).mod(p);
        BigInteger rhs = x.multiply(x).add(spec.getCurve().getA()).multiply(x).add(spec.getCurve().getB()).mod(p);
        return lhs.equals(rhs);
    }

    /**
     * g^ir from our private key and the peer's validated public key, as a fixed-length octet
     * string.
     */
    byte[] agree(PrivateKey mine, PublicKey peer) throws IkeParseException {
        byte[] raw;
        try {
            KeyAgreement ka = isEc() ? KeyAgreement.getInstance(keyAgreementAlgorithm(), EcProvider.get())
                    : KeyAgreement.getInstance(keyAgreementAlgorithm());
            ka.init(mine);
            ka.doPhase(peer, true);
            raw = ka.generateSecret();
        } catch (InvalidKeyException e) {
            // The JCE's own checks (e.g. a small-order X25519 point) refused the peer's value.
            throw new IkeParseException("key exchange with group " + transformId + " (" + keyword
                    + ") refused the peer's public value");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JCE cannot run " + keyAgreementAlgorithm(), e);
        }
        try {
            byte[] secret = fixLength(raw, sharedSecretLength);
            if (this == CURVE25519 && allZero(secret)) {
                Arrays.fill(secret, (byte) 0);
                throw new IkeParseException("X25519 shared secret is all zero: the peer sent a small-order point"
                        + " (RFC 8031 §2)");
            }
            return secret;
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    /** Left-pads (or, for a leading zero sign byte, trims) a big-endian octet string to {@code length}. */
    private static byte[] fixLength(byte[] raw, int length) {
        if (raw.length == length) {
            return raw.clone();
        }
        byte[] out = new byte[length];
        if (raw.length < length) {
            System.arraycopy(raw, 0, out, length - raw.length, raw.length);
            return out;
        }
        int excess = raw.length - length;
        for (int i = 0; i < excess; i++) {
            if (raw[i] != 0) {
                throw new IllegalStateException("shared secret longer than " + length + " bytes");
            }
        }
        System.arraycopy(raw, excess, out, 0, length);
        return out;
    }

    static byte[] toFixedBigEndian(BigInteger v, int length) {
        byte[] raw = v.toByteArray();
        try {
            return fixLength(raw, length);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
    }

    private static byte[] reverse(byte[] b) {
        for (int i = 0, j = b.length - 1; i < j; i++, j--) {
            byte t = b[i];
            b[i] = b[j];
            b[j] = t;
        }
        return b;
    }

    /** Constant-time all-zero test. */
    private static boolean allZero(byte[] b) {
        int acc = 0;
        for (byte x : b) {
            acc |= x;
        }
        return acc == 0;
    }
}
