package io.ipsecmesh.ike;

import java.util.Arrays;

/**
 * Encrypted and Authenticated payload, SK (RFC 7296 §3.14), kept opaque: IV, ciphertext
 * (inner payloads, padding, pad length) and ICV, whose split depends on the negotiated
 * transforms. Its generic header's Next Payload field names the first inner payload, kept in
 * {@link #firstInnerPayload()}; after decryption, {@link PayloadChain#decode} parses the inner
 * chain from that type. It must be the last payload of a message.
 */
public record SkPayload(int firstInnerPayload, byte[] encryptedBody) implements IkePayload {

    public SkPayload {
        if (firstInnerPayload < 0 || firstInnerPayload > 0xff) {
            throw new IllegalArgumentException("payload type " + firstInnerPayload + " out of range 0..255");
        }
        encryptedBody = encryptedBody.clone();
    }

    @Override
    public byte[] encryptedBody() {
        return encryptedBody.clone();
    }

    /** Body length in bytes, without copying. */
    public int encryptedLength() {
        return encryptedBody.length;
    }

    @Override
    public int type() {
        return PayloadType.ENCRYPTED.value();
    }

    @Override
    public byte[] encodeBody() {
        return encryptedBody.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SkPayload s && s.firstInnerPayload == firstInnerPayload
                && Arrays.equals(s.encryptedBody, encryptedBody);
    }

    @Override
    public int hashCode() {
        return 31 * firstInnerPayload + Arrays.hashCode(encryptedBody);
    }

    @Override
    public String toString() {
        return "SK[first inner " + firstInnerPayload + ", " + encryptedBody.length + " bytes]";
    }
}
