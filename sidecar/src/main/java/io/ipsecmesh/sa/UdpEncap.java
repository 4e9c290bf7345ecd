package io.ipsecmesh.sa;

/** UDP encapsulation of ESP (RFC 3948): the UDP ports of the outer header, usually 4500 both. */
public record UdpEncap(int sourcePort, int destinationPort) {
    public static final int IKE_NATT_PORT = 4500;

    public UdpEncap {
        if (sourcePort <= 0 || sourcePort > 65535 || destinationPort <= 0 || destinationPort > 65535) {
            throw new IllegalArgumentException("UDP ports must be 1..65535");
        }
    }
}
