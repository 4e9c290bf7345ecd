package io.ipsecmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** What the operator observed. Written by the operator only. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@com.fasterxml.jackson.annotation.JsonClassDescription("What the operator observed (written by the operator): "
        + "conditions Ready and Compliant, and the counts of pods and pairs.")
public class IPsecPolicyStatus {

    public static final String READY = "Ready";
    public static final String COMPLIANT = "Compliant";

    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Ready: the policy is valid and compiled into the nodes' snapshots (reason and message say "
            + "why not). Compliant: every proposal is allowed by complianceProfile.")
    private List<Condition> conditions = new ArrayList<>();

    @PrinterColumn(name = "Pods")
    @JsonPropertyDescription("Running pods the podSelector selects (with an address and a known node).")
    private Integer pods;

    @JsonPropertyDescription("Pods (in any namespace) the peers select.")
    private Integer peerPods;

    @PrinterColumn(name = "Required")
    @JsonPropertyDescription("Pod pairs (selected pod, peer pod) on different nodes that must be protected.")
    private Long pairsRequired;

    @PrinterColumn(name = "Protected")
    @JsonPropertyDescription("Of pairsRequired, the pairs that nodes report as protected by an established SA.")
    private Long pairsProtected;

    @JsonPropertyDescription("Nodes whose snapshot carries this policy.")
    private Integer nodes;

    public Long getObservedGeneration() { return observedGeneration; }
    public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
    public List<Condition> getConditions() { return conditions; }
    public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
    public Integer getPods() { return pods; }
    public void setPods(Integer pods) { this.pods = pods; }
    public Integer getPeerPods() { return peerPods; }
    public void setPeerPods(Integer peerPods) { this.peerPods = peerPods; }
    public Long getPairsRequired() { return pairsRequired; }
    public void setPairsRequired(Long pairsRequired) { this.pairsRequired = pairsRequired; }
    public Long getPairsProtected() { return pairsProtected; }
    public void setPairsProtected(Long pairsProtected) { this.pairsProtected = pairsProtected; }
    public Integer getNodes() { return nodes; }
    public void setNodes(Integer nodes) { this.nodes = nodes; }

    /** The condition of that type, or null. */
    public Condition condition(String type) {
        if (conditions == null) {
            return null;
        }
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }
}
