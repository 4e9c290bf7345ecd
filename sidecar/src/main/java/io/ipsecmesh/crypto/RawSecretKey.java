package io.ipsecmesh.crypto;

import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.SecretKey;

/**
 * A raw secret key that its owner can really destroy (ESP transforms here, the IKE PRF in
 * {@code io.ipsecmesh.ike}).
 *
 * <p>{@link javax.crypto.spec.SecretKeySpec} keeps a private copy of the key that cannot be
 * wiped ({@code destroy()} is not implemented). This key hands out copies through
 * {@link #getEncoded()} (as {@code SecretKeySpec} does; SunJCE consumes RAW keys of any class)
 * and {@link #destroy()} zeroes the one copy it keeps. Key schedules that a JCE provider
 * derived from the key (AES round keys, HMAC pads) stay in provider objects until they are
 * garbage collected; the JCE gives no way to wipe them.
 *
 * <p>Never serialized and never printed: {@link #toString()} shows only the algorithm and size.
 */
public final class RawSecretKey implements SecretKey {

    @Serial
    private static final long serialVersionUID = 1L;

    private final byte[] key;
    private final String algorithm;
    private volatile boolean destroyed;

    /** Copies {@code len} bytes of {@code src} from {@code off}. */
    public RawSecretKey(byte[] src, int off, int len, String algorithm) {
        Objects.checkFromIndexSize(off, len, src.length);
        if (len == 0) {
            throw new IllegalArgumentException("empty key");
        }
        this.key = Arrays.copyOfRange(src, off, off + len);
        this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
    }

    @Override
    public String getAlgorithm() {
        return algorithm;
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    /** A fresh copy of the key; the caller may (and should) wipe it. */
    @Override
    public byte[] getEncoded() {
        if (destroyed) {
            throw new IllegalStateException("key destroyed");
        }
        return key.clone();
    }

    int length() {
        return key.length;
    }

    @Override
    public void destroy() {
        Arrays.fill(key, (byte) 0);
        destroyed = true;
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "RawSecretKey[" + algorithm + ", " + (key.length * 8) + " bits" + (destroyed ? ", destroyed" : "") + "]";
    }

    @Serial
    private void writeObject(ObjectOutputStream out) throws NotSerializableException {
        throw new NotSerializableException("key material is never serialized");
    }
}
