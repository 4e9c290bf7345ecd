package io.ipsecmesh.ike;

import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Objects;
import javax.security.auth.DestroyFailedException;
import javax.security.auth.Destroyable;

/**
 * One side of an IKEv2 Diffie-Hellman exchange: an ephemeral key pair of a
 * {@link KeyExchangeGroup}. It gives the KE payload's data and computes g^ir from the peer's.
 * {@link #destroy()} drops (and, where the provider allows, destroys) the private key; use
 * afterwards throws {@link IllegalStateException}. Never prints key material.
 */
public final class KeyExchange implements Destroyable {

    private final KeyExchangeGroup group;
    private final byte[] publicValue;
    private KeyPair keyPair;

    KeyExchange(KeyExchangeGroup group, KeyPair keyPair) {
        this.group = Objects.requireNonNull(group, "group");
        this.keyPair = Objects.requireNonNull(keyPair, "keyPair");
        this.publicValue = group.encodePublicValue(keyPair.getPublic());
    }

    public KeyExchangeGroup group() {
        return group;
    }

    /** Our public value as the KE payload carries it ({@link KeyExchangeGroup#publicValueLength()} bytes). */
    public byte[] publicValue() {
        return publicValue.clone();
    }

    /** Our KE payload. */
    public KePayload kePayload() {
        return new KePayload(group.transformId(), publicValue);
    }

    /**
     * The shared secret g^ir (RFC 7296 §2.14), {@link KeyExchangeGroup#sharedSecretLength()}
     * bytes, from the peer's key exchange data. The caller owns, and should wipe, the result.
     *
     * @throws IkeParseException (INVALID_SYNTAX) if the peer's data has the wrong length or is
     *                           not a valid public value of the group
     */
    public synchronized byte[] sharedSecret(byte[] peerKeyExchangeData) throws IkeParseException {
        KeyPair kp = keyPair;
        if (kp == null) {
            throw new IllegalStateException("key exchange destroyed");
        }
        PublicKey peer = group.decodePublicValue(peerKeyExchangeData);
        return group.agree(kp.getPrivate(), peer);
    }

    /**
     * The shared secret from the peer's KE payload.
     *
     * @throws IkeParseException (INVALID_SYNTAX) as {@link #sharedSecret(byte[])}, or if the
     *                           payload names another group (the engine answers that case
     *                           with INVALID_KE_PAYLOAD itself, RFC 7296 §1.2, before getting here)
     */
    public byte[] sharedSecret(KePayload peer) throws IkeParseException {
        if (peer.dhGroup() != group.transformId()) {
            throw new IkeParseException("KE payload is for group " + peer.dhGroup() + ", expected "
                    + group.transformId());
        }
        return sharedSecret(peer.keyExchangeData());
    }

    @Override
    public void destroy() {
        destroy(Runnable::run);
    }

    /**
     * Drops the key pair at once (nothing can use it any more) and has {@code later} run the
     * private key's own destroy. An event loop passes its queue, so that the destroy runs right
     * after the message at hand is sent: Bouncy Castle's destroy computes the key's hash code,
     * which encodes the key with its public point, a point multiplication (about 0.3 ms, a
     * tenth of an initiator's turn between IKE_SA_INIT and IKE_AUTH).
     */
    public synchronized void destroy(java.util.concurrent.Executor later) {
        KeyPair kp = keyPair;
        keyPair = null;
        if (kp != null) {
            later.execute(() -> destroyQuietly(kp));
        }
    }

    private static void destroyQuietly(KeyPair kp) {
        try {
            kp.getPrivate().destroy();
        } catch (DestroyFailedException | UnsupportedOperationException e) {
            // JDK private keys mostly cannot be destroyed; dropping the reference is what remains.
        }
    }

    @Override
    public synchronized boolean isDestroyed() {
        return keyPair == null;
    }

    @Override
    public String toString() {
        return "KeyExchange[" + group.keyword() + (isDestroyed() ? ", destroyed" : "") + "]";
    }
}
