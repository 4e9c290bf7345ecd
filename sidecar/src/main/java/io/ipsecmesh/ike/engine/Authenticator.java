package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.AuthPayload;
import io.ipsecmesh.ike.CertPayload;
import io.ipsecmesh.ike.CertReqPayload;
import io.ipsecmesh.ike.IdPayload;
import io.ipsecmesh.ike.IkeAuthException;
import io.ipsecmesh.ike.PrfAlgorithm;
import io.ipsecmesh.ike.SignatureHashAlgorithm;

import java.util.List;
import java.util.Set;

/**
 * How a connection proves its identity and checks the peer's (RFC 7296 §2.15): with a
 * pre-shared key ({@link PskAuthenticator}) or with X.509 certificates and signatures
 * ({@link CertAuthenticator}). One instance per connection, shared by its IKE SAs.
 */
public interface Authenticator {

    /** Our AUTH payload over {@code signedOctets}. {@code peerHashes}: what the peer announced (RFC 7427). */
    AuthPayload sign(PrfAlgorithm prf, byte[] signedOctets, Set<SignatureHashAlgorithm> peerHashes);

    /** CERT payloads we send along with AUTH (empty for PSK). */
    List<CertPayload> certificates();

    /** The CERTREQ we send (null for PSK). */
    CertReqPayload certificateRequest();

    /**
     * Checks the peer's AUTH (and certificates) for the identity it claimed.
     *
     * @throws IkeAuthException with a reason a person understands
     */
    void verify(PrfAlgorithm prf, AuthPayload auth, List<CertPayload> certs, IdPayload peerId, byte[] signedOctets)
            throws IkeAuthException;

    /** Zeroes secrets. */
    void destroy();
}
