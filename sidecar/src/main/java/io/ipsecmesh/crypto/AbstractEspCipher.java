package io.ipsecmesh.crypto;

import java.util.Arrays;
import java.util.Objects;

/**
 * What every ESP transform shares: argument and bounds checks, the length rules of
 * RFC 4303 §2.4 and the closed state. Subclasses provide the IV, the protection and the
 * check of one packet.
 *
 * <p>Buffer layout (see {@link EspCipher}): SPI (4) | sequence number low 32 bits (4) | IV |
 * plaintext or ciphertext | ICV. Bad packets (too short, not aligned, ICV wrong) make
 * {@link #open} return -1; programming errors (indexes outside the array, a plaintext that is
 * not aligned, a {@code seq} whose low 32 bits are not the header's) throw.
 */
abstract sealed class AbstractEspCipher implements EspCipher
        permits AeadEspCipher, CbcHmacEspCipher, NullHmacEspCipher {

    /** SPI and sequence number (RFC 4303 §2). */
    static final int HEADER_LENGTH = 8;

    private final String name;
    private final int ivLength;
    private final int icvLength;
    private final int blockSize;
    /** Cipher output before it goes into the packet; grows to the largest packet seen. */
    private byte[] scratch = new byte[2048];
    private boolean closed;

    AbstractEspCipher(String name, int ivLength, int icvLength, int blockSize) {
        this.name = name;
        this.ivLength = ivLength;
        this.icvLength = icvLength;
        this.blockSize = blockSize;
    }

    @Override
    public final int ivLength() {
        return ivLength;
    }

    @Override
    public final int icvLength() {
        return icvLength;
    }

    @Override
    public final int blockSize() {
        return blockSize;
    }

    @Override
    public final int seal(byte[] buf, int off, int ptLen, long seq, boolean esn) {
        checkSeal(buf, off, ptLen, seq);
        writeIv(buf, off + HEADER_LENGTH, seq);
        return sealWithIvInPlace(buf, off, ptLen, seq, esn);
    }

    /**
     * Seals with the given explicit IV instead of the one {@link #seal} would choose. Only for
     * known-answer tests (published vectors carry arbitrary IVs): in production an IV must
     * come from {@link #seal}, or uniqueness (RFC 4106 §3.1, RFC 7634 §2) and unpredictability
     * (RFC 3602 §3) are the caller's to guarantee.
     */
    final int sealWithIv(byte[] buf, int off, int ptLen, long seq, boolean esn, byte[] iv) {
        checkSeal(buf, off, ptLen, seq);
        if (iv.length != ivLength) {
            throw new IllegalArgumentException("IV must be " + ivLength + " bytes, got " + iv.length);
        }
        System.arraycopy(iv, 0, buf, off + HEADER_LENGTH, ivLength);
        return sealWithIvInPlace(buf, off, ptLen, seq, esn);
    }

    @Override
    public final int open(byte[] buf, int off, int espLen, long seq, boolean esn) {
        ensureOpen();
        Objects.checkFromIndexSize(off, espLen, buf.length);
        int ctLen = espLen - HEADER_LENGTH - ivLength - icvLength;
        // RFC 4303 §2.4: the trailer (pad length, next header) is always there and the
        // ciphertext is aligned to the block size (at least 4).
        if (ctLen < blockSize || ctLen % blockSize != 0) {
            return -1;
        }
        checkSeqLow(buf, off, seq);
        return openAligned(buf, off, ctLen, seq, esn);
    }

    private void checkSeal(byte[] buf, int off, int ptLen, long seq) {
        ensureOpen();
        if (ptLen < blockSize || ptLen % blockSize != 0) {
            throw new IllegalArgumentException("plaintext length " + ptLen + " is not a positive multiple of the block size "
                    + blockSize + " (RFC 4303 §2.4)");
        }
        Objects.checkFromIndexSize(off, HEADER_LENGTH + ivLength + ptLen + icvLength, buf.length);
        checkSeqLow(buf, off, seq);
    }

    private static void checkSeqLow(byte[] buf, int off, long seq) {
        if (getInt(buf, off + 4) != (int) seq) {
            throw new IllegalArgumentException("the low 32 bits of seq do not match the sequence number in the ESP header");
        }
    }

    /** Writes the IV of the packet with sequence number {@code seq} ({@code ivLength()} bytes). */
    abstract void writeIv(byte[] buf, int ivOff, long seq);

    /** Protects a packet whose header and IV are in place; returns the ESP length. */
    abstract int sealWithIvInPlace(byte[] buf, int off, int ptLen, long seq, boolean esn);

    /**
     * Checks and decrypts a packet whose ciphertext length {@code ctLen} is aligned; returns
     * {@code ctLen} or -1.
     */
    abstract int openAligned(byte[] buf, int off, int ctLen, long seq, boolean esn);

    /** Wipes the keys; called once. */
    abstract void destroyKeys();

    /** Whether every key copy this transform holds has been wiped (for tests). */
    abstract boolean keysDestroyed();

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            destroyKeys();
            Arrays.fill(scratch, (byte) 0);
        }
    }

    /**
     * A reusable array of at least {@code len} bytes for cipher output. The JCE copies its
     * input into a fresh array when input and output overlap, so writing elsewhere and copying
     * back avoids an allocation per packet; for decryption it also keeps unverified output out
     * of the packet.
     */
    final byte[] scratch(int len) {
        if (scratch.length < len) {
            Arrays.fill(scratch, (byte) 0);
            scratch = new byte[len];
        }
        return scratch;
    }

    final void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("EspCipher closed");
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + (closed ? ", closed" : "") + "]";
    }

    static int getInt(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    static void putInt(byte[] b, int off, int v) {
        HmacIntegrityMac.putInt(b, off, v);
    }

    static void putLong(byte[] b, int off, long v) {
        putInt(b, off, (int) (v >>> 32));
        putInt(b, off + 4, (int) v);
    }
}
