package io.ipsecmesh.manual;

import io.ipsecmesh.dataplane.TunCommand;
import io.ipsecmesh.dataplane.TunRuntime;
import io.ipsecmesh.dataplane.UserspaceDataPlane;
import io.ipsecmesh.packet.PacketInfo;
import io.ipsecmesh.sa.Policy;
import io.ipsecmesh.sa.SaConfig;
import io.ipsecmesh.sa.SaListener;
import io.ipsecmesh.sa.SecurityAssociation;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Instant;

/**
 * {@code ipsec-mesh dataplane}: the data plane on a TUN device with SAs and policies from a
 * manual-keying file. See {@code docs/manual-keying.md}.
 */
public final class DataplaneCommand extends TunCommand {
    static final String USAGE = """
            usage: ipsec-mesh dataplane --config FILE [--tun NAME] [--queues N] [--mtu BYTES]
                                        [--inner-mtu BYTES] [--stats FILE] [--stats-interval-ms MS]
                                        [--offload on|off]
              --config FILE          manual-keying file (sa and policy lines)
            """ + TunRuntime.OPTIONS_USAGE;

    /** Runs until SIGTERM/SIGINT; returns the exit code. */
    public static int run(String[] args) {
        return new DataplaneCommand().launch(args);
    }

    @Override
    protected String name() {
        return "dataplane";
    }

    @Override
    protected String usage() {
        return USAGE;
    }

    @Override
    protected int execute() throws IOException {
        ManualKeyingFile.Content content = ManualKeyingFile.load(config);
        UserspaceDataPlane dp = new UserspaceDataPlane(options.queues(), new SecureRandom());
        dp.setListener(new LoggingListener());
        for (SaConfig sa : content.sas()) {
            dp.installSa(sa);
            log("installed " + sa);
        }
        for (Policy p : content.policies()) {
            dp.installPolicy(p);
            log("installed " + p);
        }
        TunRuntime rt = TunRuntime.start(dp, options, DataplaneCommand::log);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            rt.close();
            log("stopped; keys zeroed");
        }));
        rt.awaitWorkers();
        return 0;
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
