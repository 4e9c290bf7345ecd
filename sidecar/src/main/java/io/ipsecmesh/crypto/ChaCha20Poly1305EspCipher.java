package io.ipsecmesh.crypto;

import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.spec.IvParameterSpec;

/**
 * ChaCha20-Poly1305 in ESP (RFC 7634): the AEAD of RFC 8439 §2.8 through JCE
 * {@code ChaCha20-Poly1305}, 256-bit key, 4-byte salt, 8-byte IV, 16-byte ICV. Nonce
 * = salt || IV (RFC 7634 §2), IV = sequence number (RFC 7634 §2 recommends a counter; the
 * JCE refuses to encrypt with the key and nonce of its previous initialization, which the
 * sequence-number IV never asks for),
 * AAD = SPI || [seq high] || seq low (RFC 7634 §2.1).
 */
final class ChaCha20Poly1305EspCipher extends AeadEspCipher {

    ChaCha20Poly1305EspCipher(byte[] keyWithSalt) {
        super(EncryptionAlgorithm.CHACHA20_POLY1305, "ChaCha20-Poly1305", "ChaCha20", keyWithSalt);
    }

    @Override
    AlgorithmParameterSpec parameters(byte[] nonce) {
        return new IvParameterSpec(nonce, 0, NONCE_LENGTH);
    }
}
