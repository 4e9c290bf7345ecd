package io.ipsecmesh;

import io.ipsecmesh.ike.daemon.IkeCommand;
import io.ipsecmesh.manual.DataplaneCommand;

/** Command-line entry point of the sidecar: {@code java -jar ipsec-mesh-sidecar.jar COMMAND ...}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            usage();
            System.exit(2);
        }
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        int code = switch (args[0]) {
            case "dataplane" -> DataplaneCommand.run(rest);
            case "ike" -> IkeCommand.run(rest);
            default -> {
                usage();
                yield 2;
            }
        };
        System.exit(code);
    }

    private static void usage() {
        System.err.println("""
                usage: ipsec-mesh COMMAND [options]
                commands:
                  dataplane   run the ESP/AH data plane on a TUN with SAs and policies from a
                              manual-keying file (docs/manual-keying.md)
                  ike         the IKEv2 daemon: negotiates SAs with peers and runs the data plane
                              (docs/ike.md)""");
    }
}
