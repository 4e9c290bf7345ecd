package io.ipsecmesh.operator.app;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the informers' initial lists are compiled into node snapshots. */
@Readiness
@ApplicationScoped
public class CompilerReadiness implements HealthCheck {

    private final CompilerService service;

    public CompilerReadiness(CompilerService service) {
        this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("policy-compiler");
        if (service.loaded()) {
            return b.up().withData("nodes", service.compiler().nodeNames().size())
                    .withData("policies", service.compiler().validPolicies()).build();
        }
        return b.down().withData("reason", service.failure() != null ? service.failure()
                : "waiting for the initial lists of nodes, namespaces, pods and policies").build();
    }
}
