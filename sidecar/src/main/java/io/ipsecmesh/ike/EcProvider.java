package io.ipsecmesh.ike;

import org.bouncycastle.jce.provider.BouncyCastleProvider;

import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JCE provider for elliptic-curve arithmetic on P-256 and P-384 (ECDH, ECDSA): Bouncy
 * Castle, whose special-form field arithmetic for these curves makes a point multiplication
 * several times cheaper than the JDK's generic one (measured here: ECDH 6.7 vs 1.9 ms, ECDSA
 * verify 6.3 vs 1.5 ms on a loaded 2-vCPU VM; see docs/benchmarks.md). It is used as an explicit
 * provider, never installed globally, so everything else stays on the JDK's providers.
 */
public final class EcProvider {

    private static final Provider BC = new BouncyCastleProvider();

    private EcProvider() {
    }

    public static Provider get() {
        return BC;
    }

    /**
     * An EC private key as a key of this provider; other keys as they are. Bouncy Castle keeps
     * its precomputed multiples of the generator with the curve of its own keys: a foreign key
     * (the JDK's, as read from a file) has its curve converted and that table rebuilt on every
     * signature, which made an ECDSA P-256 signature cost 290 instead of 95 µs here. Credentials
     * translate their key once, when they are loaded.
     *
     * @throws IllegalArgumentException if the provider refuses the key
     */
    public static PrivateKey own(PrivateKey key) {
        if (!(key instanceof java.security.interfaces.ECPrivateKey) || key instanceof org.bouncycastle.jce.interfaces.ECPrivateKey) {
            return key;
        }
        try {
            return (PrivateKey) KeyFactory.getInstance("EC", BC).translateKey(key);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the EC provider cannot take this private key", e);
        }
    }

    /**
     * The JCE parameters of a named curve ("secp256r1", "secp384r1"), looked up once: every
     * handshake checks keys and points against them.
     *
     * @throws IllegalStateException if the JDK lacks the curve
     */
    public static ECParameterSpec namedCurve(String name) {
        return CURVES.computeIfAbsent(name, n -> {
            try {
                AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
                p.init(new ECGenParameterSpec(n));
                return p.getParameterSpec(ECParameterSpec.class);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("curve " + n + " is not available", e);
            }
        });
    }

    private static final Map<String, ECParameterSpec> CURVES = new ConcurrentHashMap<>();
}
