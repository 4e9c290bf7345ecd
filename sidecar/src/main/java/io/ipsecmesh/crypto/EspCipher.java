package io.ipsecmesh.crypto;

/**
 * Protection of ESP packets for one SA in one direction (RFC 4303 §3.3.2 and §3.4.4).
 *
 * <p>The buffer holds the ESP packet from its first byte (the SPI) at {@code off}:
 * <pre>
 *   off            SPI (4) | sequence number, low 32 bits (4)
 *   off + 8        IV (ivLength)
 *   off + 8 + iv   payload | padding | pad length | next header   (plaintext or ciphertext)
 *   ...            ICV (icvLength)
 * </pre>
 * With extended sequence numbers the high 32 bits take part in the ICV but are not sent
 * (RFC 4303 §2.2.1 and Appendix A; RFC 4106 §5 and RFC 7634 §2.1 put them in the AAD).
 *
 * <p>Instances are not thread-safe: each worker thread uses its own. {@link #close()} zeroes
 * the key material. {@link EspCiphers#create} makes them.
 */
public interface EspCipher extends AutoCloseable {

    int ivLength();

    int icvLength();

    /** Alignment the plaintext must have (RFC 4303 §2.4), at least 4. */
    int blockSize();

    /**
     * Writes the IV, encrypts {@code ptLen} bytes at {@code off + 8 + ivLength()} in place and
     * writes the ICV right after the ciphertext. The SPI and low sequence number must already be
     * in the header. {@code ptLen} must be a multiple of {@link #blockSize()}.
     *
     * @param seq the full 64-bit sequence number of this packet; its low 32 bits must be the
     *            ones in the header. Combined-mode IVs are this number (RFC 4106 §3.1,
     *            RFC 7634 §2), so a sequence number must never repeat under one key
     * @param esn whether extended sequence numbers are in use
     * @return the ESP length: {@code 8 + ivLength() + ptLen + icvLength()}
     * @throws IllegalArgumentException if {@code ptLen} is not a positive multiple of
     *                                  {@link #blockSize()} or {@code seq} does not match the header
     * @throws IndexOutOfBoundsException if the packet does not fit in {@code buf}
     * @throws IllegalStateException after {@link #close()}
     */
    int seal(byte[] buf, int off, int ptLen, long seq, boolean esn);

    /**
     * Verifies the ICV in constant time and, only if it is good, decrypts in place.
     *
     * @param espLen the whole ESP length, header to ICV inclusive
     * @param seq the full 64-bit sequence number (the receiver's ESN estimate)
     * @return the plaintext length at {@code off + 8 + ivLength()}, or -1 when the ICV does
     *         not verify or the ciphertext length is not a whole number of blocks; after -1
     *         the buffer is unchanged, so the caller may try another ESN estimate on it
     *         (RFC 4303 Appendix A3)
     * @throws IllegalArgumentException if the low 32 bits of {@code seq} are not the header's
     * @throws IndexOutOfBoundsException if {@code [off, off + espLen)} is outside {@code buf}
     * @throws IllegalStateException after {@link #close()}
     */
    int open(byte[] buf, int off, int espLen, long seq, boolean esn);

    /** Zeroes the key material; the instance is unusable afterwards. */
    @Override
    void close();
}
