package io.ipsecmesh.operator.kube;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.ipsecmesh.api.v1alpha1.IPsecPolicy;
import io.ipsecmesh.api.v1alpha1.IPsecPolicySpec;
import io.ipsecmesh.api.v1alpha1.IPsecPolicyStatus;
import io.ipsecmesh.operator.compiler.PolicyCompiler;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Turns what the compiler knows about a policy into its status (conditions and counts). */
public final class PolicyStatuses {

    public static final String REASON_COMPILED = "Compiled";
    public static final String REASON_INVALID = "InvalidSpec";
    public static final String REASON_NO_PROFILE = "NoProfile";
    public static final String REASON_ALLOWED = "AlgorithmsAllowed";
    public static final String REASON_NOT_ALLOWED = "AlgorithmsNotAllowed";
    public static final String REASON_NOT_EVALUATED = "SpecInvalid";

    private PolicyStatuses() {
    }

    /**
     * The status for this policy. Conditions keep their lastTransitionTime while their status
     * does not change. {@code pairsProtected}: the required pairs nodes report protected.
     */
    public static IPsecPolicyStatus compute(IPsecPolicy policy, PolicyCompiler.PolicyReport report,
                                            long pairsProtected, Instant now) {
        IPsecPolicyStatus previous = policy.getStatus();
        long generation = policy.getMetadata().getGeneration() == null ? 0 : policy.getMetadata().getGeneration();
        IPsecPolicyStatus s = new IPsecPolicyStatus();
        s.setObservedGeneration(generation);
        List<Condition> conditions = new ArrayList<>();
        if (report.validation().valid()) {
            conditions.add(condition(previous, IPsecPolicyStatus.READY, "True", REASON_COMPILED,
                    "compiled into " + report.nodes() + " node snapshot(s): " + report.pods() + " selected pod(s), "
                            + report.peerPods() + " peer pod(s), " + report.pairsRequired() + " pair(s) to protect",
                    generation, now));
            String profile = Objects.requireNonNullElse(policy.getSpec().getComplianceProfile(),
                    IPsecPolicySpec.PROFILE_NONE);
            if (IPsecPolicySpec.PROFILE_NONE.equals(profile)) {
                conditions.add(condition(previous, IPsecPolicyStatus.COMPLIANT, "True", REASON_NO_PROFILE,
                        "no complianceProfile named", generation, now));
            } else if (report.complianceViolations().isEmpty()) {
                conditions.add(condition(previous, IPsecPolicyStatus.COMPLIANT, "True", REASON_ALLOWED,
                        "every proposal is allowed by " + profile, generation, now));
            } else {
                conditions.add(condition(previous, IPsecPolicyStatus.COMPLIANT, "False", REASON_NOT_ALLOWED,
                        String.join("; ", report.complianceViolations()), generation, now));
            }
            s.setPods(report.pods());
            s.setPeerPods(report.peerPods());
            s.setPairsRequired(report.pairsRequired());
            s.setNodes(report.nodes());
        } else {
            conditions.add(condition(previous, IPsecPolicyStatus.READY, "False", REASON_INVALID,
                    report.validation().message(), generation, now));
            conditions.add(condition(previous, IPsecPolicyStatus.COMPLIANT, "Unknown", REASON_NOT_EVALUATED,
                    "the spec is invalid; see the Ready condition", generation, now));
            s.setPods(0);
            s.setPeerPods(0);
            s.setPairsRequired(0L);
            s.setNodes(0);
        }
        s.setPairsProtected(report.validation().valid() ? Math.min(pairsProtected, report.pairsRequired()) : 0L);
        s.setConditions(conditions);
        return s;
    }

    private static Condition condition(IPsecPolicyStatus previous, String type, String status, String reason,
                                       String message, long generation, Instant now) {
        Condition old = previous == null ? null : previous.condition(type);
        String since = old != null && status.equals(old.getStatus()) && old.getLastTransitionTime() != null
                ? old.getLastTransitionTime() : now.toString();
        return new ConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withObservedGeneration(generation).withLastTransitionTime(since).build();
    }

    /** Whether two statuses say the same (ignoring nothing: used to skip no-op status writes). */
    public static boolean same(IPsecPolicyStatus a, IPsecPolicyStatus b) {
        return a != null && b != null
                && io.fabric8.kubernetes.client.utils.Serialization.asJson(a)
                .equals(io.fabric8.kubernetes.client.utils.Serialization.asJson(b));
    }
}
