package io.ipsecmesh.packet;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Linux kernel as an independent check, in a throwaway network namespace
 * ({@code unshare -n}) whose loopback has an MTU of 1280: the kernel reassembles what
 * {@link Fragmenter} produced, and {@link Reassembler} reassembles what the kernel fragmented.
 * Skipped unless running as root with {@code unshare} and {@code python3}.
 */
class KernelFragmentationTest {
    private static final String SCRIPT = """
            import socket, subprocess, sys
            subprocess.run(["ip", "link", "set", "lo", "up", "mtu", "1280"], check=True)
            # injected IPv4 from 127.0.0.1 has no cached route: allow it as input on lo
            for conf in ("all", "lo"):
                for opt in ("route_localnet", "accept_local"):
                    with open("/proc/sys/net/ipv4/conf/%s/%s" % (conf, opt), "w") as f:
                        f.write("1")
            mode, v6 = sys.argv[1], sys.argv[2] == "6"
            fam, addr = (socket.AF_INET6, "::1") if v6 else (socket.AF_INET, "127.0.0.1")
            rx = socket.socket(fam, socket.SOCK_DGRAM)
            rx.bind((addr, 5000))
            rx.settimeout(5)
            if mode == "reassemble":
                inject = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
                inject.bind(("lo", 0))
                etype = b"\\x86\\xdd" if v6 else b"\\x08\\x00"
                for h in sys.stdin.read().split():
                    inject.send(b"\\0" * 12 + etype + bytes.fromhex(h))
                print(rx.recv(70000).hex())
            else:
                cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
                cap.bind(("lo", 0))
                tx = socket.socket(fam, socket.SOCK_DGRAM)
                if not v6:
                    tx.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT
                tx.sendto(bytes.fromhex(sys.stdin.read().strip()), (addr, 5000))
                rx.recv(70000)
                cap.setblocking(False)
                while True:
                    try:
                        frame, where = cap.recvfrom(70000)
                    except BlockingIOError:
                        break
                    if where[2] != socket.PACKET_OUTGOING:
                        print(frame[14:].hex())
            """;
    private static Path script;

    @BeforeAll
    static void check() throws Exception {
        boolean ok;
        try {
            ok = run(List.of("id", "-u"), "").strip().equals("0")
                    && run(List.of("unshare", "-n", "python3", "-c", "print('ok')"), "").strip().equals("ok");
        } catch (Exception e) {
            ok = false;
        }
        Assumptions.assumeTrue(ok, "needs root, unshare and python3");
        script = Files.createTempFile("ipsm-frag", ".py");
        script.toFile().deleteOnExit();
        Files.writeString(script, SCRIPT);
    }

    private static String run(List<String> cmd, String stdin) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        if (p.exitValue() != 0) {
            throw new AssertionError(cmd + " failed: " + out);
        }
        return out;
    }

    private static byte[] loopbackUdp(boolean v6, byte[] body) {
        byte[] l4 = FragTestPackets.udp(4000, 5000, body);
        byte[] p = new byte[(v6 ? 40 : 20) + l4.length];
        if (v6) {
            byte[] lo = new byte[16];
            lo[15] = 1;
            IpHeaders.writeIpv6(p, 0, lo, lo, IpProtocols.UDP, l4.length, 0, 0);
        } else {
            byte[] lo = {127, 0, 0, 1};
            IpHeaders.writeIpv4(p, 0, lo, lo, IpProtocols.UDP, p.length, 0, 0x1234, false);
        }
        System.arraycopy(l4, 0, p, p.length - l4.length, l4.length);
        FragTestPackets.udpChecksum(p, v6 ? 40 : 20);
        return p;
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void kernelReassemblesOurFragments(boolean v6) throws Exception {
        byte[] body = FragTestPackets.payload(5000, 31);
        byte[] pkt = loopbackUdp(v6, body);
        List<byte[]> frags = FragTestPackets.fragment(pkt, 1280);
        assertEquals(v6 ? 5 : 4, frags.size());
        StringBuilder in = new StringBuilder();
        // out of order, to exercise the kernel's reassembly rather than its fast path
        for (int i = frags.size() - 1; i >= 0; i--) {
            in.append(HexFormat.of().formatHex(frags.get(i))).append('\n');
        }
        String got = run(List.of("unshare", "-n", "python3", script.toString(), "reassemble", v6 ? "6" : "4"), in.toString());
        assertEquals(HexFormat.of().formatHex(body), got.strip());
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void weReassembleTheKernelsFragments(boolean v6) throws Exception {
        byte[] body = FragTestPackets.payload(5000, 32);
        String got = run(List.of("unshare", "-n", "python3", script.toString(), "fragment", v6 ? "6" : "4"),
                HexFormat.of().formatHex(body));
        List<byte[]> frags = new ArrayList<>();
        PacketInfo info = new PacketInfo();
        for (String line : got.strip().split("\n")) {
            byte[] f = HexFormat.of().parseHex(line.strip());
            if (IpPacket.parse(f, 0, f.length, info) == ParseStatus.OK && info.fragment) {
                frags.add(f);
            }
        }
        assertTrue(frags.size() >= 4, "kernel fragments: " + frags.size());
        Reassembler r = new Reassembler();
        byte[] out = new byte[70000];
        int n = 0;
        for (int i = frags.size() - 1; i >= 0; i--) {
            n = r.offer(frags.get(i), 0, frags.get(i).length, 0, out, 0);
            assertTrue(i == 0 ? n > 0 : n == Reassembler.NEED_MORE, Reassembler.describe(n));
        }
        int hl = v6 ? 40 : 20;
        assertEquals(hl + 8 + body.length, n);
        assertEquals(n, IpPacket.version(out, 0) == 4 ? Bytes.u16(out, 2) : 40 + Bytes.u16(out, 4));
        assertEquals(v6 ? IpProtocols.UDP : 0x45, out[v6 ? 6 : 0] & 0xff);
        assertArrayEquals(body, java.util.Arrays.copyOfRange(out, hl + 8, n));
        if (!v6) {
            assertEquals(0, InetChecksum.checksum(out, 0, 20));
            assertEquals(0, Bytes.u16(out, 6) & 0x3fff);
        }
    }
}
