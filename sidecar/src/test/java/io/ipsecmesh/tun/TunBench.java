package io.ipsecmesh.tun;

import java.util.Arrays;

import static io.ipsecmesh.tun.TestPackets.put16;

/**
 * A hand-run measurement, not a test: how many 1400-byte packets per second one thread can
 * write into a TUN and read back, with and without critical heap access. Needs root; works in
 * a namespace of its own. Each packet written is an ICMP echo request from the "peer"
 * 198.18.250.2 to the TUN's own address 198.18.250.1; the kernel answers into the TUN and the
 * thread reads the reply. So every packet costs one write(2), one read(2) and the kernel's
 * receive, ICMP and transmit path.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp target/classes:target/test-classes io.ipsecmesh.tun.TunBench [rounds]
 * </pre>
 */
public final class TunBench {
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        try (NetNs ns = NetNs.create()) {
            TunDevice tun = ns.call(() -> {
                TunDevice t = TunDevice.open("ipsmb0", false);
                TunDevice.configure("ipsmb0", 1500, true);
                return t;
            });
            try (tun) {
                ns.ip("addr", "add", "198.18.250.1/24", "dev", "ipsmb0");
                byte[] req = echoRequest(1400);
                // Rounds alternate the two modes so that load from elsewhere hits both alike.
                for (int batch : new int[] {1, 32}) {
                    double[][] pps = new double[2][rounds];
                    run(tun, req, batch, 1.0, false); // warm-up
                    for (int r = 0; r < rounds; r++) {
                        for (int m = 0; m < 2; m++) {
                            tun.heapAccess(m == 0);
                            pps[m][r] = run(tun, req, batch, 1.0, false);
                        }
                    }
                    report("write+read, batch " + batch, pps);
                }
                // Write only: packets with a broken IPv4 header checksum, which ip_rcv() drops at once,
                // so this is mostly the cost of write(2) and the TUN's copy.
                byte[] bad = req.clone();
                bad[10] ^= 0x55;
                double[][] pps = new double[2][rounds];
                run(tun, bad, 1, 1.0, true);
                for (int r = 0; r < rounds; r++) {
                    for (int m = 0; m < 2; m++) {
                        tun.heapAccess(m == 0);
                        pps[m][r] = run(tun, bad, 1, 1.0, true);
                    }
                }
                report("write only", pps);
            }
        }
    }

    private static void report(String what, double[][] pps) {
        for (int m = 0; m < 2; m++) {
            double[] s = pps[m].clone();
            Arrays.sort(s);
            System.out.printf("%-22s heapAccess=%-5s median %,9.0f packets/s (min %,9.0f, max %,9.0f)  %.2f Gbit/s%n",
                    what, m == 0, s[s.length / 2], s[0], s[s.length - 1], s[s.length / 2] * 1400 * 8 / 1e9);
        }
    }

    private static double run(TunDevice tun, byte[] req, int batch, double seconds, boolean writeOnly) throws Exception {
        byte[] buf = new byte[2048];
        long n = 0;
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        int seq = 0;
        while (System.nanoTime() < end) {
            for (int i = 0; i < batch; i++) {
                put16(req, 26, ++seq);
                put16(req, 22, 0);
                put16(req, 22, TestPackets.checksum(req, 20, req.length - 20));
                tun.write(req, 0, req.length);
            }
            int replies = writeOnly ? batch : 0;
            while (replies < batch) {
                int len = tun.read(buf, 0, buf.length);
                if (len == req.length && (buf[0] & 0xf0) == 0x40 && buf[9] == 1 && buf[20] == 0) {
                    replies++;
                }
            }
            n += batch;
        }
        return n / ((System.nanoTime() - t0) / 1e9);
    }

    static byte[] echoRequest(int len) {
        byte[] p = new byte[len];
        p[0] = 0x45;
        put16(p, 2, len);
        put16(p, 6, 0x4000);
        p[8] = 64;
        p[9] = 1;
        System.arraycopy(TestPackets.addr("198.18.250.2"), 0, p, 12, 4);
        System.arraycopy(TestPackets.addr("198.18.250.1"), 0, p, 16, 4);
        put16(p, 10, TestPackets.checksum(p, 0, 20));
        p[20] = 8;
        put16(p, 24, 0x1234);
        Arrays.fill(p, 28, len, (byte) 0xa5);
        return p;
    }
}
