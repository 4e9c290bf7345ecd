package io.ipsecmesh.dataplane;

import io.ipsecmesh.sa.DropReason;
import io.ipsecmesh.sa.SecurityAssociation;

/**
 * Renders data-plane counters in the Prometheus text exposition format (names with the
 * {@code ipsec_} prefix, {@code _total} counters), for the stats file of the manual-keying command.
 */
public final class PrometheusText {
    private PrometheusText() {
    }

    public static String render(DataPlane dp) {
        Counters c = dp.counters();
        StringBuilder sb = new StringBuilder(1024);
        sb.append("# TYPE ipsec_drops_total counter\n");
        for (DropReason r : DropReason.values()) {
            if (r != DropReason.NONE && r != DropReason.HELD) {
                sb.append("ipsec_drops_total{reason=\"").append(r.label()).append("\"} ").append(c.drops(r)).append('\n');
            }
        }
        sb.append("# TYPE ipsec_packets_total counter\n");
        sb.append("ipsec_packets_total{direction=\"out\",action=\"protect\"} ").append(c.protectedOut.sum()).append('\n');
        sb.append("ipsec_packets_total{direction=\"in\",action=\"protect\"} ").append(c.unprotectedIn.sum()).append('\n');
        sb.append("ipsec_packets_total{direction=\"any\",action=\"bypass\"} ").append(c.bypassed.sum()).append('\n');
        sb.append("# TYPE ipsec_fragments_total counter\n");
        sb.append("ipsec_fragments_total{event=\"held\"} ").append(c.fragmentsHeld.sum()).append('\n');
        sb.append("ipsec_fragments_total{event=\"reassembled\"} ").append(c.reassembled.sum()).append('\n');
        sb.append("ipsec_fragments_total{event=\"sent\"} ").append(c.fragmentsOut.sum()).append('\n');
        sb.append("# TYPE ipsec_tun_io_total counter\n");
        sb.append("ipsec_tun_io_total{op=\"read\"} ").append(c.tunReads.sum()).append('\n');
        sb.append("ipsec_tun_io_total{op=\"write\"} ").append(c.tunWrites.sum()).append('\n');
        sb.append("# TYPE ipsec_sa_packets_total counter\n");
        for (SecurityAssociation sa : dp.securityAssociations()) {
            String labels = "{sa=\"" + sa.name() + "\",direction=\"" + sa.config().direction().name().toLowerCase() + "\"} ";
            sb.append("ipsec_sa_packets_total").append(labels).append(sa.packets()).append('\n');
            sb.append("ipsec_sa_bytes_total").append(labels).append(sa.bytes()).append('\n');
        }
        return sb.toString();
    }
}
