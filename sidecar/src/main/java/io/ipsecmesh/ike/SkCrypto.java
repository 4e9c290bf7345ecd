package io.ipsecmesh.ike;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.spec.AlgorithmParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.security.auth.Destroyable;

/**
 * Protection of IKE messages with the SK payload, and of IKE fragments with the SKF payload
 * (RFC 7383, same layout after the fragment numbers), for the messages one party sends (one
 * SK_e / SK_a pair: SK_ei and SK_ai for the original initiator's, SK_er and SK_ar for the
 * original responder's).
 *
 * <ul>
 *   <li>AES-CBC (RFC 7296 §3.14, RFC 3602): SK body = IV (one block, random) | AES-CBC(inner
 *       payloads | padding | pad length) | ICV, the plaintext padded to the block size; ICV =
 *       HMAC-SHA2 truncated (RFC 4868), over the whole message from the IKE header up to the
 *       ICV.</li>
 *   <li>AES-GCM with a 16-byte ICV (RFC 5282) and ChaCha20-Poly1305 (RFC 7634): SK body = IV
 *       (8 bytes) | ciphertext | tag (16 bytes); nonce = salt (last 4 bytes of SK_e) | IV;
 *       AAD = the message from the IKE header through the SK payload's generic header, i.e.
 *       everything before the IV (RFC 5282 §5.1). No padding is needed (pad length 0). The IV
 *       is a per-instance counter, so one instance must own one key (one direction of one
 *       IKE SA): the nonce never repeats under it.</li>
 * </ul>
 *
 * <p>{@link #decrypt} checks integrity before anything else is believed; a failure is an
 * {@link SkIntegrityException} (discard silently, RFC 7296 §2.21), malformed content after
 * a valid ICV an {@link IkeParseException}. Nothing here logs or prints keys.
 */
public final class SkCrypto implements Destroyable {

    private static final int AEAD_IV_LENGTH = 8;
    private static final int AEAD_SALT_LENGTH = 4;
    private static final int AEAD_TAG_LENGTH = 16;

    private final EncryptionAlgorithm encryption;
    private final IntegrityAlgorithm integrity;
    private final byte[] encKey;
    private final byte[] salt;
    private final byte[] integKey;
    private final SecureRandom random;
    private long nextAeadIv;
    private volatile boolean destroyed;

    private SkCrypto(EncryptionAlgorithm encryption, IntegrityAlgorithm integrity, byte[] skE, byte[] skA,
                     SecureRandom random) {
        IkeSaKeys.checkTransforms(encryption, integrity);
        if (encryption == EncryptionAlgorithm.TRIPLE_DES_CBC) {
            throw new IllegalArgumentException("3DES is not supported for IKE SAs here");
        }
        if (skE.length != encryption.keyMaterialLength()) {
            throw new IllegalArgumentException(encryption.keyword() + " needs " + encryption.keyMaterialLength()
                    + " bytes of SK_e, got " + skE.length);
        }
        if (skA.length != integrity.keyLength()) {
            throw new IllegalArgumentException(integrity.keyword() + " needs " + integrity.keyLength()
                    + " bytes of SK_a, got " + skA.length);
        }
        this.encryption = encryption;
        this.integrity = integrity;
        this.encKey = Arrays.copyOf(skE, encryption.keyLength());
        this.salt = Arrays.copyOfRange(skE, encryption.keyLength(), skE.length);
        this.integKey = skA.clone();
        this.random = Objects.requireNonNull(random, "random");
    }

    /**
     * Protection with explicit keys.
     *
     * @param skE    SK_e of the sending party (key + salt for AEAD ciphers)
     * @param skA    SK_a of the sending party, empty with an AEAD cipher
     * @param random IV source for CBC
     */
    public static SkCrypto of(EncryptionAlgorithm encryption, IntegrityAlgorithm integrity, byte[] skE, byte[] skA,
                              SecureRandom random) {
        return new SkCrypto(encryption, integrity, skE, skA, random);
    }

    /**
     * Protection of the messages sent by the original initiator (SK_ei, SK_ai) or by the
     * original responder (SK_er, SK_ar).
     */
    public static SkCrypto forSender(IkeSaKeys keys, boolean originalInitiator, EncryptionAlgorithm encryption,
                                     IntegrityAlgorithm integrity, SecureRandom random) {
        byte[] e = originalInitiator ? keys.skEi() : keys.skEr();
        byte[] a = originalInitiator ? keys.skAi() : keys.skAr();
        try {
            return new SkCrypto(encryption, integrity, e, a, random);
        } finally {
            Arrays.fill(e, (byte) 0);
            Arrays.fill(a, (byte) 0);
        }
    }

    private int ivLength() {
        return encryption.isAead() ? AEAD_IV_LENGTH : encryption.blockSize();
    }

    private int icvLength() {
        return encryption.isAead() ? AEAD_TAG_LENGTH : integrity.icvLength();
    }

    /**
     * Encodes a message: header, the unencrypted payloads, then an SK payload holding the inner
     * payloads.
     */
    public byte[] encrypt(IkeHeader header, List<? extends IkePayload> unencrypted,
                          List<? extends IkePayload> inner) {
        byte[] innerChain = PayloadChain.encode(inner);
        try {
            int first = PayloadChain.firstType(inner);
            return seal(header, unencrypted, body -> new SkPayload(first, body), innerChain);
        } finally {
            Arrays.fill(innerChain, (byte) 0);
        }
    }

    /**
     * Encodes one fragment of a message (RFC 7383 §2.5): header, the unencrypted payloads (only
     * fragment 1 carries them, §2.5.3), then an SKF payload protecting {@code content}, a piece
     * of the inner payload chain. Each fragment is encrypted and integrity-protected on its own.
     *
     * @param firstInner the message's first inner payload type for fragment 1, 0 for the others
     */
    public byte[] encryptFragment(IkeHeader header, List<? extends IkePayload> unencrypted, int firstInner,
                                  int number, int total, byte[] content) {
        return seal(header, unencrypted, body -> new SkfPayload(firstInner, number, total, body), content);
    }

    /**
     * Bytes of IV, ciphertext (with padding and pad length, and the tag of an AEAD cipher) and
     * ICV that protecting {@code contentLength} bytes takes: the SK or SKF body after its fixed
     * fields.
     */
    public int protectedLength(int contentLength) {
        int block = encryption.isAead() ? 1 : encryption.blockSize();
        int padded = contentLength + 1 + (block - (contentLength + 1) % block) % block;
        return ivLength() + padded + icvLength();
    }

    /** The most content that {@link #protectedLength} fits into {@code limit} bytes, or -1 if none. */
    public int maxContentLength(int limit) {
        int room = limit - ivLength() - icvLength();
        if (room < 1) {
            return -1;
        }
        if (encryption.isAead()) {
            return room - 1;
        }
        int block = encryption.blockSize();
        return room / block * block - 1;
    }

    /**
     * Encodes the header, the unencrypted payloads and the payload {@code wrap} makes of a
     * placeholder body, then fills that body in place: IV, ciphertext of content | padding | pad
     * length, ICV. The body is the message's tail, so everything in front of the IV (header,
     * unencrypted payloads, the generic header and, for SKF, the fragment numbers) is the AAD of
     * an AEAD cipher, and the HMAC of CBC covers the message up to the ICV (RFC 7296 §3.14,
     * RFC 5282 §5.1, RFC 7383 §2.5).
     */
    private synchronized byte[] seal(IkeHeader header, List<? extends IkePayload> unencrypted,
                                     Function<byte[], IkePayload> wrap, byte[] content) {
        checkLive();
        int block = encryption.isAead() ? 1 : encryption.blockSize();
        int padLength = (block - (content.length + 1) % block) % block;
        byte[] plaintext = Arrays.copyOf(content, content.length + padLength + 1);
        plaintext[plaintext.length - 1] = (byte) padLength;
        int ctLength = plaintext.length + (encryption.isAead() ? AEAD_TAG_LENGTH : 0);
        int bodyLength = protectedLength(content.length);

        List<IkePayload> outer = new ArrayList<>(unencrypted);
        outer.add(wrap.apply(new byte[bodyLength]));
        byte[] message = new IkeMessage(header, outer).encode();
        int ivOff = message.length - bodyLength;
        int ctOff = ivOff + ivLength();
        try {
            if (encryption.isAead()) {
                byte[] iv = new byte[AEAD_IV_LENGTH];
                long counter = nextAeadIv++;
                if (counter == -1L) {
                    throw new IllegalStateException("AEAD IV space exhausted: rekey the IKE SA");
                }
                for (int i = 0; i < 8; i++) {
                    iv[i] = (byte) (counter >>> (56 - 8 * i));
                }
                System.arraycopy(iv, 0, message, ivOff, AEAD_IV_LENGTH);
                Cipher c = aeadCipher(Cipher.ENCRYPT_MODE, iv);
                c.updateAAD(message, 0, ivOff);
                c.doFinal(plaintext, 0, plaintext.length, message, ctOff);
            } else {
                byte[] iv = new byte[ivLength()];
                random.nextBytes(iv);
                System.arraycopy(iv, 0, message, ivOff, iv.length);
                Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
                c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(encKey, "AES"), new IvParameterSpec(iv));
                c.doFinal(plaintext, 0, plaintext.length, message, ctOff);
                int icvOff = ctOff + ctLength;
                byte[] icv = icv(message, icvOff);
                System.arraycopy(icv, 0, message, icvOff, icv.length);
            }
            return message;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JCE cannot run " + encryption.keyword(), e);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    /**
     * Decodes and decrypts a message whose last payload is SK: the result holds the header,
     * the unencrypted payloads, then the inner payloads in place of SK.
     *
     * @throws SkIntegrityException if the ICV or tag does not verify (discard silently)
     * @throws IkeParseException    if the message is malformed, has no SK payload, or its
     *                              verified plaintext is (INVALID_SYNTAX)
     */
    public IkeMessage decrypt(byte[] datagram) throws IkeParseException, SkIntegrityException {
        checkLive();
        IkeMessage outer = IkeMessage.decode(datagram);
        List<IkePayload> payloads = outer.payloads();
        if (payloads.isEmpty() || !(payloads.getLast() instanceof SkPayload sk)) {
            throw new IkeParseException("message carries no SK payload");
        }
        byte[] content = open(datagram, sk.encryptedLength(), "SK");
        try {
            List<IkePayload> all = new ArrayList<>(payloads.subList(0, payloads.size() - 1));
            all.addAll(PayloadChain.decode(sk.firstInnerPayload(), content, 0, content.length));
            return new IkeMessage(outer.header(), all);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /**
     * Decodes one IKE Fragment message (RFC 7383 §2.6), checks its integrity and decrypts its
     * SKF payload. The content stays raw: it is a piece of the inner chain, which only makes
     * sense once all pieces are joined ({@link IkeFragments#join}).
     *
     * @throws SkIntegrityException if the ICV or tag does not verify (discard silently)
     * @throws IkeParseException    if the message is malformed or has no SKF payload
     */
    public IkeFragment decryptFragment(byte[] datagram) throws IkeParseException, SkIntegrityException {
        checkLive();
        IkeMessage outer = IkeMessage.decode(datagram);
        List<IkePayload> payloads = outer.payloads();
        if (payloads.isEmpty() || !(payloads.getLast() instanceof SkfPayload skf)) {
            throw new IkeParseException("message carries no SKF payload");
        }
        byte[] content = open(datagram, skf.encryptedLength(), "SKF");
        try {
            return new IkeFragment(outer.header(), payloads.subList(0, payloads.size() - 1), skf.firstInnerPayload(),
                    skf.fragmentNumber(), skf.totalFragments(), content);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /**
     * Verifies and decrypts the protected tail of {@code datagram} ({@code bodyLength} bytes:
     * IV, ciphertext, ICV) and returns the content without padding and pad length.
     */
    private byte[] open(byte[] datagram, int bodyLength, String what) throws IkeParseException, SkIntegrityException {
        int ivOff = datagram.length - bodyLength;
        int ctOff = ivOff + ivLength();
        int ctLength = bodyLength - ivLength() - (encryption.isAead() ? 0 : integrity.icvLength());
        int minCt = encryption.isAead() ? AEAD_TAG_LENGTH + 1 : encryption.blockSize();
        if (ctLength < minCt || (!encryption.isAead() && ctLength % encryption.blockSize() != 0)) {
            throw new IkeParseException(what + " payload body of " + bodyLength + " bytes does not fit "
                    + encryption.keyword());
        }
        byte[] plaintext;
        try {
            if (encryption.isAead()) {
                Cipher c = aeadCipher(Cipher.DECRYPT_MODE, Arrays.copyOfRange(datagram, ivOff, ctOff));
                c.updateAAD(datagram, 0, ivOff);
                try {
                    plaintext = c.doFinal(datagram, ctOff, ctLength);
                } catch (AEADBadTagException e) {
                    throw new SkIntegrityException(what + " payload tag does not verify");
                }
            } else {
                int icvOff = ctOff + ctLength;
                byte[] expected = icv(datagram, icvOff);
                if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(datagram, icvOff, datagram.length))) {
                    throw new SkIntegrityException(what + " payload ICV does not verify");
                }
                Cipher c = Cipher.getInstance("AES/CBC/NoPadding");
                c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(encKey, "AES"),
                        new IvParameterSpec(datagram, ivOff, ivLength()));
                plaintext = c.doFinal(datagram, ctOff, ctLength);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JCE cannot run " + encryption.keyword(), e);
        }
        try {
            int padLength = plaintext[plaintext.length - 1] & 0xff;
            if (padLength + 1 > plaintext.length) {
                throw new IkeParseException(what + " pad length " + padLength + " exceeds the " + plaintext.length
                        + "-byte plaintext");
            }
            return Arrays.copyOf(plaintext, plaintext.length - padLength - 1);
        } finally {
            Arrays.fill(plaintext, (byte) 0);
        }
    }

    private Cipher aeadCipher(int mode, byte[] iv) throws GeneralSecurityException {
        byte[] nonce = new byte[AEAD_SALT_LENGTH + AEAD_IV_LENGTH];
        System.arraycopy(salt, 0, nonce, 0, AEAD_SALT_LENGTH);
        System.arraycopy(iv, 0, nonce, AEAD_SALT_LENGTH, AEAD_IV_LENGTH);
        Cipher c;
        AlgorithmParameterSpec spec;
        SecretKeySpec key;
        if (encryption == EncryptionAlgorithm.CHACHA20_POLY1305) {
            c = Cipher.getInstance("ChaCha20-Poly1305");
            spec = new IvParameterSpec(nonce);
            key = new SecretKeySpec(encKey, "ChaCha20");
        } else {
            c = Cipher.getInstance("AES/GCM/NoPadding");
            spec = new GCMParameterSpec(8 * AEAD_TAG_LENGTH, nonce);
            key = new SecretKeySpec(encKey, "AES");
        }
        c.init(mode, key, spec);
        return c;
    }

    /** HMAC over message[0, end), truncated to the ICV length. */
    private byte[] icv(byte[] message, int end) throws GeneralSecurityException {
        Mac mac = Mac.getInstance(integrity.jceName());
        mac.init(new SecretKeySpec(integKey, integrity.jceName()));
        mac.update(message, 0, end);
        byte[] full = mac.doFinal();
        try {
            return Arrays.copyOf(full, integrity.icvLength());
        } finally {
            Arrays.fill(full, (byte) 0);
        }
    }

    private void checkLive() {
        if (destroyed) {
            throw new IllegalStateException("SK keys destroyed");
        }
    }

    @Override
    public void destroy() {
        Arrays.fill(encKey, (byte) 0);
        Arrays.fill(salt, (byte) 0);
        Arrays.fill(integKey, (byte) 0);
        destroyed = true;
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "SkCrypto[" + encryption.keyword() + ", " + integrity.keyword() + (destroyed ? ", destroyed" : "") + "]";
    }
}
