package io.ipsecmesh.ike;

import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * A PRF key this package can wipe: unlike {@link javax.crypto.spec.SecretKeySpec}, whose copy
 * of the key cannot be destroyed, {@link #destroy()} zeroes the one copy kept here. (The HMAC
 * pads SunJCE derives stay in the {@code Mac} until it is garbage collected.) Never printed,
 * never serialized.
 */
final class PrfKey implements SecretKey {

    @Serial
    private static final long serialVersionUID = 1L;

    private final byte[] key;
    private final String algorithm;
    private volatile boolean destroyed;

    PrfKey(byte[] key, String algorithm) {
        if (key.length == 0) {
            throw new IllegalArgumentException("empty PRF key");
        }
        this.key = key.clone();
        this.algorithm = algorithm;
    }

    @Override
    public String getAlgorithm() {
        return algorithm;
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    @Override
    public byte[] getEncoded() {
        if (destroyed) {
            throw new IllegalStateException("key destroyed");
        }
        return key.clone();
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
        return "PrfKey[" + algorithm + ", " + key.length + " bytes" + (destroyed ? ", destroyed" : "") + "]";
    }

    @Serial
    private void writeObject(ObjectOutputStream out) throws NotSerializableException {
        throw new NotSerializableException("key material is never serialized");
    }
}
