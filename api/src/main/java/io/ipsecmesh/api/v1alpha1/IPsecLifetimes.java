package io.ipsecmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** SA lifetimes. Durations are written like 24h, 90m or 1h30m. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IPsecLifetimes {

    @ValidationRule(value = "duration(self) >= duration('5m') && duration(self) <= duration('720h')",
            message = "ike lifetime must be a duration between 5m and 720h, e.g. 24h")
    @JsonPropertyDescription("IKE SA lifetime (default 24h). It is reauthenticated before this.")
    @Size(max = 32)
    private String ike;

    @ValidationRule(value = "duration(self) >= duration('1m') && duration(self) <= duration('168h')",
            message = "child lifetime must be a duration between 1m and 168h, e.g. 1h")
    @JsonPropertyDescription("CHILD_SA (ESP/AH) lifetime in time (default 1h).")
    @Size(max = 32)
    private String child;

    @Min(1048576)
    @JsonPropertyDescription("CHILD_SA lifetime in bytes (at least 1 MiB); omitted: no byte limit.")
    private Long childBytes;

    @Min(1000)
    @JsonPropertyDescription("CHILD_SA lifetime in packets (at least 1000); omitted: no packet limit.")
    private Long childPackets;

    public IPsecLifetimes() {
    }

    public IPsecLifetimes(String ike, String child, Long childBytes, Long childPackets) {
        this.ike = ike;
        this.child = child;
        this.childBytes = childBytes;
        this.childPackets = childPackets;
    }

    public String getIke() { return ike; }
    public void setIke(String ike) { this.ike = ike; }
    public String getChild() { return child; }
    public void setChild(String child) { this.child = child; }
    public Long getChildBytes() { return childBytes; }
    public void setChildBytes(Long childBytes) { this.childBytes = childBytes; }
    public Long getChildPackets() { return childPackets; }
    public void setChildPackets(Long childPackets) { this.childPackets = childPackets; }
}
