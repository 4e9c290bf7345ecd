package io.ipsecmesh.ike;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * The AUTH computation of RFC 7296 §2.15: the octets each side signs (or MACs) and the
 * Shared Key Message Integrity Code (auth method 2).
 *
 * <pre>
 * InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI
 * MACedIDForI           = prf(SK_pi, RestOfInitIDPayload)
 * ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR
 * MACedIDForR           = prf(SK_pr, RestOfRespIDPayload)
 * AUTH (PSK)            = prf( prf(Shared Secret, "Key Pad for IKEv2"), &lt;SignedOctets&gt;)
 * </pre>
 *
 * RealMessage1/2 are the IKE_SA_INIT messages exactly as sent (header included), the nonce
 * is the peer's Nonce payload data only, and RestOfIDPayload is the ID payload body from the
 * ID type on: type, 3 reserved octets, identification data ({@link IdPayload#encodeBody()}).
 * The "Key Pad for IKEv2" is the 17 ASCII octets without a terminating NUL (§2.15).
 *
 * <p>Signatures over the signed octets are in {@link DigitalSignatureAuth}.
 */
public final class IkeAuth {

    /** The key pad of §2.15: 17 ASCII octets, no NUL. */
    private static final byte[] KEY_PAD = "Key Pad for IKEv2".getBytes(StandardCharsets.US_ASCII);

    private IkeAuth() {
    }

    /**
     * InitiatorSignedOctets: RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload).
     *
     * @param realMessage1 the initiator's IKE_SA_INIT request as sent
     * @param nonceR       the responder's nonce data
     * @param idi          the initiator's ID payload (IDi)
     */
    public static byte[] initiatorSignedOctets(PrfAlgorithm prf, IkeSaKeys keys, byte[] realMessage1, byte[] nonceR,
                                               IdPayload idi) {
        byte[] skPi = keys.skPi();
        try {
            return signedOctets(prf, skPi, realMessage1, nonceR, idi, true);
        } finally {
            Arrays.fill(skPi, (byte) 0);
        }
    }

    /**
     * ResponderSignedOctets: RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload).
     *
     * @param realMessage2 the responder's IKE_SA_INIT response as sent
     * @param nonceI       the initiator's nonce data
     * @param idr          the responder's ID payload (IDr)
     */
    public static byte[] responderSignedOctets(PrfAlgorithm prf, IkeSaKeys keys, byte[] realMessage2, byte[] nonceI,
                                               IdPayload idr) {
        byte[] skPr = keys.skPr();
        try {
            return signedOctets(prf, skPr, realMessage2, nonceI, idr, false);
        } finally {
            Arrays.fill(skPr, (byte) 0);
        }
    }

    /**
     * The signed octets of either side: realMessage | peerNonce | prf(skP, id.encodeBody()).
     *
     * @param skP       SK_pi for the initiator, SK_pr for the responder
     * @param initiator which side signs; must match the ID payload (IDi or IDr)
     */
    public static byte[] signedOctets(PrfAlgorithm prf, byte[] skP, byte[] realMessage, byte[] peerNonce, IdPayload id,
                                      boolean initiator) {
        Objects.requireNonNull(prf, "prf");
        Objects.requireNonNull(skP, "SK_p");
        Objects.requireNonNull(realMessage, "realMessage");
        Objects.requireNonNull(peerNonce, "peerNonce");
        Objects.requireNonNull(id, "id");
        if (id.initiator() != initiator) {
            throw new IllegalArgumentException((initiator ? "initiator" : "responder") + " signs its own "
                    + (initiator ? "IDi" : "IDr") + ", got " + (id.initiator() ? "IDi" : "IDr"));
        }
        if (realMessage.length == 0 || peerNonce.length == 0) {
            throw new IllegalArgumentException("empty IKE_SA_INIT message or nonce");
        }
        byte[] macedId = prf.prf(skP, id.encodeBody());
        byte[] out = new byte[realMessage.length + peerNonce.length + macedId.length];
        System.arraycopy(realMessage, 0, out, 0, realMessage.length);
        System.arraycopy(peerNonce, 0, out, realMessage.length, peerNonce.length);
        System.arraycopy(macedId, 0, out, realMessage.length + peerNonce.length, macedId.length);
        return out;
    }

    /**
     * Shared Key MIC: prf(prf(Shared Secret, "Key Pad for IKEv2"), signedOctets). The
     * intermediate key is wiped.
     */
    public static byte[] pskAuthData(PrfAlgorithm prf, byte[] sharedSecret, byte[] signedOctets) {
        Objects.requireNonNull(prf, "prf");
        Objects.requireNonNull(signedOctets, "signedOctets");
        if (sharedSecret == null || sharedSecret.length == 0) {
            throw new IllegalArgumentException("empty shared secret");
        }
        byte[] padKey = prf.prf(sharedSecret, KEY_PAD);
        try {
            return prf.prf(padKey, signedOctets);
        } finally {
            Arrays.fill(padKey, (byte) 0);
        }
    }

    /** The AUTH payload for PSK authentication (method 2, Shared Key Message Integrity Code). */
    public static AuthPayload pskAuth(PrfAlgorithm prf, byte[] sharedSecret, byte[] signedOctets) {
        return new AuthPayload(AuthPayload.SHARED_KEY_MIC, pskAuthData(prf, sharedSecret, signedOctets));
    }

    /**
     * Verifies a PSK AUTH payload in constant time ({@link MessageDigest#isEqual}; its running
     * time depends on the lengths only, and the expected length is public).
     *
     * @throws IkeAuthException if the method is not 2 or the MIC does not match
     */
    public static void verifyPsk(PrfAlgorithm prf, byte[] sharedSecret, byte[] signedOctets, AuthPayload auth)
            throws IkeAuthException {
        Objects.requireNonNull(auth, "auth");
        if (auth.method() != AuthPayload.SHARED_KEY_MIC) {
            throw new IkeAuthException("expected AUTH method " + AuthPayload.SHARED_KEY_MIC + " (shared key MIC), got "
                    + auth.method());
        }
        byte[] expected = pskAuthData(prf, sharedSecret, signedOctets);
        byte[] received = auth.authenticationData();
        try {
            if (!MessageDigest.isEqual(expected, received)) {
                throw new IkeAuthException("shared key MIC does not verify");
            }
        } finally {
            Arrays.fill(expected, (byte) 0);
        }
    }
}
