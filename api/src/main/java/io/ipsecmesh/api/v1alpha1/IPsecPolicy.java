package io.ipsecmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Which pod-to-pod traffic ipsec-mesh must protect with IPsec, and how. Namespaced, shaped like
 * a NetworkPolicy: {@code podSelector} picks pods in the policy's namespace, {@code peers} the
 * pods (in any namespace) or external addresses they are paired with.
 */
@Group(IPsecPolicy.GROUP)
@Version(IPsecPolicy.VERSION)
@Kind(IPsecPolicy.KIND)
@Plural(IPsecPolicy.PLURAL)
@Singular("ipsecpolicy")
@ShortNames("ipsp")
@JsonClassDescription("IPsecPolicy says which pod-to-pod traffic ipsec-mesh protects with IPsec (IKEv2, ESP or AH), "
        + "with which algorithms, and whether plaintext is dropped (Require) or only reported (Audit).")
@AdditionalPrinterColumn(name = "Ready", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Compliant", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Compliant\")].status")
@AdditionalPrinterColumn(name = "Age", type = AdditionalPrinterColumn.Type.DATE,
        jsonPath = ".metadata.creationTimestamp")
public class IPsecPolicy extends CustomResource<IPsecPolicySpec, IPsecPolicyStatus> implements Namespaced {

    public static final String GROUP = "ipsec.ipsecmesh.io";
    public static final String VERSION = "v1alpha1";
    public static final String KIND = "IPsecPolicy";
    public static final String PLURAL = "ipsecpolicies";
    /** The CRD's name, {@code ipsecpolicies.ipsec.ipsecmesh.io}. */
    public static final String CRD_NAME = PLURAL + "." + GROUP;

    @Override
    protected IPsecPolicySpec initSpec() {
        return new IPsecPolicySpec();
    }

    @Override
    protected IPsecPolicyStatus initStatus() {
        return new IPsecPolicyStatus();
    }
}
