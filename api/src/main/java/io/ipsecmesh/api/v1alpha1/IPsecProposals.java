package io.ipsecmesh.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** strongSwan-style proposal strings, most preferred first. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IPsecProposals {

    @Size(max = 16)
    @JsonPropertyDescription("IKE SA proposals, e.g. aes256gcm16-prfsha384-ecp384 or aes128-sha256-modp2048.")
    private List<String> ike;

    @Size(max = 16)
    @JsonPropertyDescription("ESP (CHILD_SA) proposals for protocol ESP, e.g. aes256gcm16, aes128-sha256, "
            + "chacha20poly1305; a key exchange group (e.g. -ecp384) adds PFS on rekey.")
    private List<String> esp;

    @Size(max = 16)
    @JsonPropertyDescription("AH (CHILD_SA) proposals for protocol AH: an integrity algorithm, e.g. sha256 or sha384.")
    private List<String> ah;

    public IPsecProposals() {
    }

    public IPsecProposals(List<String> ike, List<String> esp, List<String> ah) {
        this.ike = ike;
        this.esp = esp;
        this.ah = ah;
    }

    public List<String> getIke() { return ike; }
    public void setIke(List<String> ike) { this.ike = ike; }
    public List<String> getEsp() { return esp; }
    public void setEsp(List<String> esp) { this.esp = esp; }
    public List<String> getAh() { return ah; }
    public void setAh(List<String> ah) { this.ah = ah; }
}
