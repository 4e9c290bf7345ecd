package io.ipsecmesh.manual;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.packet.Bytes;
import io.ipsecmesh.packet.IpProtocols;
import io.ipsecmesh.sa.Direction;
import io.ipsecmesh.sa.Lifetime;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.Policy;
import io.ipsecmesh.sa.PolicyAction;
import io.ipsecmesh.sa.Prefix;
import io.ipsecmesh.sa.SaConfig;
import io.ipsecmesh.sa.SecurityProtocol;
import io.ipsecmesh.sa.TrafficSelector;
import io.ipsecmesh.sa.UdpEncap;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses a manual-keying file (format in {@code docs/manual-keying.md}): {@code sa} and
 * {@code policy} lines, like {@code ip xfrm state} and {@code ip xfrm policy}. Errors name the
 * line and the problem; nothing is half-loaded.
 *
 * <p>An SA's traffic selectors are those of the policies that name it, so an inbound SA admits
 * exactly what its inbound policies describe (RFC 4301 §5.2).
 */
public final class ManualKeyingFile {

    /** The parsed content. Key arrays belong to the SaConfigs and are zeroed when the SAs die. */
    public record Content(List<SaConfig> sas, List<Policy> policies) {
    }

    private ManualKeyingFile() {
    }

    public static Content load(Path file) throws IOException {
        return parse(Files.readAllLines(file));
    }

    public static Content parse(List<String> lines) {
        List<SaLine> saLines = new ArrayList<>();
        List<Policy> policies = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            Tokens t = new Tokens(line.split("\\s+"), i + 1);
            try {
                switch (t.next("'sa' or 'policy'")) {
                    case "sa" -> saLines.add(parseSa(t));
                    case "policy" -> policies.add(parsePolicy(t));
                    default -> throw new IllegalArgumentException("expected 'sa' or 'policy'");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        Set<String> names = new HashSet<>();
        Map<String, List<TrafficSelector>> selectors = new HashMap<>();
        for (SaLine s : saLines) {
            if (!names.add(s.name)) {
                throw new IllegalArgumentException("line " + s.line + ": SA '" + s.name + "' is defined twice");
            }
        }
        for (Policy p : policies) {
            if (p.saName() != null) {
                if (!names.contains(p.saName())) {
                    throw new IllegalArgumentException(p + ": names an SA that is not defined");
                }
                selectors.computeIfAbsent(p.saName(), k -> new ArrayList<>()).add(p.selector());
            }
        }
        List<SaConfig> sas = new ArrayList<>();
        for (SaLine s : saLines) {
            try {
                sas.add(s.build(selectors.getOrDefault(s.name, List.of())));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + s.line + ": " + e.getMessage(), e);
            }
        }
        return new Content(sas, policies);
    }

    /** The fields of an {@code sa} line, before the selectors are known. */
    private static final class SaLine {
        int line;
        String name;
        Direction dir;
        SecurityProtocol proto;
        Integer spi;
        Mode mode;
        InetAddress src;
        InetAddress dst;
        EncryptionAlgorithm enc;
        byte[] key;
        IntegrityAlgorithm integ = IntegrityAlgorithm.NONE;
        byte[] ikey;
        boolean esn;
        int replay = SaConfig.DEFAULT_REPLAY_WINDOW;
        UdpEncap encap;
        int tfc;
        Lifetime lifetime = Lifetime.UNLIMITED;
        boolean legacy;

        SaConfig build(List<TrafficSelector> selectors) {
            require(dir, "dir");
            require(proto, "proto");
            require(spi, "spi");
            require(mode, "mode");
            require(src, "src");
            require(dst, "dst");
            if (enc == EncryptionAlgorithm.NULL && key == null) {
                key = new byte[0]; // RFC 2410: no key
            }
            if (enc != null && key == null) {
                throw new IllegalArgumentException("'enc' needs 'key'");
            }
            if (integ != IntegrityAlgorithm.NONE && ikey == null) {
                throw new IllegalArgumentException("'integ' needs 'ikey'");
            }
            return new SaConfig(name, dir, proto, spi, mode, src, dst, enc, key, integ, ikey, esn, replay, encap, tfc,
                    lifetime, selectors, legacy);
        }

        private void require(Object v, String what) {
            if (v == null) {
                throw new IllegalArgumentException("SA '" + name + "' needs '" + what + "'");
            }
        }
    }

    private static SaLine parseSa(Tokens t) {
        SaLine s = new SaLine();
        s.line = t.line;
        s.name = t.next("an SA name");
        while (t.hasNext()) {
            String k = t.next("");
            switch (k) {
                case "dir" -> s.dir = Direction.parse(t.next("in|out"));
                case "proto" -> s.proto = SecurityProtocol.parse(t.next("esp|ah"));
                case "spi" -> s.spi = (int) t.nextNumber("an SPI", 0, 0xffffffffL);
                case "mode" -> s.mode = Mode.parse(t.next("transport|tunnel"));
                case "src" -> s.src = Prefix.parseAddress(t.next("an address"));
                case "dst" -> s.dst = Prefix.parseAddress(t.next("an address"));
                case "enc" -> s.enc = EncryptionAlgorithm.fromKeyword(t.next("an encryption algorithm"));
                case "key" -> s.key = Bytes.fromHex(t.next("a hex key"));
                case "integ" -> s.integ = IntegrityAlgorithm.fromKeyword(t.next("an integrity algorithm"));
                case "ikey" -> s.ikey = Bytes.fromHex(t.next("a hex key"));
                case "esn" -> s.esn = true;
                case "replay-window" -> s.replay = (int) t.nextNumber("a window size", 0, SaConfig.MAX_REPLAY_WINDOW);
                case "encap" -> {
                    if (!t.next("'udp'").equals("udp")) {
                        throw new IllegalArgumentException("only 'encap udp SPORT DPORT' is supported");
                    }
                    s.encap = new UdpEncap((int) t.nextNumber("a UDP port", 1, 65535), (int) t.nextNumber("a UDP port", 1, 65535));
                }
                case "tfc-pad" -> s.tfc = (int) t.nextNumber("a TFC padding size", 0, 1024);
                case "lifetime-packets" -> {
                    long[] v = t.nextSoftHard();
                    s.lifetime = s.lifetime.withPackets(v[0], v[1]);
                }
                case "lifetime-bytes" -> {
                    long[] v = t.nextSoftHard();
                    s.lifetime = s.lifetime.withBytes(v[0], v[1]);
                }
                case "lifetime-seconds" -> {
                    long[] v = t.nextSoftHard();
                    s.lifetime = s.lifetime.withSeconds(v[0], v[1]);
                }
                case "legacy" -> s.legacy = true;
                default -> throw new IllegalArgumentException("unknown SA keyword '" + k + "'");
            }
        }
        return s;
    }

    private static Policy parsePolicy(Tokens t) {
        Direction dir = Direction.parse(t.next("in|out"));
        Prefix src = null;
        Prefix dst = null;
        int proto = -1;
        int[] sport = {0, 65535};
        int[] dport = {0, 65535};
        int priority = Policy.DEFAULT_PRIORITY;
        PolicyAction action = null;
        String sa = null;
        while (t.hasNext()) {
            String k = t.next("");
            switch (k) {
                case "src" -> src = Prefix.parse(t.next("a prefix"));
                case "dst" -> dst = Prefix.parse(t.next("a prefix"));
                case "proto" -> proto = IpProtocols.parse(t.next("a protocol"));
                case "sport" -> sport = t.nextPortRange();
                case "dport" -> dport = t.nextPortRange();
                case "priority" -> priority = (int) t.nextNumber("a priority", 0, 65535);
                case "action" -> {
                    String a = t.next("protect|bypass|discard");
                    switch (a) {
                        case "protect" -> {
                            action = PolicyAction.PROTECT;
                            if (!t.next("'sa NAME'").equals("sa")) {
                                throw new IllegalArgumentException("'action protect' must be followed by 'sa NAME'");
                            }
                            sa = t.next("an SA name");
                        }
                        case "bypass" -> action = PolicyAction.BYPASS;
                        case "discard" -> action = PolicyAction.DISCARD;
                        default -> throw new IllegalArgumentException("action must be protect, bypass or discard, not '" + a + "'");
                    }
                }
                default -> throw new IllegalArgumentException("unknown policy keyword '" + k + "'");
            }
        }
        if (src == null || dst == null) {
            throw new IllegalArgumentException("a policy needs 'src' and 'dst'");
        }
        if (action == null) {
            throw new IllegalArgumentException("a policy needs an 'action'");
        }
        if ((sport[0] != 0 || sport[1] != 65535 || dport[0] != 0 || dport[1] != 65535)
                && proto != IpProtocols.TCP && proto != IpProtocols.UDP && proto != IpProtocols.SCTP) {
            throw new IllegalArgumentException("ports need 'proto tcp', 'udp' or 'sctp'");
        }
        TrafficSelector ts = new TrafficSelector(src, dst, proto, sport[0], sport[1], dport[0], dport[1]);
        return new Policy(dir, ts, action, sa, priority);
    }

    /** A cursor over one line's words. */
    private static final class Tokens {
        final String[] words;
        final int line;
        int i;

        Tokens(String[] words, int line) {
            this.words = words;
            this.line = line;
        }

        boolean hasNext() {
            return i < words.length;
        }

        String next(String what) {
            if (i >= words.length) {
                throw new IllegalArgumentException("expected " + what + " at the end of the line");
            }
            return words[i++];
        }

        long nextNumber(String what, long min, long max) {
            String w = next(what);
            long v;
            try {
                v = w.startsWith("0x") || w.startsWith("0X") ? Long.parseLong(w.substring(2), 16) : Long.parseLong(w);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected " + what + ", got '" + w + "'");
            }
            if (v < min || v > max) {
                throw new IllegalArgumentException(what + " must be in " + min + ".." + max + ", got " + v);
            }
            return v;
        }

        long[] nextSoftHard() {
            String w = next("SOFT:HARD");
            String[] parts = w.split(":");
            try {
                if (parts.length != 2) {
                    throw new NumberFormatException();
                }
                return new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected SOFT:HARD, got '" + w + "'");
            }
        }

        int[] nextPortRange() {
            String w = next("a port or range");
            String[] parts = w.split("-");
            try {
                int lo = Integer.parseInt(parts[0]);
                int hi = parts.length == 2 ? Integer.parseInt(parts[1]) : lo;
                if (parts.length > 2 || lo < 0 || hi > 65535 || lo > hi) {
                    throw new NumberFormatException();
                }
                return new int[] {lo, hi};
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad port range '" + w + "'");
            }
        }
    }
}
