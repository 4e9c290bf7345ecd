package io.ipsecmesh.ah;

import io.ipsecmesh.packet.IpPacket;
import io.ipsecmesh.packet.IpProtocols;

/**
 * Zeroes the IP header fields that may change in transit, for the AH ICV (RFC 4302 §3.3.3.1).
 *
 * <ul>
 *   <li>IPv4: Type of Service, Flags and Fragment Offset, Time to Live, Header Checksum, and
 *       every option except those Appendix A.1 lists as immutable (End of Options, No
 *       Operation, Security, Extended Security, Commercial Security, Router Alert, Sender
 *       Directed Multi-Destination Delivery), which are zeroed whole.</li>
 *   <li>IPv6: Traffic Class, Flow Label and Hop Limit; in Hop-by-Hop and Destination Options
 *       headers, the data of each option whose type has the "may change" bit (0x20) set.
 *       Routing headers are taken as they are (their "predictable" final form is not
 *       computed: a packet with a Routing header with segments left fails verification).</li>
 * </ul>
 */
final class MutableFields {
    private MutableFields() {
    }

    /** Zeroes mutable fields of the headers in {@code [ipOff, ahOff)}. */
    static void zero(byte[] b, int ipOff, int ahOff) {
        if (IpPacket.version(b, ipOff) == 4) {
            zeroV4(b, ipOff);
        } else {
            zeroV6(b, ipOff, ahOff);
        }
    }

    private static void zeroV4(byte[] b, int off) {
        int ihl = (b[off] & 0x0f) * 4;
        b[off + 1] = 0;
        b[off + 6] = 0;
        b[off + 7] = 0;
        b[off + 8] = 0;
        b[off + 10] = 0;
        b[off + 11] = 0;
        int p = off + 20;
        int end = off + ihl;
        while (p < end) {
            int type = b[p] & 0xff;
            if (type == 0) {
                break; // End of Options List: the rest is padding, left as is
            }
            if (type == 1) {
                p++;
                continue;
            }
            int len = p + 1 < end ? b[p + 1] & 0xff : 0;
            if (len < 2 || p + len > end) {
                // A malformed option: zero the rest so that a bad length cannot be exploited.
                java.util.Arrays.fill(b, p, end, (byte) 0);
                return;
            }
            boolean immutable = type == 130 || type == 133 || type == 134 || type == 148 || type == 149;
            if (!immutable) {
                java.util.Arrays.fill(b, p, p + len, (byte) 0);
            }
            p += len;
        }
    }

    private static void zeroV6(byte[] b, int off, int ahOff) {
        // Version stays; Traffic Class and Flow Label go; Hop Limit goes.
        b[off] &= (byte) 0xf0;
        b[off + 1] = 0;
        b[off + 2] = 0;
        b[off + 3] = 0;
        b[off + 7] = 0;
        int nh = b[off + 6] & 0xff;
        int p = off + IpPacket.IPV6_HEADER;
        while (p < ahOff) {
            int len = nh == IpProtocols.FRAGMENT ? 8 : ((b[p + 1] & 0xff) + 1) * 8;
            if (nh == IpProtocols.HOP_BY_HOP || nh == IpProtocols.DEST_OPTIONS) {
                zeroMutableOptions(b, p + 2, Math.min(p + len, ahOff));
            }
            nh = b[p] & 0xff;
            p += len;
        }
    }

    private static void zeroMutableOptions(byte[] b, int p, int end) {
        while (p < end) {
            int type = b[p] & 0xff;
            if (type == 0) {
                p++; // Pad1
                continue;
            }
            if (p + 1 >= end) {
                return;
            }
            int len = b[p + 1] & 0xff;
            if ((type & 0x20) != 0) {
                java.util.Arrays.fill(b, p + 2, Math.min(p + 2 + len, end), (byte) 0);
            }
            p += 2 + len;
        }
    }
}
