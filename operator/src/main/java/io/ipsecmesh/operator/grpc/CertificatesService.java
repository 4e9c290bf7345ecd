package io.ipsecmesh.operator.grpc;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.ipsecmesh.api.grpc.CertificatesGrpc;
import io.ipsecmesh.api.grpc.SignRequest;
import io.ipsecmesh.api.grpc.SignResponse;
import io.ipsecmesh.operator.ca.CertificateAuthority;
import io.ipsecmesh.operator.ca.Revocations;
import io.ipsecmesh.operator.ca.SidecarAuthenticator;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Signs node certificates: the caller proves with its ServiceAccount token that it is the
 * sidecar on the node it names; the CSR may ask only for that node's name and addresses.
 */
public final class CertificatesService extends CertificatesGrpc.CertificatesImplBase {

    private static final Logger LOG = Logger.getLogger(CertificatesService.class);

    private final CertificateAuthority ca;
    private final SidecarAuthenticator authenticator;
    private final Revocations revocations;
    private final Duration lifetime;
    private final Consumer<String> outcome;

    /**
     * @param outcome told "issued", "denied" or "invalid" per request (for metrics)
     */
    public CertificatesService(CertificateAuthority ca, SidecarAuthenticator authenticator, Revocations revocations,
                               Duration lifetime, Consumer<String> outcome) {
        this.ca = ca;
        this.authenticator = authenticator;
        this.revocations = revocations;
        this.lifetime = lifetime;
        this.outcome = outcome;
    }

    @Override
    public void sign(SignRequest request, StreamObserver<SignResponse> observer) {
        String node = request.getNodeName();
        SidecarAuthenticator.NodeIdentity id;
        try {
            id = authenticator.authenticate(ControlPlaneServer.TOKEN.get(), node);
        } catch (SidecarAuthenticator.DeniedException e) {
            outcome.accept("denied");
            LOG.infof("certificate for node %s denied: %s", node, e.getMessage());
            observer.onError(Status.PERMISSION_DENIED.withDescription(e.getMessage()).asRuntimeException());
            return;
        } catch (RuntimeException e) {
            outcome.accept("error");
            observer.onError(Status.UNAVAILABLE.withDescription("cannot check the token: " + e.getMessage())
                    .asRuntimeException());
            return;
        }
        X509Certificate cert;
        try {
            cert = ca.signNode(request.getCsrDer().toByteArray(), id.node(), id.addresses(), lifetime);
        } catch (CertificateAuthority.RefusedException e) {
            outcome.accept("invalid");
            LOG.infof("certificate for node %s refused: %s", node, e.getMessage());
            observer.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        revocations.issued(cert.getSerialNumber(), id.node(), cert.getNotAfter().toInstant());
        outcome.accept("issued");
        try {
            long notBefore = cert.getNotBefore().toInstant().getEpochSecond();
            long notAfter = cert.getNotAfter().toInstant().getEpochSecond();
            observer.onNext(SignResponse.newBuilder()
                    .addCertificateChainDer(ByteString.copyFrom(cert.getEncoded()))
                    .addCertificateChainDer(ByteString.copyFrom(ca.certificate().getEncoded()))
                    .setNotBeforeEpochSeconds(notBefore).setNotAfterEpochSeconds(notAfter)
                    .setRenewAfterEpochSeconds(notBefore + (notAfter - notBefore) * 2 / 3).build());
            observer.onCompleted();
        } catch (CertificateEncodingException e) {
            observer.onError(Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
        }
    }
}
