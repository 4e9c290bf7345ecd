package io.ipsecmesh.dataplane;

import io.ipsecmesh.tun.TunDevice;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The running data plane of a command: the TUN device (multi-queue, offloads, MTU, transmit
 * queue), one {@link TunWorker} thread per queue, and a housekeeping thread that checks
 * lifetimes and writes the stats file. Shared by {@code dataplane} (manual keying) and
 * {@code ike}.
 */
public final class TunRuntime {

    /** TUN transmit queue (packets waiting for our reads); the kernel's default for a TUN is 500. */
    static final int TX_QUEUE_LENGTH = 4096;

    /** How the TUN is set up. */
    public record Options(String tun, int queues, int mtu, int innerMtu, boolean offload, Path stats,
                          long statsIntervalMs) {
    }

    /** Usage lines of the options {@link OptionParser} takes, for the commands' help. */
    public static final String OPTIONS_USAGE = """
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

    /**
     * Largest ESP overhead: outer IPv6 (40) + UDP (8) + ESP (8) + IV (16) + padding (15) +
     * trailer (2) + ICV (32) = 121, rounded down to 120 as pod MTUs usually are (1500 - 120 = 1380).
     */
    public static final int MAX_OVERHEAD = 120;

    /** Parses the TUN options shared by the commands. */
    public static final class OptionParser {
        private String tun = "ipsm0";
        private int queues = Runtime.getRuntime().availableProcessors();
        private int mtu = 1400;
        private int innerMtu = -1;
        private Path stats;
        private long statsIntervalMs = 1000;
        private boolean offload = true;

        /** Takes one option and its value; false if it is not a TUN option. */
        public boolean accept(String option, String value) {
            switch (option) {
                case "--tun" -> tun = value;
                case "--queues" -> queues = positive(option, value);
                case "--mtu" -> mtu = positive(option, value);
                case "--inner-mtu" -> innerMtu = positive(option, value);
                case "--stats" -> stats = Path.of(value);
                case "--stats-interval-ms" -> statsIntervalMs = positive(option, value);
                case "--offload" -> offload = switch (value) {
                    case "on" -> true;
                    case "off" -> false;
                    default -> throw new IllegalArgumentException("--offload takes on or off");
                };
                default -> {
                    return false;
                }
            }
            return true;
        }

        public Options build() {
            if (mtu < 576 || mtu > 65535) {
                throw new IllegalArgumentException("--mtu must be 576..65535");
            }
            int inner = innerMtu < 0 ? mtu - MAX_OVERHEAD : innerMtu;
            if (inner < 576 - MAX_OVERHEAD || inner > mtu) {
                throw new IllegalArgumentException("--inner-mtu must be at most --mtu and at least " + (576 - MAX_OVERHEAD));
            }
            return new Options(tun, queues, mtu, inner, offload, stats, statsIntervalMs);
        }

        public static int positive(String opt, String v) {
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
    }

    private final UserspaceDataPlane dp;
    private final Options options;
    private final Consumer<String> log;
    private final List<TunDevice> devices;
    private final List<Thread> workers = new ArrayList<>();
    private final CountDownLatch stop = new CountDownLatch(1);
    private volatile Supplier<String> extraStats = () -> "";
    private boolean closed;

    private TunRuntime(UserspaceDataPlane dp, Options options, Consumer<String> log, List<TunDevice> devices) {
        this.dp = dp;
        this.options = options;
        this.log = log;
        this.devices = devices;
    }

    /** Creates and configures the TUN, and starts the workers and housekeeping. */
    public static TunRuntime start(UserspaceDataPlane dp, Options o, Consumer<String> log) throws IOException {
        List<TunDevice> devices = TunDevice.openQueues(o.tun(), o.queues(), o.offload());
        if (o.offload()) {
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
        TunDevice.configure(o.tun(), o.mtu(), true);
        // Room for a burst of 64 KB super-packets' worth of segments while a worker is busy.
        TunDevice.setTxQueueLength(o.tun(), TX_QUEUE_LENGTH);
        log.accept("TUN " + o.tun() + " up, mtu " + o.mtu() + ", " + o.queues() + " queue(s), offload "
                + (o.offload() ? "on" : "off"));
        TunRuntime rt = new TunRuntime(dp, o, log, devices);
        for (int i = 0; i < devices.size(); i++) {
            rt.workers.add(Thread.ofPlatform().name("dataplane-" + i)
                    .start(new TunWorker(devices.get(i), dp, i, o.mtu(), o.innerMtu())));
        }
        Thread.ofPlatform().daemon().name("housekeeping").start(rt::housekeeping);
        if (o.stats() != null) {
            rt.writeStats();
        }
        return rt;
    }

    /** More Prometheus text appended to the stats file (e.g. the IKE engine's counters). */
    public void setExtraStats(Supplier<String> extra) {
        this.extraStats = extra;
    }

    private void housekeeping() {
        long next = 0;
        try {
            while (!stop.await(Math.min(options.statsIntervalMs(), 1000), TimeUnit.MILLISECONDS)) {
                dp.housekeeping();
                long now = System.currentTimeMillis();
                if (options.stats() != null && now >= next) {
                    writeStats();
                    next = now + options.statsIntervalMs();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes the stats file atomically (Prometheus text format). */
    public void writeStats() {
        Path stats = options.stats();
        try {
            Path tmp = stats.resolveSibling(stats.getFileName() + ".tmp");
            Files.writeString(tmp, PrometheusText.render(dp) + extraStats.get());
            Files.move(tmp, stats, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            log.accept("cannot write stats to " + stats + ": " + e.getMessage());
        }
    }

    /** Waits until the workers end (the TUN was closed). */
    public void awaitWorkers() {
        for (Thread t : workers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Closes the TUN, stops the threads, writes the stats a last time and zeroes every key. */
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stop.countDown();
        devices.forEach(TunDevice::close);
        for (Thread t : workers) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (options.stats() != null) {
            writeStats();
        }
        dp.shutdown();
    }
}
