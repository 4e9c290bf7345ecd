package io.ipsecmesh.crypto;

import java.security.GeneralSecurityException;
import java.security.spec.AlgorithmParameterSpec;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;

/**
 * Combined-mode ESP (RFC 4303 §3.3.2.2, §3.4.4.2) with a 4-byte salt and an 8-byte explicit
 * IV, as AES-GCM (RFC 4106) and ChaCha20-Poly1305 (RFC 7634) share:
 * <ul>
 *   <li>nonce = salt (last 4 bytes of the keying material) || explicit IV (RFC 4106 §4,
 *       RFC 7634 §2);</li>
 *   <li>explicit IV = the 64-bit sequence number, big-endian. Both RFCs require only that the
 *       IV never repeats under one key (RFC 4106 §3.1; RFC 7634 §2 recommends a counter); the
 *       sequence number never repeats within an SA (RFC 4303 §3.3.3: the SA is rekeyed
 *       before it would cycle), so the nonce is unique per key;</li>
 *   <li>AAD = SPI || sequence number low 32 bits (8 bytes), or with extended sequence
 *       numbers SPI || high 32 bits || low 32 bits (12 bytes) (RFC 4106 §5, RFC 7634 §2.1);</li>
 *   <li>ICV = the 16-byte tag, right after the ciphertext.</li>
 * </ul>
 *
 * <p>One {@link Cipher} per instance, re-initialized for each packet. Encryption runs in
 * place (same array, same offset). Decryption writes into a scratch array owned by the
 * instance and copies the plaintext into the packet only once the tag has verified: the
 * JDK's AES-GCM, decrypting in place, leaves unauthenticated plaintext in the buffer when the
 * tag is wrong, whereas a failed {@link #open} must leave the packet as it was (the receiver
 * may retry with another ESN high half, RFC 4303 Appendix A3). Per packet this allocates
 * only what the JCE does internally plus one parameter spec.
 *
 * <p>The JDK refuses to initialize for encryption with the key and nonce of the previous
 * initialization (AES-GCM: of the previous encryption; ChaCha20-Poly1305: of the previous
 * initialization in either mode). An instance protects one direction of one SA, whose
 * sequence numbers, hence nonces, never repeat, so this never triggers in use.
 */
abstract sealed class AeadEspCipher extends AbstractEspCipher permits AesGcmEspCipher, ChaCha20Poly1305EspCipher {

    static final int SALT_LENGTH = 4;
    static final int NONCE_LENGTH = 12;

    private final Cipher cipher;
    private final RawSecretKey key;
    /** salt || IV; the salt part is fixed, the IV part is rewritten per packet. */
    private final byte[] nonce = new byte[NONCE_LENGTH];
    private final byte[] aad = new byte[12];

    AeadEspCipher(EncryptionAlgorithm alg, String transformation, String keyAlgorithm, byte[] keyWithSalt) {
        super(alg.keyword(), alg.ivLength(), alg.aeadIcvLength(), alg.blockSize());
        int keyLength = alg.keyLength();
        this.key = new RawSecretKey(keyWithSalt, 0, keyLength, keyAlgorithm);
        System.arraycopy(keyWithSalt, keyLength, nonce, 0, SALT_LENGTH);
        try {
            this.cipher = Cipher.getInstance(transformation);
            // Fail now rather than on the first packet if the JCE refuses this key. The probe
            // nonce has the salt inverted, so it equals no nonce a packet can use (see above).
            byte[] probe = nonce.clone();
            for (int i = 0; i < SALT_LENGTH; i++) {
                probe[i] = (byte) ~probe[i];
            }
            cipher.init(Cipher.DECRYPT_MODE, key, parameters(probe));
            Arrays.fill(probe, (byte) 0);
        } catch (GeneralSecurityException e) {
            destroyKeys();
            throw new IllegalStateException("JCE cannot provide " + transformation, e);
        }
    }

    /** The JCE parameters for a 12-byte nonce (the spec copies the array). */
    abstract AlgorithmParameterSpec parameters(byte[] nonce);

    @Override
    final void writeIv(byte[] buf, int ivOff, long seq) {
        putLong(buf, ivOff, seq);
    }

    @Override
    final int sealWithIvInPlace(byte[] buf, int off, int ptLen, long seq, boolean esn) {
        int ivOff = off + HEADER_LENGTH;
        int ctOff = ivOff + ivLength();
        System.arraycopy(buf, ivOff, nonce, SALT_LENGTH, ivLength());
        int aadLen = fillAad(buf, off, seq, esn);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, parameters(nonce));
            cipher.updateAAD(aad, 0, aadLen);
            int n = cipher.doFinal(buf, ctOff, ptLen, buf, ctOff);
            if (n != ptLen + icvLength()) {
                throw new IllegalStateException("unexpected AEAD output length " + n);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD encryption failed", e);
        }
        return HEADER_LENGTH + ivLength() + ptLen + icvLength();
    }

    @Override
    final int openAligned(byte[] buf, int off, int ctLen, long seq, boolean esn) {
        int ivOff = off + HEADER_LENGTH;
        int ctOff = ivOff + ivLength();
        System.arraycopy(buf, ivOff, nonce, SALT_LENGTH, ivLength());
        int aadLen = fillAad(buf, off, seq, esn);
        byte[] scratch = scratch(ctLen);
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, parameters(nonce));
            cipher.updateAAD(aad, 0, aadLen);
            int n = cipher.doFinal(buf, ctOff, ctLen + icvLength(), scratch, 0);
            // Reached only when the tag verified.
            System.arraycopy(scratch, 0, buf, ctOff, n);
            return n;
        } catch (AEADBadTagException e) {
            return -1;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AEAD decryption failed", e);
        }
    }

    /** RFC 4106 §5 / RFC 7634 §2.1: SPI || [seq high] || seq low, taken from the header. */
    private int fillAad(byte[] buf, int off, long seq, boolean esn) {
        System.arraycopy(buf, off, aad, 0, 4);
        if (esn) {
            putInt(aad, 4, (int) (seq >>> 32));
            System.arraycopy(buf, off + 4, aad, 8, 4);
            return 12;
        }
        System.arraycopy(buf, off + 4, aad, 4, 4);
        return 8;
    }

    @Override
    final boolean keysDestroyed() {
        return key.isDestroyed();
    }

    @Override
    final void destroyKeys() {
        key.destroy();
        Arrays.fill(nonce, (byte) 0);
    }
}
