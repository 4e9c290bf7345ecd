package io.ipsecmesh.manual;

import io.ipsecmesh.dataplane.PrometheusText;
import io.ipsecmesh.dataplane.TunWorker;
import io.ipsecmesh.dataplane.UserspaceDataPlane;
import io.ipsecmesh.packet.PacketInfo;
import io.ipsecmesh.sa.Policy;
import io.ipsecmesh.sa.SaConfig;
import io.ipsecmesh.sa.SaListener;
import io.ipsecmesh.sa.SecurityAssociation;
import io.ipsecmesh.tun.TunDevice;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ipsec-mesh dataplane}: the data plane on a TUN device with SAs and policies from a
 * manual-keying file. See {@code docs/manual-keying.md}.
 */
public final class DataplaneCommand {
    static final String USAGE = """
            usage: ipsec-mesh dataplane --config FILE [--tun NAME] [--queues N] [--mtu BYTES]
                                        [--inner-mtu BYTES] [--stats FILE] [--stats-interval-ms MS]
                                        [--offload on|off]
              --config FILE          manual-keying file (sa and policy lines)
              --tun NAME             TUN device to create (default ipsm0)
              --queues N             TUN queues and worker threads (default: number of CPUs)
              --mtu BYTES            TUN MTU: the underlay MTU our ESP/AH packets must fit (default 1400)
              --inner-mtu BYTES      the pods' MTU: reassembled plaintext above it is fragmented
                                     again (default: --mtu minus 120, the largest ESP overhead)
              --stats FILE           write counters in Prometheus text format to FILE
              --stats-interval-ms MS how often to write them (default 1000)
              --offload on|off       TUN vnet header with TSO/checksum offload: TCP super-packets
                                     are segmented and merged in userspace (default on)
            """;

    /** TUN transmit queue (packets waiting for our reads); the kernel's default for a TUN is 500. */
    static final int TX_QUEUE_LENGTH = 4096;
    /**
     * Largest ESP overhead: outer IPv6 (40) + UDP (8) + ESP (8) + IV (16) + padding (15) +
     * trailer (2) + ICV (32) = 121, rounded down to 120 as pod MTUs usually are (1500 - 120 = 1380).
     */
    static final int MAX_OVERHEAD = 120;

    private Path config;
    private String tun = "ipsm0";
    private int queues = Runtime.getRuntime().availableProcessors();
    private int mtu = 1400;
    private int innerMtu = -1;
    private Path stats;
    private long statsIntervalMs = 1000;
    private boolean offload = true;

    /** Runs until SIGTERM/SIGINT; returns the exit code. */
    public static int run(String[] args) {
        DataplaneCommand cmd = new DataplaneCommand();
        try {
            cmd.parseArgs(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ipsec-mesh dataplane: " + e.getMessage());
            System.err.print(USAGE);
            return 2;
        }
        try {
            return cmd.execute();
        } catch (IllegalArgumentException e) {
            System.err.println("ipsec-mesh dataplane: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            System.err.println("ipsec-mesh dataplane: " + e.getMessage());
            return 1;
        }
    }

    private void parseArgs(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                throw new IllegalArgumentException("help");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--config" -> config = Path.of(v);
                case "--tun" -> tun = v;
                case "--queues" -> queues = positive(a, v);
                case "--mtu" -> mtu = positive(a, v);
                case "--inner-mtu" -> innerMtu = positive(a, v);
                case "--stats" -> stats = Path.of(v);
                case "--stats-interval-ms" -> statsIntervalMs = positive(a, v);
                case "--offload" -> offload = switch (v) {
                    case "on" -> true;
                    case "off" -> false;
                    default -> throw new IllegalArgumentException("--offload takes on or off");
                };
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (config == null) {
            throw new IllegalArgumentException("--config is required");
        }
        if (mtu < 576 || mtu > 65535) {
            throw new IllegalArgumentException("--mtu must be 576..65535");
        }
        if (innerMtu < 0) {
            innerMtu = mtu - MAX_OVERHEAD;
        }
        if (innerMtu < 576 - MAX_OVERHEAD || innerMtu > mtu) {
            throw new IllegalArgumentException("--inner-mtu must be at most --mtu and at least " + (576 - MAX_OVERHEAD));
        }
    }

    private static int positive(String opt, String v) {
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException(opt + " needs a positive number, not '" + v + "'");
    }

    private int execute() throws IOException {
        ManualKeyingFile.Content content = ManualKeyingFile.load(config);
        UserspaceDataPlane dp = new UserspaceDataPlane(queues, new SecureRandom());
        dp.setListener(new LoggingListener());
        for (SaConfig sa : content.sas()) {
            dp.installSa(sa);
            log("installed " + sa);
        }
        for (Policy p : content.policies()) {
            dp.installPolicy(p);
            log("installed " + p);
        }
        List<TunDevice> devices = TunDevice.openQueues(tun, queues, offload);
        if (offload) {
            int tcp = TunDevice.TUN_F_CSUM | TunDevice.TUN_F_TSO4 | TunDevice.TUN_F_TSO6;
            for (TunDevice d : devices) {
                try {
                    // UDP segmentation offload (Linux 6.2+) lets ESP-in-UDP arrive in bulk.
                    d.setOffload(tcp | TunDevice.TUN_F_USO4 | TunDevice.TUN_F_USO6);
                } catch (IOException e) {
                    d.setOffload(tcp);
                }
            }
        }
        TunDevice.configure(tun, mtu, true);
        // Room for a burst of 64 KB super-packets' worth of segments while a worker is busy.
        TunDevice.setTxQueueLength(tun, TX_QUEUE_LENGTH);
        log("TUN " + tun + " up, mtu " + mtu + ", " + queues + " queue(s), offload " + (offload ? "on" : "off"));

        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            Thread t = Thread.ofPlatform().name("dataplane-" + i).start(new TunWorker(devices.get(i), dp, i, mtu, innerMtu));
            threads.add(t);
        }
        CountDownLatch stop = new CountDownLatch(1);
        Thread housekeeping = Thread.ofPlatform().daemon().name("housekeeping").start(() -> {
            long next = 0;
            try {
                while (!stop.await(Math.min(statsIntervalMs, 1000), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                    dp.housekeeping();
                    long now = System.currentTimeMillis();
                    if (stats != null && now >= next) {
                        writeStats(dp);
                        next = now + statsIntervalMs;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        if (stats != null) {
            writeStats(dp);
        }
        Thread hook = new Thread(() -> {
            stop.countDown();
            devices.forEach(TunDevice::close);
            for (Thread t : threads) {
                try {
                    t.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (stats != null) {
                writeStats(dp);
            }
            dp.shutdown();
            log("stopped; keys zeroed");
        });
        Runtime.getRuntime().addShutdownHook(hook);
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        housekeeping.interrupt();
        return 0;
    }

    private void writeStats(UserspaceDataPlane dp) {
        try {
            Path tmp = stats.resolveSibling(stats.getFileName() + ".tmp");
            Files.writeString(tmp, PrometheusText.render(dp));
            Files.move(tmp, stats, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            System.err.println("ipsec-mesh: cannot write stats to " + stats + ": " + e.getMessage());
        }
    }

    static void log(String msg) {
        System.err.println(Instant.now() + " " + msg);
    }

    /** Logs SA events in one line each (no keys). Manual keying has nobody to rekey. */
    private static final class LoggingListener implements SaListener {
        @Override
        public void softExpired(SecurityAssociation sa, Limit limit) {
            log("soft expiry (" + limit.name().toLowerCase() + ") of " + sa + ": rekey needed");
        }

        @Override
        public void hardExpired(SecurityAssociation sa, Limit limit) {
            log("hard expiry (" + limit.name().toLowerCase() + ") of " + sa + ": no longer passes traffic");
        }

        @Override
        public void acquire(String saName, PacketInfo packet) {
            // Called per packet without an SA: counted as no_sa; not logged to avoid floods.
        }
    }
}
