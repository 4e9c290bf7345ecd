package io.ipsecmesh.crypto;

import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-GCM with a 16-byte ICV in ESP (RFC 4106), 128- or 256-bit keys: JCE
 * {@code AES/GCM/NoPadding}. Nonce, IV and AAD rules are those of {@link AeadEspCipher}:
 * nonce = salt || IV (RFC 4106 §4), IV = sequence number (unique per key, RFC 4106 §3.1),
 * AAD = SPI || [seq high] || seq low (RFC 4106 §5).
 */
final class AesGcmEspCipher extends AeadEspCipher {

    private static final int TAG_BITS = 128;

    AesGcmEspCipher(EncryptionAlgorithm alg, byte[] keyWithSalt) {
        super(alg, "AES/GCM/NoPadding", "AES", keyWithSalt);
    }

    @Override
    AlgorithmParameterSpec parameters(byte[] nonce) {
        return new GCMParameterSpec(TAG_BITS, nonce, 0, NONCE_LENGTH);
    }
}
