package io.ipsecmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.PrinterColumn;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.ArrayList;
import java.util.List;

/**
 * The desired protection. See the field descriptions (also shown by {@code kubectl explain}).
 * Strings and lists that CEL rules look at carry a maximum size, so that the API server's
 * estimate of the rules' cost stays within its budget.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@com.fasterxml.jackson.annotation.JsonClassDescription("Which pods are protected (podSelector), with whom (peers), "
        + "on which ports, and how: mode, protocol, proposals, enforcement, lifetimes, compliance profile.")
@ValidationRule(value = "self.protocol != 'AH' || !has(self.proposals) || !has(self.proposals.esp)",
        message = "protocol AH negotiates proposals.ah; proposals.esp is only for protocol ESP")
@ValidationRule(value = "self.protocol != 'ESP' || !has(self.proposals) || !has(self.proposals.ah)",
        message = "protocol ESP negotiates proposals.esp; proposals.ah is only for protocol AH")
public class IPsecPolicySpec {

    public static final String MODE_TRANSPORT = "Transport";
    public static final String MODE_TUNNEL = "Tunnel";
    public static final String PROTOCOL_ESP = "ESP";
    public static final String PROTOCOL_AH = "AH";
    public static final String ENFORCEMENT_REQUIRE = "Require";
    public static final String ENFORCEMENT_AUDIT = "Audit";
    public static final String PROFILE_NONE = "None";
    public static final String PROFILE_NIST = "NIST-SP-800-77r1";
    public static final String PROFILE_CNSA2 = "CNSA-2.0";

    @Required
    @JsonPropertyDescription("Pods in this policy's namespace whose traffic with the peers is protected. "
            + "An empty selector ({}) selects every pod in the namespace.")
    private LabelSelector podSelector;

    @Required
    @Size(min = 1, max = 64)
    @JsonPropertyDescription("Who the selected pods talk to. Traffic between a selected pod and any pod (or address) "
            + "matched by one of these peers is protected, in both directions.")
    private List<IPsecPeer> peers = new ArrayList<>();

    @Size(max = 64)
    @JsonPropertyDescription("Restricts protection to these destination ports (on either side). "
            + "Empty or omitted: all traffic between the paired pods.")
    private List<IPsecPort> ports;

    @Default(MODE_TRANSPORT)
    @PrinterColumn(name = "Mode")
    @ValidationRule(value = "self in ['Transport', 'Tunnel']", message = "mode must be Transport or Tunnel")
    @JsonPropertyDescription("Transport (default): ESP/AH between the pods' own addresses. "
            + "Tunnel: the pod packet is wrapped in an outer header between the two nodes.")
    @Size(max = 16)
    private String mode = MODE_TRANSPORT;

    @Default(PROTOCOL_ESP)
    @ValidationRule(value = "self in ['ESP', 'AH']", message = "protocol must be ESP or AH")
    @JsonPropertyDescription("ESP (default): encryption and integrity. AH: integrity only, the payload stays readable.")
    @Size(max = 8)
    private String protocol = PROTOCOL_ESP;

    @JsonPropertyDescription("Algorithms, as strongSwan-style proposal strings, in order of preference. "
            + "Omitted lists take the defaults: IKE aes256gcm16-prfsha384-ecp384, ESP aes256gcm16, AH sha384.")
    private IPsecProposals proposals;

    @Default(ENFORCEMENT_REQUIRE)
    @PrinterColumn(name = "Enforcement")
    @ValidationRule(value = "self in ['Require', 'Audit']", message = "enforcement must be Require or Audit")
    @JsonPropertyDescription("Require (default): plaintext between paired pods is dropped, so traffic fails closed "
            + "when no SA exists. Audit: traffic is protected when possible and plaintext is reported, not dropped.")
    @Size(max = 16)
    private String enforcement = ENFORCEMENT_REQUIRE;

    @JsonPropertyDescription("SA lifetimes; SAs are rekeyed before they expire.")
    private IPsecLifetimes lifetimes;

    @Default(PROFILE_NONE)
    @ValidationRule(value = "self in ['None', 'NIST-SP-800-77r1', 'CNSA-2.0']",
            message = "complianceProfile must be None, NIST-SP-800-77r1 or CNSA-2.0")
    @JsonPropertyDescription("A named set of allowed algorithms the proposals are checked against; the result is the "
            + "Compliant condition. None (default), NIST-SP-800-77r1 (FIPS-approved algorithms) or CNSA-2.0 "
            + "(AES-256, SHA-384 or better, P-384 or better).")
    @Size(max = 32)
    private String complianceProfile = PROFILE_NONE;

    @Default("false")
    @JsonPropertyDescription("Allows legacy algorithms (3des) in the proposals. Off by default; every compliance "
            + "profile flags them.")
    private Boolean allowLegacyAlgorithms;

    public LabelSelector getPodSelector() { return podSelector; }
    public void setPodSelector(LabelSelector podSelector) { this.podSelector = podSelector; }
    public List<IPsecPeer> getPeers() { return peers; }
    public void setPeers(List<IPsecPeer> peers) { this.peers = peers; }
    public List<IPsecPort> getPorts() { return ports; }
    public void setPorts(List<IPsecPort> ports) { this.ports = ports; }
    public String getMode() { return mode; }
    public void setMode(String mode) { this.mode = mode; }
    public String getProtocol() { return protocol; }
    public void setProtocol(String protocol) { this.protocol = protocol; }
    public IPsecProposals getProposals() { return proposals; }
    public void setProposals(IPsecProposals proposals) { this.proposals = proposals; }
    public String getEnforcement() { return enforcement; }
    public void setEnforcement(String enforcement) { this.enforcement = enforcement; }
    public IPsecLifetimes getLifetimes() { return lifetimes; }
    public void setLifetimes(IPsecLifetimes lifetimes) { this.lifetimes = lifetimes; }
    public String getComplianceProfile() { return complianceProfile; }
    public void setComplianceProfile(String complianceProfile) { this.complianceProfile = complianceProfile; }
    public Boolean getAllowLegacyAlgorithms() { return allowLegacyAlgorithms; }
    public void setAllowLegacyAlgorithms(Boolean allowLegacyAlgorithms) { this.allowLegacyAlgorithms = allowLegacyAlgorithms; }
}
