/**
 * The TUN device of the data plane, through {@link java.lang.foreign} only, and the software
 * offloads around it.
 *
 * <h2>Reading (plaintext out of the kernel, to be protected)</h2>
 * <pre>{@code
 * TunDevice tun = TunDevice.open("ipsm0", true);            // IFF_TUN|IFF_NO_PI|IFF_VNET_HDR
 * TunDevice.configure("ipsm0", 1400, true);                  // MTU, IFF_UP
 * tun.setOffload(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);      // kernel may send 64 KiB super-packets
 * VirtioNetHdr h = new VirtioNetHdr();
 * int n = tun.read(buf, 0, buf.length);                      // -1 once closed
 * h.decode(buf, 0);
 * Gso.segment(buf, VirtioNetHdr.LENGTH, n - VirtioNetHdr.LENGTH, h, seg, headroom, esp::protect);
 * }</pre>
 * With offloads on, the kernel hands over TCP (and, with {@code TUN_F_USO4/6}, UDP) super-packets
 * and partial checksums, saving it the per-packet work; {@link io.ipsecmesh.tun.Gso} turns
 * them into complete IP packets with full checksums, which must be right before encryption,
 * as no one can fix them afterwards.
 *
 * <h2>Writing (decrypted packets back into the kernel)</h2>
 * <pre>{@code
 * Coalescer co = new Coalescer(tun::write);                  // needs a vnet-header TUN
 * co.add(plain, off, len, false);                            // for each packet of a burst
 * co.flush();                                                // at the end of the burst
 * }</pre>
 * {@link io.ipsecmesh.tun.Coalescer} merges in-order segments of one TCP flow into one GSO
 * packet, which the kernel's stack handles at the cost of one.
 *
 * <h2>Threads and queues</h2>
 * {@link io.ipsecmesh.tun.TunDevice#openQueues} gives one fd per queue
 * ({@code IFF_MULTI_QUEUE}); the kernel keeps each flow on one queue, so one worker thread per
 * queue (reading, segmenting, encrypting, coalescing, writing) keeps order per flow and uses
 * several cores. {@link io.ipsecmesh.tun.Gso} is stateless;
 * {@link io.ipsecmesh.tun.Coalescer} and {@link io.ipsecmesh.tun.VirtioNetHdr} instances are
 * per thread.
 *
 * <h2>References</h2>
 * Linux {@code Documentation/networking/tuntap.rst}, {@code include/uapi/linux/if_tun.h},
 * {@code include/uapi/linux/virtio_net.h}, {@code include/linux/virtio_net.h}
 * ({@code virtio_net_hdr_to_skb}), {@code net/ipv4/tcp_offload.c},
 * {@code net/ipv4/udp_offload.c}; virtio spec 1.2 section 5.1.6; RFC 1071 (checksum),
 * RFC 791, RFC 8200, RFC 9293, RFC 768, RFC 3168 (ECN/CWR).
 */
package io.ipsecmesh.tun;
