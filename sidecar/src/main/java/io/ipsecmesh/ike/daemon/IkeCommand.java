package io.ipsecmesh.ike.daemon;

import io.ipsecmesh.dataplane.TunCommand;
import io.ipsecmesh.dataplane.TunRuntime;
import io.ipsecmesh.dataplane.UserspaceDataPlane;
import io.ipsecmesh.ike.engine.IkeConfig;
import io.ipsecmesh.ike.engine.IkeConfigFile;
import io.ipsecmesh.ike.engine.IkeEngine;
import io.ipsecmesh.ike.engine.KeyLog;
import io.ipsecmesh.ike.engine.UdpTransport;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code ipsec-mesh ike}: the IKEv2 daemon. It negotiates the connections of its config file
 * (docs/ike.md) and installs the resulting SAs into the userspace data plane on a TUN device.
 */
public final class IkeCommand extends TunCommand {
    static final String USAGE = """
            usage: ipsec-mesh ike --config FILE [--keys-log DIR] [--tun NAME] [--queues N] [--mtu BYTES]
                                  [--inner-mtu BYTES] [--stats FILE] [--stats-interval-ms MS]
                                  [--offload on|off]
              --config FILE          connections (docs/ike.md)
              --keys-log DIR         DEBUG ONLY: write every IKE and ESP key into DIR/ikev2_decryption_table
                                     and DIR/esp_sa, the files Wireshark reads (WIRESHARK_CONFIG_DIR=DIR)
            """ + TunRuntime.OPTIONS_USAGE;

    /**
     * In-memory handshakes at start-up, shared by the proposals and certificates of the config
     * (about 3 s on 2 vCPUs with elliptic curves; -Dipsm.selftest.handshakes=N changes it)...
     */
    static final int SELF_TEST_HANDSHAKES = 600;

    /** ...or fewer, when they take longer than this (MODP groups; -Dipsm.selftest.seconds=S). */
    static final int SELF_TEST_SECONDS = 4;

    private Path keysLog;

    private IkeCommand() {
    }

    /** Runs until SIGTERM/SIGINT; returns the exit code. */
    public static int run(String[] args) {
        return new IkeCommand().launch(args);
    }

    @Override
    protected String name() {
        return "ike";
    }

    @Override
    protected String usage() {
        return USAGE;
    }

    @Override
    protected boolean option(String name, String value) {
        if (name.equals("--keys-log")) {
            keysLog = Path.of(value);
            return true;
        }
        return false;
    }

    @Override
    protected int execute() throws IOException {
        try {
            return run();
        } finally {
            LOG.flush(5000);
        }
    }

    private int run() throws IOException {
        List<IkeConfig.Conn> conns = IkeConfigFile.load(config);
        List<IkeEngine.Connection> connections = new ArrayList<>();
        for (IkeConfig.Conn c : conns) {
            connections.add(IkeEngine.connection(c));
            log("loaded " + c);
        }
        // Known answers and in-memory handshakes with the configured proposals: a broken
        // provider stops us here, and the first real handshake finds the code warm.
        List<io.ipsecmesh.ike.IkeProposal> proposals = new ArrayList<>();
        conns.forEach(c -> c.ikeProposals().stream().filter(p -> !proposals.contains(p)).forEach(proposals::add));
        try {
            List<IkeConfig.Conn> certConns = conns.stream().filter(c -> c.auth() == IkeConfig.AuthMethod.CERT).toList();
            int handshakes = Integer.getInteger("ipsm.selftest.handshakes", SELF_TEST_HANDSHAKES);
            Duration time = Duration.ofSeconds(Integer.getInteger("ipsm.selftest.seconds", SELF_TEST_SECONDS));
            log(io.ipsecmesh.ike.engine.EngineSelfTest.run(proposals, certConns, handshakes, time));
        } catch (IllegalStateException | InterruptedException e) {
            log("FATAL: " + e.getMessage());
            return 1;
        }
        if (keysLog != null) {
            log("WARNING: --keys-log writes every key to " + keysLog + " (debugging only)");
        }
        UserspaceDataPlane dp = new UserspaceDataPlane(options.queues(), new SecureRandom());
        IkeEngine engine = new IkeEngine(connections, dp, new SecureRandom(), IkeCommand::log,
                keysLog == null ? KeyLog.NONE : new KeyLog(keysLog));
        TunRuntime rt = TunRuntime.start(dp, options, IkeCommand::log);
        rt.setExtraStats(() -> prometheus(engine.counters()));
        UdpTransport udp = new UdpTransport(engine);
        // (Registered before the first handshake: making the hook's lambda is class spinning,
        // milliseconds of CPU on a cold JVM.)
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            engine.close();
            udp.close();
            rt.close();
            log("stopped; keys zeroed");
            LOG.flush(5000);
        }));
        // The self-test and the TUN set-up leave the JIT busy; the first handshakes (and the peer,
        // on the same few cores) should not have to share the CPU with it.
        try {
            log("JIT settled after the self-test (" + JitSettle.await(Duration.ofMillis(150), Duration.ofSeconds(3)) + " ms)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        // From here on, compilations the real traffic triggers wait for an idle CPU
        // (-Dipsm.jit.nice=0 leaves the compiler threads as they are).
        int nice = Integer.getInteger("ipsm.jit.nice", CompilerPriority.NICE);
        if (nice != 0) {
            try {
                log("JIT compiler threads at nice " + nice + ": " + CompilerPriority.lower(nice));
            } catch (IOException | RuntimeException | LinkageError e) {
                log("WARNING: could not lower the JIT compiler threads' priority: " + e.getMessage());
            }
        }
        Set<InetAddress> locals = new LinkedHashSet<>();
        conns.forEach(c -> locals.add(c.local()));
        for (InetAddress a : locals) {
            udp.bind(a);
        }
        engine.setTransport(udp);
        engine.start();
        rt.awaitWorkers();
        return 0;
    }

    static String prometheus(Map<String, Long> counters) {
        StringBuilder sb = new StringBuilder("# TYPE ike_events_total counter\n");
        counters.forEach((k, v) -> sb.append("ike_events_total{event=\"").append(k).append("\"} ").append(v).append('\n'));
        return sb.toString();
    }

    private static final DaemonLog LOG = new DaemonLog(System.out);

    static void log(String msg) {
        LOG.log(msg);
    }
}
