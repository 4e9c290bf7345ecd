package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.ChildProposal;
import io.ipsecmesh.ike.IkeProposal;
import io.ipsecmesh.ike.TrafficSelector;
import io.ipsecmesh.packet.Bytes;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.Prefix;
import io.ipsecmesh.sa.SaConfig;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses the IKE daemon's config file (format in {@code docs/ike.md}): {@code conn NAME} starts
 * a connection, {@code child NAME} a CHILD_SA of the last connection, and every other line is
 * {@code key value} for the block it is in. {@code #} starts a comment; indentation is free.
 * Errors name the line and the problem.
 */
public final class IkeConfigFile {

    private IkeConfigFile() {
    }

    public static List<IkeConfig.Conn> load(Path file) throws IOException {
        return parse(Files.readAllLines(file));
    }

    public static List<IkeConfig.Conn> parse(List<String> lines) {
        List<IkeConfig.Conn> conns = new ArrayList<>();
        ConnBuilder conn = null;
        ChildBuilder child = null;
        Set<String> names = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = stripComment(lines.get(i)).strip();
            if (line.isEmpty()) {
                continue;
            }
            int sp = line.indexOf(' ');
            String key = sp < 0 ? line : line.substring(0, sp);
            String value = sp < 0 ? "" : line.substring(sp + 1).strip();
            try {
                switch (key) {
                    case "conn" -> {
                        if (conn != null) {
                            conns.add(conn.build(child));
                        }
                        requireName(value, names, "conn");
                        conn = new ConnBuilder(value);
                        child = null;
                    }
                    case "child" -> {
                        if (conn == null) {
                            throw new IllegalArgumentException("'child' outside a 'conn'");
                        }
                        if (child != null) {
                            conn.children.add(child.build());
                        }
                        requireName(value, conn.childNames, "child");
                        child = new ChildBuilder(value);
                    }
                    default -> {
                        if (value.isEmpty()) {
                            throw new IllegalArgumentException("'" + key + "' needs a value");
                        }
                        if (child != null && child.set(key, value)) {
                            break;
                        }
                        if (conn == null) {
                            throw new IllegalArgumentException("'" + key + "' outside a 'conn'");
                        }
                        if (!conn.set(key, value)) {
                            throw new IllegalArgumentException("unknown key '" + key + "'");
                        }
                    }
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        if (conn == null) {
            throw new IllegalArgumentException("no 'conn' in the file");
        }
        conns.add(conn.build(child));
        return conns;
    }

    private static void requireName(String value, Set<String> names, String what) {
        if (!value.matches("[A-Za-z0-9_.-]{1,32}")) {
            throw new IllegalArgumentException("'" + what + "' needs a name of 1-32 letters, digits, '_', '.', '-'");
        }
        if (!names.add(value)) {
            throw new IllegalArgumentException(what + " '" + value + "' is defined twice");
        }
    }

    /** Strips a comment, but not a '#' inside a quoted PSK. */
    private static String stripComment(String line) {
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == '#' && !quoted) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    /** "30" or "30s", "500ms", "5m", "2h"; "0" disables. */
    static Duration duration(String v) {
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            char unit = v.charAt(v.length() - 1);
            String num = Character.isDigit(unit) ? v : v.substring(0, v.length() - 1);
            long n = Long.parseLong(num);
            Duration d = switch (unit) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                case 'd' -> Duration.ofDays(n);
                default -> {
                    if (!Character.isDigit(unit)) {
                        throw new NumberFormatException();
                    }
                    yield Duration.ofSeconds(n);
                }
            };
            if (d.isNegative()) {
                throw new NumberFormatException();
            }
            return d;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + v + "' is not a duration (like 30, 30s, 500ms, 5m, 2h)");
        }
    }

    static long count(String v) {
        try {
            long n = Long.parseLong(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("'" + v + "' is not a non-negative number");
    }

    private static boolean yesNo(String v) {
        return switch (v) {
            case "yes", "true" -> true;
            case "no", "false" -> false;
            default -> throw new IllegalArgumentException("expected yes or no, not '" + v + "'");
        };
    }

    private static InetAddress address(String v) {
        if (!v.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException("'" + v + "' is not an IP address");
        }
        try {
            return InetAddress.getByName(v);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + v + "' is not an IP address");
        }
    }

    /** A PSK: {@code 0x...} hex, or text in double quotes (at least 16 bytes either way). */
    static byte[] psk(String v) {
        byte[] key;
        if (v.startsWith("0x")) {
            key = Bytes.fromHex(v.substring(2));
        } else if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            key = v.substring(1, v.length() - 1).getBytes(StandardCharsets.UTF_8);
        } else {
            throw new IllegalArgumentException("psk: give 0x-prefixed hex or text in double quotes");
        }
        if (key.length < 16) {
            throw new IllegalArgumentException("psk: at least 16 bytes, got " + key.length);
        }
        return key;
    }

    /** "198.18.10.0/24", "2001:db8::/64" or "dynamic" (empty list: the IKE address). */
    public static List<TrafficSelector> selectors(String v) {
        List<TrafficSelector> out = new ArrayList<>();
        for (String s : v.split(",")) {
            s = s.strip();
            if (s.equals("dynamic")) {
                continue;
            }
            out.add(selectorOf(Prefix.parse(s)));
        }
        return out;
    }

    /** The address range of a prefix, all protocols and ports. */
    static TrafficSelector selectorOf(Prefix p) {
        int len = p.v4() ? 4 : 16;
        byte[] start = new byte[len];
        byte[] end = new byte[len];
        BigInteger value = p.v4() ? BigInteger.valueOf(p.lo() & 0xffffffffL)
                : new BigInteger(1, toBytes(p.hi(), p.lo()));
        int hostBits = (p.v4() ? 32 : 128) - p.bits();
        BigInteger mask = BigInteger.ONE.shiftLeft(hostBits).subtract(BigInteger.ONE);
        BigInteger first = value.andNot(mask);
        BigInteger last = first.or(mask);
        copyRight(first.toByteArray(), start);
        copyRight(last.toByteArray(), end);
        try {
            return TrafficSelector.range(InetAddress.getByAddress(start), InetAddress.getByAddress(end));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] toBytes(long hi, long lo) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }

    private static void copyRight(byte[] src, byte[] dst) {
        int n = Math.min(src.length, dst.length);
        System.arraycopy(src, src.length - n, dst, dst.length - n, n);
    }

    private static final class ConnBuilder {
        final String name;
        final List<IkeConfig.Child> children = new ArrayList<>();
        final Set<String> childNames = new HashSet<>();
        InetAddress local;
        InetAddress remote;
        String localId;
        String remoteId;
        IkeConfig.AuthMethod auth = IkeConfig.AuthMethod.CERT;
        byte[] psk;
        Path cert;
        Path key;
        final List<Path> cas = new ArrayList<>();
        final List<Path> crls = new ArrayList<>();
        List<String> ike = List.of("aes128gcm16-prfsha256-ecp256");
        boolean start;
        boolean trap;
        Duration dpd = Duration.ofSeconds(30);
        Duration rekeyTime = Duration.ofHours(4);
        Duration rtTimeout = IkeConfig.Retransmit.DEFAULT.timeout();
        double rtBase = IkeConfig.Retransmit.DEFAULT.base();
        int rtTries = IkeConfig.Retransmit.DEFAULT.tries();
        boolean legacy;
        IkeConfig.FragmentationMode fragmentation = IkeConfig.Fragmentation.DEFAULT.mode();
        int fragmentSize = IkeConfig.Fragmentation.DEFAULT.size();

        ConnBuilder(String name) {
            this.name = name;
        }

        boolean set(String k, String v) {
            switch (k) {
                case "local" -> local = address(v);
                case "remote" -> remote = v.equals("%any") ? null : address(v);
                case "local-id" -> localId = v;
                case "remote-id" -> remoteId = v;
                case "auth" -> auth = switch (v) {
                    case "psk" -> IkeConfig.AuthMethod.PSK;
                    case "cert" -> IkeConfig.AuthMethod.CERT;
                    default -> throw new IllegalArgumentException("auth: psk or cert, not '" + v + "'");
                };
                case "psk" -> psk = psk(v);
                case "cert" -> cert = Path.of(v);
                case "key" -> key = Path.of(v);
                case "ca" -> cas.add(Path.of(v));
                case "crl" -> crls.add(Path.of(v));
                case "ike" -> ike = List.of(v.split("\\s*,\\s*"));
                case "start" -> {
                    trap = v.equals("trap");
                    start = !trap && yesNo(v);
                }
                case "dpd" -> dpd = duration(v);
                case "rekey-time" -> rekeyTime = duration(v);
                case "retransmit-timeout" -> rtTimeout = duration(v);
                case "retransmit-base" -> {
                    try {
                        rtBase = Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("retransmit-base: a number like 1.8");
                    }
                }
                case "retransmit-tries" -> rtTries = (int) count(v);
                case "legacy" -> legacy = yesNo(v);
                case "fragmentation" -> fragmentation = switch (v) {
                    case "yes" -> IkeConfig.FragmentationMode.YES;
                    case "no" -> IkeConfig.FragmentationMode.NO;
                    case "accept" -> IkeConfig.FragmentationMode.ACCEPT;
                    case "force" -> IkeConfig.FragmentationMode.FORCE;
                    default -> throw new IllegalArgumentException("fragmentation: yes, no, accept or force, not '" + v + "'");
                };
                case "fragment-size" -> {
                    long n = count(v);
                    if (n < IkeConfig.Fragmentation.MIN_SIZE || n > 0xffff) {
                        throw new IllegalArgumentException("fragment-size: " + IkeConfig.Fragmentation.MIN_SIZE
                                + " to 65535 bytes (the IP datagram), not '" + v + "'");
                    }
                    fragmentSize = (int) n;
                }
                default -> {
                    return false;
                }
            }
            return true;
        }

        IkeConfig.Conn build(ChildBuilder lastChild) {
            if (lastChild != null) {
                children.add(lastChild.build());
            }
            List<IkeProposal> proposals = new ArrayList<>();
            for (String p : ike) {
                proposals.add(IkeProposal.parse(p, legacy));
            }
            List<IkeConfig.Child> kids = new ArrayList<>();
            for (IkeConfig.Child c : children) {
                kids.add(c);
                for (ChildProposal p : c.proposals()) {
                    p.esp().requireAllowed(legacy);
                }
            }
            return new IkeConfig.Conn(name, local, remote, localId, remoteId, auth, psk, cert, key, cas, crls,
                    proposals, start, dpd, rekeyTime, new IkeConfig.Retransmit(rtTimeout, rtBase, rtTries), legacy,
                    kids, new IkeConfig.Fragmentation(fragmentation, fragmentSize), trap);
        }
    }

    private static final class ChildBuilder {
        final String name;
        Mode mode = Mode.TUNNEL;
        List<TrafficSelector> localTs = List.of();
        List<TrafficSelector> remoteTs = List.of();
        List<String> esp = List.of("aes128gcm16");
        Duration rekeyTime = Duration.ofHours(1);
        Duration lifeTime;
        long rekeyPackets;
        long rekeyBytes;
        int replayWindow = SaConfig.DEFAULT_REPLAY_WINDOW;

        ChildBuilder(String name) {
            this.name = name;
        }

        boolean set(String k, String v) {
            switch (k) {
                case "mode" -> mode = switch (v) {
                    case "tunnel" -> Mode.TUNNEL;
                    case "transport" -> Mode.TRANSPORT;
                    default -> throw new IllegalArgumentException("mode: tunnel or transport, not '" + v + "'");
                };
                case "local-ts" -> localTs = selectors(v);
                case "remote-ts" -> remoteTs = selectors(v);
                case "esp" -> esp = List.of(v.split("\\s*,\\s*"));
                case "rekey-time" -> rekeyTime = duration(v);
                case "life-time" -> lifeTime = duration(v);
                case "rekey-packets" -> rekeyPackets = count(v);
                case "rekey-bytes" -> rekeyBytes = count(v);
                case "replay-window" -> replayWindow = (int) count(v);
                default -> {
                    return false;
                }
            }
            return true;
        }

        IkeConfig.Child build() {
            List<ChildProposal> proposals = new ArrayList<>();
            for (String p : esp) {
                proposals.add(ChildProposal.parse(p, true));
            }
            Duration life = lifeTime != null ? lifeTime : rekeyTime.multipliedBy(11).dividedBy(10);
            return new IkeConfig.Child(name, mode, localTs, remoteTs, proposals, rekeyTime, life, rekeyPackets,
                    rekeyBytes, replayWindow);
        }
    }
}
