package io.ipsecmesh.crypto;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.random.RandomGenerator;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;

/**
 * A CBC block cipher with a separate HMAC in ESP: AES-CBC 128/256 (RFC 3602) and, for legacy
 * peers only, 3DES-CBC (RFC 2451); integrity HMAC-SHA-256-128/384-192/512-256 (RFC 4868).
 *
 * <ul>
 *   <li>IV: one cipher block, fresh from the injected {@link RandomGenerator} for every packet,
 *       since CBC needs unpredictable IVs (RFC 3602 §3); production passes a
 *       {@link java.security.SecureRandom}.</li>
 *   <li>ESP does its own padding (RFC 4303 §2.4), so the cipher runs without padding
 *       ({@code AES/CBC/NoPadding}, {@code DESede/CBC/NoPadding}) and the ciphertext must be
 *       a whole number of blocks.</li>
 *   <li>ICV: encrypt-then-MAC over SPI || sequence number || IV || ciphertext, followed by
 *       the high 32 bits of the sequence number when extended sequence numbers are in use
 *       (implicitly, never sent: RFC 4303 §2.2.1 and §3.3.2.1), truncated (RFC 4868 §2.3).</li>
 *   <li>Inbound the ICV is verified in constant time before anything is decrypted
 *       (RFC 4303 §3.4.4.1).</li>
 * </ul>
 * The cipher writes into a scratch array that is then copied into the packet: in place, the
 * JCE would allocate a copy of its input for every packet.
 */
final class CbcHmacEspCipher extends AbstractEspCipher {

    private final Cipher cipher;
    private final RawSecretKey key;
    private final HmacIntegrityMac mac;
    private final RandomGenerator random;
    private final byte[] iv;

    CbcHmacEspCipher(EncryptionAlgorithm enc, byte[] encKey, IntegrityAlgorithm integ, byte[] integKey,
                     RandomGenerator random) {
        super(enc.keyword() + "-" + integ.keyword(), enc.ivLength(), integ.icvLength(), enc.blockSize());
        String transformation = switch (enc) {
            case AES_CBC_128, AES_CBC_256 -> "AES/CBC/NoPadding";
            case TRIPLE_DES_CBC -> "DESede/CBC/NoPadding";
            default -> throw new IllegalArgumentException(enc + " is not a CBC cipher");
        };
        this.random = random;
        this.iv = new byte[enc.ivLength()];
        this.key = new RawSecretKey(encKey, 0, enc.keyLength(), enc == EncryptionAlgorithm.TRIPLE_DES_CBC ? "DESede" : "AES");
        try {
            this.cipher = Cipher.getInstance(transformation);
            cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(iv));
        } catch (GeneralSecurityException e) {
            key.destroy();
            throw new IllegalStateException("JCE cannot provide " + transformation, e);
        }
        this.mac = new HmacIntegrityMac(integ, integKey);
    }

    @Override
    void writeIv(byte[] buf, int ivOff, long seq) {
        random.nextBytes(iv);
        System.arraycopy(iv, 0, buf, ivOff, iv.length);
    }

    @Override
    int sealWithIvInPlace(byte[] buf, int off, int ptLen, long seq, boolean esn) {
        int ivOff = off + HEADER_LENGTH;
        int ctOff = ivOff + ivLength();
        byte[] scratch = scratch(ptLen);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(buf, ivOff, ivLength()));
            int n = cipher.doFinal(buf, ctOff, ptLen, scratch, 0);
            if (n != ptLen) {
                throw new IllegalStateException("unexpected CBC output length " + n);
            }
            System.arraycopy(scratch, 0, buf, ctOff, n);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("CBC encryption failed", e);
        }
        int authLen = HEADER_LENGTH + ivLength() + ptLen;
        authenticate(mac, buf, off, authLen, seq, esn);
        mac.doFinal(buf, off + authLen);
        return authLen + icvLength();
    }

    @Override
    int openAligned(byte[] buf, int off, int ctLen, long seq, boolean esn) {
        int ivOff = off + HEADER_LENGTH;
        int ctOff = ivOff + ivLength();
        int authLen = HEADER_LENGTH + ivLength() + ctLen;
        authenticate(mac, buf, off, authLen, seq, esn);
        if (!mac.verify(buf, off + authLen)) {
            return -1;
        }
        byte[] scratch = scratch(ctLen);
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(buf, ivOff, ivLength()));
            int n = cipher.doFinal(buf, ctOff, ctLen, scratch, 0);
            System.arraycopy(scratch, 0, buf, ctOff, n);
            return n;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("CBC decryption failed", e);
        }
    }

    /** RFC 4303 §2.2.1 / §3.3.2.1: the ICV covers the packet, then the implicit ESN high bits. */
    static void authenticate(HmacIntegrityMac mac, byte[] buf, int off, int len, long seq, boolean esn) {
        mac.update(buf, off, len);
        if (esn) {
            mac.updateInt((int) (seq >>> 32));
        }
    }

    @Override
    boolean keysDestroyed() {
        return key.isDestroyed() && mac.keyDestroyed();
    }

    @Override
    void destroyKeys() {
        key.destroy();
        mac.close();
        Arrays.fill(iv, (byte) 0);
    }
}
