package io.ipsecmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;

/** One peer: pods (by namespace and/or pod labels) or an address block outside the cluster. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.podSelector) || has(self.namespaceSelector) || has(self.ipBlock)",
        message = "a peer needs podSelector, namespaceSelector or ipBlock")
@ValidationRule(value = "!has(self.ipBlock) || (!has(self.podSelector) && !has(self.namespaceSelector))",
        message = "ipBlock cannot be combined with podSelector or namespaceSelector in one peer")
public class IPsecPeer {

    @JsonPropertyDescription("Pods matching these labels. Alone: pods in the policy's namespace; with "
            + "namespaceSelector: pods in the namespaces it selects. {} matches every pod.")
    private LabelSelector podSelector;

    @JsonPropertyDescription("Namespaces whose pods are peers (all of them, or those podSelector matches). "
            + "{} matches every namespace.")
    private LabelSelector namespaceSelector;

    @JsonPropertyDescription("Addresses outside the cluster (e.g. a VM running strongSwan), as a CIDR. "
            + "Pod addresses are not matched by ipBlock.")
    private IPsecIpBlock ipBlock;

    public LabelSelector getPodSelector() { return podSelector; }
    public void setPodSelector(LabelSelector podSelector) { this.podSelector = podSelector; }
    public LabelSelector getNamespaceSelector() { return namespaceSelector; }
    public void setNamespaceSelector(LabelSelector namespaceSelector) { this.namespaceSelector = namespaceSelector; }
    public IPsecIpBlock getIpBlock() { return ipBlock; }
    public void setIpBlock(IPsecIpBlock ipBlock) { this.ipBlock = ipBlock; }
}
