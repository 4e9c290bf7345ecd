package io.ipsecmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** A CIDR outside the cluster, minus exceptions. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IPsecIpBlock {

    @Required
    @ValidationRule(value = "isCIDR(self)", message = "cidr must be an IPv4 or IPv6 CIDR such as 198.51.100.0/24")
    @JsonPropertyDescription("An IPv4 or IPv6 CIDR, e.g. 198.51.100.0/24 or 2001:db8::/64.")
    @Size(max = 64)
    private String cidr;

    @JsonPropertyDescription("CIDRs inside cidr that are not peers.")
    private List<String> except;

    public String getCidr() { return cidr; }
    public void setCidr(String cidr) { this.cidr = cidr; }
    public List<String> getExcept() { return except; }
    public void setExcept(List<String> except) { this.except = except; }
}
