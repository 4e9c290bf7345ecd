package io.ipsecmesh.operator.app;

import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import io.ipsecmesh.api.v1alpha1.IPsecPolicyStatus;
import io.ipsecmesh.operator.compiler.PolicyCompiler;
import io.ipsecmesh.operator.kube.PolicyStatuses;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.quarkiverse.operatorsdk.annotations.RBACRule;
import io.quarkiverse.operatorsdk.annotations.RBACVerbs;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Writes each IPsecPolicy's status from the compiler: Ready (with observedGeneration; reason
 * InvalidSpec and the validator's messages when the spec is invalid), Compliant, and the
 * counts. The compiler itself is fed by {@link CompilerService}'s informers (policies
 * included), so this reconciler only reads; counts follow pod changes within the refresh
 * interval.
 */
@ControllerConfiguration(name = "ipsecpolicy")
@RBACRule(apiGroups = "", resources = {"pods", "namespaces", "nodes"}, verbs = {RBACVerbs.GET, RBACVerbs.LIST,
        RBACVerbs.WATCH})
public class IPsecPolicyReconciler implements Reconciler<IPsecPolicy> {

    private final CompilerService service;
    private final Duration refresh;

    public IPsecPolicyReconciler(CompilerService service,
                                 @ConfigProperty(name = "ipsm.status.refresh", defaultValue = "30s") Duration refresh) {
        this.service = service;
        this.refresh = refresh;
    }

    @Override
    public UpdateControl<IPsecPolicy> reconcile(IPsecPolicy policy, Context<IPsecPolicy> context) {
        PolicyCompiler.PolicyReport report = service.compiler().report(PolicyCompiler.keyOf(policy));
        if (!service.loaded() || report == null
                || !Objects.equals(report.generation(), policy.getMetadata().getGeneration())) {
            // The compiler's informer has not seen this generation yet.
            return UpdateControl.<IPsecPolicy>noUpdate().rescheduleAfter(Duration.ofMillis(250));
        }
        IPsecPolicyStatus status = PolicyStatuses.compute(policy, report,
                service.ledger().protectedPairs(PolicyCompiler.keyOf(policy)), Instant.now());
        if (PolicyStatuses.same(status, policy.getStatus())) {
            return UpdateControl.<IPsecPolicy>noUpdate().rescheduleAfter(refresh);
        }
        policy.setStatus(status);
        return UpdateControl.patchStatus(policy).rescheduleAfter(refresh);
    }
}
