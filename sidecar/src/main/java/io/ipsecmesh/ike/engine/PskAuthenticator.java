package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.AuthPayload;
import io.ipsecmesh.ike.CertPayload;
import io.ipsecmesh.ike.CertReqPayload;
import io.ipsecmesh.ike.IdPayload;
import io.ipsecmesh.ike.IkeAuth;
import io.ipsecmesh.ike.IkeAuthException;
import io.ipsecmesh.ike.PrfAlgorithm;
import io.ipsecmesh.ike.SignatureHashAlgorithm;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** Authentication with a pre-shared key: AUTH = prf(prf(PSK, "Key Pad for IKEv2"), signed octets). */
public final class PskAuthenticator implements Authenticator {
    private final byte[] psk;

    public PskAuthenticator(byte[] psk) {
        this.psk = psk.clone();
    }

    @Override
    public AuthPayload sign(PrfAlgorithm prf, byte[] signedOctets, Set<SignatureHashAlgorithm> peerHashes) {
        return IkeAuth.pskAuth(prf, psk, signedOctets);
    }

    @Override
    public List<CertPayload> certificates() {
        return List.of();
    }

    @Override
    public CertReqPayload certificateRequest() {
        return null;
    }

    @Override
    public void verify(PrfAlgorithm prf, AuthPayload auth, List<CertPayload> certs, IdPayload peerId,
                       byte[] signedOctets) throws IkeAuthException {
        IkeAuth.verifyPsk(prf, psk, signedOctets, auth);
    }

    @Override
    public void destroy() {
        Arrays.fill(psk, (byte) 0);
    }

    @Override
    public String toString() {
        return "psk";
    }
}
