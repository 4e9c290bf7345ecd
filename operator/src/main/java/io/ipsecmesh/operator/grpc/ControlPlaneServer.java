package io.ipsecmesh.operator.grpc;

import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.ipsecmesh.operator.ca.CertificateAuthority;
import io.ipsecmesh.operator.ca.Revocations;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * The control-plane gRPC server: TLS with a server certificate from the operator's CA; client
 * certificates (node certificates from the same CA) optional at the TLS level, required by
 * Watch and Report, refused when revoked. The ServiceAccount token of Sign comes in the
 * "authorization" metadata.
 */
public final class ControlPlaneServer implements AutoCloseable {

    /** The node named by the caller's (valid, unrevoked) client certificate, if any. */
    public static final Context.Key<String> NODE = Context.key("ipsm-node");
    /** The bearer token from the "authorization" metadata, if any. */
    public static final Context.Key<String> TOKEN = Context.key("ipsm-token");

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final Server server;

    public ControlPlaneServer(InetSocketAddress address, CertificateAuthority ca,
                              CertificateAuthority.KeyAndCertificate serverCert, Revocations revocations,
                              List<BindableService> services) throws IOException {
        SslContext ssl = GrpcSslContexts.configure(SslContextBuilder.forServer(serverCert.key(),
                serverCert.certificate(), ca.certificate()))
                .trustManager(ca.certificate())
                .clientAuth(ClientAuth.OPTIONAL)
                .build();
        NettyServerBuilder b = NettyServerBuilder.forAddress(address).sslContext(ssl);
        ServerInterceptor auth = new AuthInterceptor(revocations);
        for (BindableService s : services) {
            b.addService(ServerInterceptors.intercept(s, auth));
        }
        server = b.build().start();
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    private static final class AuthInterceptor implements ServerInterceptor {
        private final Revocations revocations;

        AuthInterceptor(Revocations revocations) {
            this.revocations = revocations;
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                          ServerCallHandler<Q, R> next) {
            Context ctx = Context.current();
            String authorization = headers.get(AUTHORIZATION);
            if (authorization != null && authorization.startsWith("Bearer ")) {
                ctx = ctx.withValue(TOKEN, authorization.substring("Bearer ".length()).strip());
            }
            SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
            if (session != null) {
                try {
                    Certificate[] chain = session.getPeerCertificates();
                    if (chain.length > 0 && chain[0] instanceof X509Certificate cert) {
                        if (revocations.isRevoked(cert.getSerialNumber())) {
                            call.close(Status.PERMISSION_DENIED.withDescription("certificate "
                                    + cert.getSerialNumber().toString(16) + " of " + cn(cert.getSubjectX500Principal())
                                    + " was revoked (its node was deleted)"), new Metadata());
                            return new ServerCall.Listener<>() { };
                        }
                        ctx = ctx.withValue(NODE, cn(cert.getSubjectX500Principal()));
                    }
                } catch (SSLPeerUnverifiedException e) {
                    // No client certificate: fine for Sign.
                }
            }
            return Contexts.interceptCall(ctx, call, headers, next);
        }

        private static String cn(X500Principal p) {
            for (String part : p.getName(X500Principal.RFC2253).split(",")) {
                if (part.startsWith("CN=")) {
                    return part.substring(3);
                }
            }
            return null;
        }
    }
}
