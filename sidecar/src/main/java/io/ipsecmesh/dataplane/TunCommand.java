package io.ipsecmesh.dataplane;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What the commands that run the data plane on a TUN share: {@code --config FILE}, the TUN
 * options of {@link TunRuntime.OptionParser}, the command's own options, and the exit codes
 * (2: bad usage or config, 1: I/O failure, else what {@link #execute} returns).
 */
public abstract class TunCommand {

    protected Path config;
    protected TunRuntime.Options options;

    /** The command's name, as typed after {@code ipsec-mesh}. */
    protected abstract String name();

    /** The usage text printed with an argument error. */
    protected abstract String usage();

    /** Takes an option of the command's own; false if it has none of that name. */
    protected boolean option(String name, String value) {
        return false;
    }

    /** Runs until SIGTERM/SIGINT; returns the exit code. */
    protected abstract int execute() throws IOException;

    /** Parses {@code args} and runs the command; returns the process exit code. */
    public final int launch(String[] args) {
        try {
            parseArgs(args);
        } catch (IllegalArgumentException e) {
            System.err.println("ipsec-mesh " + name() + ": " + e.getMessage());
            System.err.print(usage());
            return 2;
        }
        try {
            return execute();
        } catch (IllegalArgumentException e) {
            System.err.println("ipsec-mesh " + name() + ": " + e.getMessage());
            return 2;
        } catch (IOException e) {
            System.err.println("ipsec-mesh " + name() + ": " + e.getMessage());
            return 1;
        }
    }

    private void parseArgs(String[] args) {
        TunRuntime.OptionParser tunOptions = new TunRuntime.OptionParser();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                throw new IllegalArgumentException("help");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args[++i];
            if (a.equals("--config")) {
                config = Path.of(v);
            } else if (!option(a, v) && !tunOptions.accept(a, v)) {
                throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (config == null) {
            throw new IllegalArgumentException("--config is required");
        }
        options = tunOptions.build();
    }
}
