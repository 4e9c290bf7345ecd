package io.ipsecmesh.crypto;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Mac;

/**
 * HMAC-SHA-256/384/512 truncated to half the hash output (RFC 2104, RFC 4868 §2.3), on one
 * reused {@link Mac}. Used directly by AH (RFC 4302 §3.3.3) and by the ESP ciphers that need
 * a separate integrity algorithm (RFC 4303 §3.3.2.1).
 *
 * <p>The per-packet path does not allocate: the full MAC and the two halves compared by
 * {@link #verify} live in arrays made once. {@link MessageDigest#isEqual} compares in time
 * independent of where the values differ.
 */
final class HmacIntegrityMac implements IntegrityMac {

    private static final byte[] ZEROS = new byte[128];

    private final IntegrityAlgorithm algorithm;
    private final RawSecretKey key;
    private final Mac mac;
    private final int icvLength;
    private final byte[] full;
    private final byte[] computed;
    private final byte[] received;
    private final byte[] intBytes = new byte[4];
    private boolean closed;

    /** Copies the key; its length is the caller's concern (see {@link IntegrityMacs}). */
    HmacIntegrityMac(IntegrityAlgorithm algorithm, byte[] key) {
        this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
        if (algorithm == IntegrityAlgorithm.NONE) {
            throw new IllegalArgumentException("integrity algorithm NONE has no MAC");
        }
        Objects.requireNonNull(key, "key");
        this.key = new RawSecretKey(key, 0, key.length, algorithm.jceName());
        try {
            this.mac = Mac.getInstance(algorithm.jceName());
            this.mac.init(this.key);
        } catch (GeneralSecurityException e) {
            this.key.destroy();
            throw new IllegalStateException("JCE cannot provide " + algorithm.jceName(), e);
        }
        this.icvLength = algorithm.icvLength();
        this.full = new byte[mac.getMacLength()];
        this.computed = new byte[icvLength];
        this.received = new byte[icvLength];
    }

    @Override
    public IntegrityAlgorithm algorithm() {
        return algorithm;
    }

    @Override
    public int icvLength() {
        return icvLength;
    }

    @Override
    public void update(byte[] buf, int off, int len) {
        ensureOpen();
        Objects.checkFromIndexSize(off, len, buf.length);
        mac.update(buf, off, len);
    }

    @Override
    public void updateZeros(int count) {
        ensureOpen();
        if (count < 0) {
            throw new IllegalArgumentException("negative count " + count);
        }
        while (count > 0) {
            int n = Math.min(count, ZEROS.length);
            mac.update(ZEROS, 0, n);
            count -= n;
        }
    }

    @Override
    public void updateInt(int value) {
        ensureOpen();
        putInt(intBytes, 0, value);
        mac.update(intBytes, 0, 4);
    }

    @Override
    public void doFinal(byte[] out, int outOff) {
        ensureOpen();
        Objects.checkFromIndexSize(outOff, icvLength, out.length);
        finishFull();
        System.arraycopy(full, 0, out, outOff, icvLength);
    }

    @Override
    public boolean verify(byte[] expected, int off) {
        ensureOpen();
        Objects.checkFromIndexSize(off, icvLength, expected.length);
        finishFull();
        System.arraycopy(full, 0, computed, 0, icvLength);
        System.arraycopy(expected, off, received, 0, icvLength);
        return MessageDigest.isEqual(computed, received);
    }

    /**
     * Finishes with the whole, untruncated HMAC output (hash length) written to
     * {@code out[outOff..]}, and resets. For tests against published full-length vectors
     * (RFC 4231 §4, RFC 4868 §2.7); IPsec itself always truncates.
     */
    void doFinalUntruncated(byte[] out, int outOff) {
        ensureOpen();
        Objects.checkFromIndexSize(outOff, full.length, out.length);
        finishFull();
        System.arraycopy(full, 0, out, outOff, full.length);
    }

    /** Full HMAC output length in bytes. */
    int macLength() {
        return full.length;
    }

    private void finishFull() {
        try {
            mac.doFinal(full, 0);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC finish failed", e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        key.destroy();
        // Leave the Mac keyed with an all-zero key so its pads no longer derive from ours.
        try {
            mac.init(new RawSecretKey(new byte[full.length], 0, full.length, algorithm.jceName()));
        } catch (GeneralSecurityException ignored) {
            // best effort only
        }
        Arrays.fill(full, (byte) 0);
        Arrays.fill(computed, (byte) 0);
        Arrays.fill(received, (byte) 0);
    }

    /** Whether {@link #close()} has wiped the key copy (for tests). */
    boolean keyDestroyed() {
        return key.isDestroyed();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("IntegrityMac closed");
        }
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    @Override
    public String toString() {
        return "HmacIntegrityMac[" + algorithm.keyword() + (closed ? ", closed" : "") + "]";
    }
}
