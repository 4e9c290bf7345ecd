package io.ipsecmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** A destination port or port range, as in NetworkPolicy (numeric ports only). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.endPort) || (has(self.port) && self.endPort >= self.port)",
        message = "endPort needs port and must not be below it")
public class IPsecPort {

    @Default("TCP")
    @ValidationRule(value = "self in ['TCP', 'UDP', 'SCTP']", message = "protocol must be TCP, UDP or SCTP")
    @JsonPropertyDescription("TCP (default), UDP or SCTP.")
    @Size(max = 8)
    private String protocol = "TCP";

    @Min(1)
    @Max(65535)
    @JsonPropertyDescription("Destination port; omitted: every port of the protocol.")
    private Integer port;

    @Min(1)
    @Max(65535)
    @JsonPropertyDescription("Last port of a range starting at port.")
    private Integer endPort;

    public IPsecPort() {
    }

    public IPsecPort(String protocol, Integer port, Integer endPort) {
        this.protocol = protocol;
        this.port = port;
        this.endPort = endPort;
    }

    public String getProtocol() { return protocol; }
    public void setProtocol(String protocol) { this.protocol = protocol; }
    public Integer getPort() { return port; }
    public void setPort(Integer port) { this.port = port; }
    public Integer getEndPort() { return endPort; }
    public void setEndPort(Integer endPort) { this.endPort = endPort; }
}
