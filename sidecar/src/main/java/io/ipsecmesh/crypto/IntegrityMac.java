package io.ipsecmesh.crypto;

/**
 * A truncated HMAC (RFC 2104, RFC 4868) over scattered input, as AH needs (RFC 4302 §3.3.3).
 * Not thread-safe: each worker thread uses its own. {@link #close()} zeroes the key.
 */
public interface IntegrityMac extends AutoCloseable {

    IntegrityAlgorithm algorithm();

    /** Truncated ICV length in bytes. */
    int icvLength();

    void update(byte[] buf, int off, int len);

    /** Feeds {@code count} zero bytes (for the ICV field while it is computed). */
    void updateZeros(int count);

    /** Feeds a 32-bit value in network byte order (e.g. the ESN high bits). */
    void updateInt(int value);

    /** Finishes, writes the truncated ICV to {@code out[outOff..]}, and resets for the next packet. */
    void doFinal(byte[] out, int outOff);

    /** Finishes, compares with {@code expected[off..off+icvLength)} in constant time, and resets. */
    boolean verify(byte[] expected, int off);

    @Override
    void close();
}
