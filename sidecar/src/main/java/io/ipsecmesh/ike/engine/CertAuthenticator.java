package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.AuthPayload;
import io.ipsecmesh.ike.CertPayload;
import io.ipsecmesh.ike.CertReqPayload;
import io.ipsecmesh.ike.DigitalSignatureAuth;
import io.ipsecmesh.ike.IdPayload;
import io.ipsecmesh.ike.IkeAuthException;
import io.ipsecmesh.ike.PrfAlgorithm;
import io.ipsecmesh.ike.SignatureAlgorithm;
import io.ipsecmesh.ike.SignatureHashAlgorithm;
import io.ipsecmesh.ike.cert.CertificateRejectedException;
import io.ipsecmesh.ike.cert.CertificateValidator;
import io.ipsecmesh.ike.cert.CredentialException;
import io.ipsecmesh.ike.cert.LocalCredentials;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Authentication with X.509 certificates (RFC 7296 §2.15, §3.6): we sign with our key, using
 * RFC 7427 digital signatures when the peer announced SIGNATURE_HASH_ALGORITHMS and the classic
 * ECDSA methods of RFC 4754 otherwise; the peer's end-entity certificate must chain to one of
 * our CAs, be valid and unrevoked, and name the identity the peer claimed.
 */
public final class CertAuthenticator implements Authenticator {

    private final LocalCredentials credentials;
    private final CertificateValidator validator;
    /**
     * Chains that validated recently, by digest of the presented CERT payloads and the claimed
     * ID: a node re-authenticates the same peers again and again (rekeys, restarts, thousands
     * of pairs), and the chain check costs a signature verification per link. An entry lives
     * {@link #VALIDATED_TTL_MS} at most, so a new CRL takes effect within that time.
     */
    private final java.util.LinkedHashMap<String, Validated> validated = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, Validated> e) {
            return size() > 4096;
        }
    };
    static final long VALIDATED_TTL_MS = 60_000;

    private record Validated(X509Certificate cert, long untilMillis) {
    }

    public CertAuthenticator(LocalCredentials credentials, CertificateValidator validator) {
        this.credentials = credentials;
        this.validator = validator;
    }

    /** Loads the connection's key, certificate, CAs and CRLs. */
    static CertAuthenticator load(IkeConfig.Conn conn) throws IOException {
        try {
            LocalCredentials creds = LocalCredentials.load(conn.key(), conn.cert(), List.of());
            List<X509Certificate> cas = new ArrayList<>();
            for (Path p : conn.cas()) {
                cas.addAll(CertificateValidator.loadCertificates(p));
            }
            List<X509CRL> crls = new ArrayList<>();
            for (Path p : conn.crls()) {
                crls.add(CertificateValidator.loadCrl(p));
            }
            return new CertAuthenticator(creds, new CertificateValidator(cas, crls, Clock.systemUTC()));
        } catch (CredentialException e) {
            throw new IOException("conn '" + conn.name() + "': " + e.getMessage(), e);
        }
    }

    @Override
    public AuthPayload sign(PrfAlgorithm prf, byte[] signedOctets, Set<SignatureHashAlgorithm> peerHashes) {
        PrivateKey key = credentials.privateKey();
        if (key instanceof ECPrivateKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            if (bits == 384) {
                return peerHashes.contains(SignatureHashAlgorithm.SHA2_384)
                        ? DigitalSignatureAuth.sign(SignatureAlgorithm.ECDSA_SHA384_P384, key, signedOctets)
                        : DigitalSignatureAuth.signClassic(DigitalSignatureAuth.ClassicEcdsa.SHA384_P384, key, signedOctets);
            }
            return peerHashes.contains(SignatureHashAlgorithm.SHA2_256)
                    ? DigitalSignatureAuth.sign(SignatureAlgorithm.ECDSA_SHA256_P256, key, signedOctets)
                    : DigitalSignatureAuth.signClassic(DigitalSignatureAuth.ClassicEcdsa.SHA256_P256, key, signedOctets);
        }
        // RSA: RSASSA-PSS through RFC 7427 (strongSwan accepts it; PKCS#1 v1.5 with SHA-1 is not offered).
        return DigitalSignatureAuth.sign(SignatureAlgorithm.RSASSA_PSS_SHA256, key, signedOctets);
    }

    @Override
    public List<CertPayload> certificates() {
        return credentials.certPayloads();
    }

    @Override
    public CertReqPayload certificateRequest() {
        return validator.certReqPayload();
    }

    @Override
    public void verify(PrfAlgorithm prf, AuthPayload auth, List<CertPayload> certs, IdPayload peerId,
                       byte[] signedOctets) throws IkeAuthException {
        X509Certificate peer = validate(certs, peerId);
        if (auth.method() == AuthPayload.DIGITAL_SIGNATURE) {
            DigitalSignatureAuth.verify(auth, peer.getPublicKey(), signedOctets, EnumSet.allOf(SignatureAlgorithm.class));
        } else if (DigitalSignatureAuth.ClassicEcdsa.ofMethod(auth.method()).isPresent()) {
            DigitalSignatureAuth.verifyClassic(auth, peer.getPublicKey(), signedOctets,
                    EnumSet.allOf(DigitalSignatureAuth.ClassicEcdsa.class));
        } else {
            throw new IkeAuthException("AUTH method " + auth.method() + " is not accepted with certificates");
        }
    }

    private synchronized X509Certificate validate(List<CertPayload> certs, IdPayload peerId) throws IkeAuthException {
        String key = cacheKey(certs, peerId);
        long now = System.currentTimeMillis();
        Validated v = validated.get(key);
        if (v != null && now < v.untilMillis() && now < v.cert().getNotAfter().getTime()) {
            return v.cert();
        }
        try {
            X509Certificate peer = validator.validate(certs, peerId);
            validated.put(key, new Validated(peer, now + VALIDATED_TTL_MS));
            return peer;
        } catch (CertificateRejectedException e) {
            validated.remove(key);
            throw new IkeAuthException("certificate rejected (" + e.reason().name().toLowerCase() + "): " + e.getMessage());
        }
    }

    private static String cacheKey(List<CertPayload> certs, IdPayload id) {
        try {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            for (CertPayload c : certs) {
                d.update((byte) c.encoding());
                d.update(java.nio.ByteBuffer.allocate(4).putInt(c.data().length).array());
                d.update(c.data());
            }
            d.update((byte) id.idType());
            d.update(id.data());
            return java.util.HexFormat.of().formatHex(d.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether our own certificate validates against our CAs for our identity. */
    boolean certifiesItself(io.ipsecmesh.ike.cert.IkeIdentity id) {
        try {
            validator.validate(credentials.certPayloads(), id.toIdPayload(true));
            return true;
        } catch (CertificateRejectedException e) {
            return false;
        }
    }

    @Override
    public void destroy() {
        // The private key is a JCE object without destroy support; it is dropped with the connection.
    }

    @Override
    public String toString() {
        return "cert";
    }
}
