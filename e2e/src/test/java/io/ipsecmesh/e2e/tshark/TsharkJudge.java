package io.ipsecmesh.e2e.tshark;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * tshark as the independent judge of our IPsec packets: give it a capture and the SA keys, and it
 * says, per frame, whether it could decrypt and dissect the ESP payload, whether the ICV checked
 * out, and whether anything is malformed.
 *
 * <pre>{@code
 * TsharkJudge judge = TsharkJudge.find().orElseThrow();
 * List<FrameVerdict> verdicts = judge.judgePackets(packets, List.of(
 *         EspSaKey.of("IPv4", "10.0.0.1", "10.0.0.2", 0x1001,
 *                 EncryptionAlgorithm.AES_GCM_16_128, keyAndSalt, IntegrityAlgorithm.NONE, null)));
 * TsharkJudge.assertAllClean(verdicts, packets.size());
 * }</pre>
 *
 * <h2>How tshark is run</h2>
 * {@code tshark -n -r FILE} with
 * <ul>
 *   <li>{@code -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE};</li>
 *   <li>one {@code -o uat:esp_sa:<row>} per key (see {@link EspSaKey} for the row format); an
 *       unknown algorithm name makes tshark fail, so a misnamed SA can never pass silently;</li>
 *   <li>{@code WIRESHARK_CONFIG_DIR} pointing at an empty temporary directory, so a personal
 *       {@code esp_sa} file or preference on the machine cannot add or shadow SAs;</li>
 *   <li>{@code esp.do_esp_sequence_analysis:FALSE} and {@code tcp.analyze_sequence_numbers:FALSE}
 *       (a test capture reuses SPIs and sequence numbers freely; those warnings would be noise);</li>
 *   <li>by default IPv4/UDP/TCP checksum validation on ({@code ip/udp/tcp.check_checksum:TRUE};
 *       ICMP and ICMPv6 checksums are always validated), so a wrong inner or outer checksum shows
 *       up as an expert item; {@link #withChecksumValidation(boolean)} turns it off;</li>
 *   <li>UDP port 4500 is ESP-in-UDP ({@code udpencap}) out of the box; more ports via
 *       {@link #withUdpEncapPorts(int...)} ({@code -d udp.port==N,udpencap});</li>
 *   <li>{@code -T fields} with ASCII RS (0x1e) between fields and US (0x1f) between repeated
 *       values, parsed with the JDK only.</li>
 * </ul>
 *
 * <h2>What tshark can and cannot judge (tshark 4.0.17, Debian 12; verified by TsharkJudgeTest)</h2>
 * <ul>
 *   <li>ESP decryption: NULL, AES-CBC, TripleDES-CBC, AES-GCM-16 (salt appended to the key).
 *       ESP ICV check: HMAC-SHA-256-128/-384-192/-512-256 and the GCM tag; result in
 *       {@code esp.icv_good}/{@code esp.icv_bad}. With a flipped bit it reports ICV bad (and,
 *       for CBC, still shows garbage decrypted data) &mdash; so the judge looks at both.</li>
 *   <li>ChaCha20-Poly1305: not known to tshark 4.0 (the esp_sa table has no such entry); newer
 *       Wireshark has {@code "ChaCha20 with Poly1305 [RFC7634]"}. {@link #supports(EspSaKey)} probes.</li>
 *   <li>ESN: tshark 4.0 has no ESN columns, always assumes 32-bit sequence numbers, so the ICV of an
 *       ESN SA (HMAC over seq-hi appended, or GCM AAD = SPI||seq-hi||seq-lo) comes out BAD.
 *       Wireshark &ge; 4.2 has "SN: 64-bit" + fixed "ESN High Bits" per SA. {@link #supportsEsn()}.</li>
 *   <li>AH: dissected (SPI, sequence, ICV bytes, payload), but tshark never verifies an AH ICV; the
 *       verdict of an AH frame says nothing about its ICV.</li>
 *   <li>ESP-in-UDP over IPv6 with UDP checksum 0 is an expert ERROR ("Illegal checksum value (0)"),
 *       whatever {@link #withChecksumValidation(boolean)} says (tshark's
 *       {@code udp.ignore_ipv6_zero_checksum} is FALSE): RFC 8200 wants a real checksum there.
 *       Over IPv4, checksum 0 (RFC 3948) is fine.</li>
 *   <li>Cost: one tshark start (~0.5 s) per {@link #judge} call, plus one cached probe per
 *       algorithm pair; judge a whole matrix as one capture rather than packet by packet.</li>
 * </ul>
 *
 * Instances are immutable and thread-safe.
 */
public final class TsharkJudge {

    /** Environment variable naming the tshark executable; default: {@code tshark} on the PATH. */
    public static final String TSHARK_ENV = "TSHARK";

    private static final char FIELD_SEP = 0x1e;
    private static final char VALUE_SEP = 0x1f;
    private static final long TIMEOUT_SECONDS = 120;
    private static final Pattern VERSION = Pattern.compile("TShark \\(Wireshark\\) (\\d+)\\.(\\d+)\\.(\\d+)");

    /** The fields asked for, in this order. */
    private static final List<String> FIELDS = List.of(
            "frame.number", "frame.protocols",
            "esp.spi", "esp.sequence", "esp.protocol", "esp.icv_good", "esp.icv_bad",
            "ah.spi", "ah.sequence",
            "_ws.malformed", "_ws.expert.severity", "_ws.expert.group", "_ws.expert.message",
            "_ws.col.Info");

    /** Probe results per executable and question, so each is asked once per JVM. */
    private static final Map<String, Boolean> PROBES = new ConcurrentHashMap<>();

    private final Path executable;
    private final String version;
    private final int[] versionNumbers;
    private final Set<Integer> udpEncapPorts;
    private final boolean checksumValidation;

    private TsharkJudge(Path executable, String version, int[] versionNumbers,
                        Set<Integer> udpEncapPorts, boolean checksumValidation) {
        this.executable = executable;
        this.version = version;
        this.versionNumbers = versionNumbers;
        this.udpEncapPorts = Set.copyOf(udpEncapPorts);
        this.checksumValidation = checksumValidation;
    }

    /** The judge for {@code $TSHARK} or {@code tshark} on the PATH, if it runs; empty otherwise. */
    public static Optional<TsharkJudge> find() {
        String env = System.getenv(TSHARK_ENV);
        String exe = env != null && !env.isBlank() ? env : "tshark";
        try {
            return Optional.of(of(Path.of(exe)));
        } catch (IllegalStateException e) {
            return Optional.empty();
        }
    }

    /** Whether {@link #find()} finds a working tshark. */
    public static boolean available() {
        return find().isPresent();
    }

    /** The judge for the given tshark executable; throws {@link IllegalStateException} if it does not run. */
    public static TsharkJudge of(Path executable) {
        Run r;
        try {
            r = run(List.of(executable.toString(), "-v"), Map.of());
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + executable + ": " + e.getMessage(), e);
        }
        if (r.exit != 0) {
            throw new IllegalStateException(executable + " -v exited " + r.exit + ": " + r.stderr);
        }
        Matcher m = VERSION.matcher(r.stdout);
        if (!m.find()) {
            throw new IllegalStateException("not a tshark version banner: " + r.stdout.lines().findFirst().orElse(""));
        }
        int[] v = {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))};
        return new TsharkJudge(executable, m.group(1) + "." + m.group(2) + "." + m.group(3), v, Set.of(), true);
    }

    /** Also decodes these UDP ports as ESP-in-UDP (4500 always is). */
    public TsharkJudge withUdpEncapPorts(int... ports) {
        Set<Integer> p = new LinkedHashSet<>(udpEncapPorts);
        for (int port : ports) {
            if (port <= 0 || port > 0xffff) {
                throw new IllegalArgumentException("bad UDP port " + port);
            }
            p.add(port);
        }
        return new TsharkJudge(executable, version, versionNumbers, p, checksumValidation);
    }

    /** Whether tshark validates IPv4 header, UDP and TCP checksums (default on). */
    public TsharkJudge withChecksumValidation(boolean on) {
        return new TsharkJudge(executable, version, versionNumbers, udpEncapPorts, on);
    }

    /** e.g. {@code 4.0.17}. */
    public String version() {
        return version;
    }

    public Path executable() {
        return executable;
    }

    /** Whether this tshark is at least {@code major.minor}. */
    public boolean atLeast(int major, int minor) {
        return versionNumbers[0] > major || (versionNumbers[0] == major && versionNumbers[1] >= minor);
    }

    /**
     * Whether this tshark's esp_sa table accepts the key's algorithm names (and its ESN setting):
     * probed by running tshark once with that row on an empty capture (then cached).
     */
    public boolean supports(EspSaKey key) {
        if (key.esn() && !supportsEsn()) {
            return false;
        }
        return PROBES.computeIfAbsent(algProbeKey(key), k -> probeRow(probeRowOf(key)).exit == 0);
    }

    /**
     * {@link #supports(EspSaKey)} for many keys at the cost of one tshark run: all algorithm pairs
     * not probed yet go into a single probe; if tshark accepts them together, each is supported
     * (and cached); if not, each is probed on its own, so the answer is the same as asking
     * {@link #supports(EspSaKey)} key by key. Saves ~0.4 s per distinct algorithm pair.
     */
    public boolean supportsAll(Collection<EspSaKey> keys) {
        Map<String, String> rows = new java.util.LinkedHashMap<>();
        for (EspSaKey k : keys) {
            if (!k.esn() && !PROBES.containsKey(algProbeKey(k))) {
                rows.putIfAbsent(algProbeKey(k), probeRowOf(k));
            }
        }
        if (rows.size() > 1 && probeRows(List.copyOf(rows.values())).exit == 0) {
            rows.keySet().forEach(pk -> PROBES.putIfAbsent(pk, true));
        }
        return keys.stream().allMatch(this::supports);
    }

    private String algProbeKey(EspSaKey key) {
        return executable + "|algs|" + key.encryption() + "|" + key.authentication();
    }

    private static String probeRowOf(EspSaKey key) {
        return new EspSaKey(key.protocol(), "*", "*", 1, key.encryption(), key.encKey(),
                key.authentication(), key.authKey()).uatRowWithoutEsn();
    }

    /**
     * Whether this tshark's esp_sa table has the SN / ESN-high-bits columns (Wireshark &ge; 4.2):
     * probed by giving it a ten-field row; tshark 4.0 discards the extra fields with a
     * "More fields than required" warning.
     */
    public boolean supportsEsn() {
        return PROBES.computeIfAbsent(executable + "|esn", k -> {
            EspSaKey probe = new EspSaKey("IPv4", "*", "*", 1, EspSaKey.ENCR_NULL, null, EspSaKey.AUTH_NULL, null)
                    .withEsn(1);
            Run r = probeRow(probe.uatRow());
            return r.exit == 0 && !r.stderr.contains("More fields than required");
        });
    }

    private Run probeRow(String row) {
        return probeRows(List.of(row));
    }

    private Run probeRows(List<String> rows) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("tshark-probe");
            Path pcap = PcapWriter.write(dir.resolve("empty.pcap"), List.of());
            List<String> cmd = new ArrayList<>(List.of(executable.toString(), "-n", "-r", pcap.toString()));
            for (String row : rows) {
                cmd.addAll(List.of("-o", "uat:esp_sa:" + row));
            }
            return run(cmd, Map.of("WIRESHARK_CONFIG_DIR", dir.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * Writes {@code packets} (raw IPv4/IPv6, frame {@code i + 1} = {@code packets.get(i)}) to a
     * temporary pcap, {@link #judge judges} it and deletes it. To keep the capture for a look in
     * Wireshark, write it yourself ({@link PcapWriter#write(Path, List)}, e.g. under {@code e2e/out/},
     * which git ignores) and call {@link #judge(Path, List)}.
     */
    public List<FrameVerdict> judgePackets(List<byte[]> packets, List<EspSaKey> keys) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("tshark-judge");
            return judge(PcapWriter.write(dir.resolve("capture.pcap"), packets), keys);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * Runs tshark over {@code pcap} with {@code keys} in its ESP SA table and returns one verdict
     * per frame, in frame order.
     *
     * @throws IllegalArgumentException if this tshark does not know a key's algorithm or its ESN
     *         setting (see {@link #supports(EspSaKey)}): better loud than silently "not decrypted"
     * @throws IllegalStateException    if tshark fails, or complains about the SA configuration
     *         ({@code <ESP Preferences> Error ...}, e.g. a key of the wrong length)
     */
    public List<FrameVerdict> judge(Path pcap, List<EspSaKey> keys) {
        Objects.requireNonNull(pcap, "pcap");
        supportsAll(keys); // one probe run for all new algorithm pairs; the loop below then hits the cache
        for (EspSaKey k : keys) {
            if (!supports(k)) {
                throw new IllegalArgumentException("tshark " + version + " cannot judge " + k
                        + (k.esn() && !supportsEsn() ? " (no ESN support in its esp_sa table)" : " (unknown algorithm name)"));
            }
        }
        boolean tenFields = supportsEsn();
        List<String> cmd = new ArrayList<>(List.of(executable.toString(), "-n", "-r", pcap.toString(),
                "-o", "esp.enable_encryption_decode:TRUE",
                "-o", "esp.enable_authentication_check:TRUE",
                "-o", "esp.do_esp_sequence_analysis:FALSE",
                "-o", "tcp.analyze_sequence_numbers:FALSE"));
        if (checksumValidation) {
            cmd.addAll(List.of("-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                    "-o", "tcp.check_checksum:TRUE"));
        }
        for (EspSaKey k : keys) {
            cmd.addAll(List.of("-o", "uat:esp_sa:" + (tenFields ? k.uatRow() : k.uatRowWithoutEsn())));
        }
        for (int port : udpEncapPorts) {
            cmd.addAll(List.of("-d", "udp.port==" + port + ",udpencap"));
        }
        cmd.addAll(List.of("-T", "fields",
                "-E", "separator=" + FIELD_SEP, "-E", "aggregator=" + VALUE_SEP,
                "-E", "quote=n", "-E", "occurrence=a", "-E", "header=n"));
        for (String f : FIELDS) {
            cmd.addAll(List.of("-e", f));
        }

        Path configDir = null;
        Run r;
        try {
            configDir = Files.createTempDirectory("tshark-config");
            r = run(cmd, Map.of("WIRESHARK_CONFIG_DIR", configDir.toString()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run tshark", e);
        } finally {
            deleteTree(configDir);
        }
        if (r.exit != 0) {
            throw new IllegalStateException("tshark exited " + r.exit + ": " + r.stderr.strip() + "\ncommand: " + cmd);
        }
        List<String> configErrors = r.stderr.lines().filter(l -> l.contains("<ESP Preferences> Error")).toList();
        if (!configErrors.isEmpty()) {
            throw new IllegalStateException("tshark rejected the SA configuration: " + configErrors);
        }
        return parse(r.stdout);
    }

    /** Parses tshark's {@code -T fields} output for {@link #FIELDS}. */
    static List<FrameVerdict> parse(String stdout) {
        List<FrameVerdict> out = new ArrayList<>();
        for (String line : stdout.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(String.valueOf(FIELD_SEP), -1);
            if (f.length != FIELDS.size()) {
                throw new IllegalStateException("expected " + FIELDS.size() + " fields, got " + f.length + ": "
                        + line.replace(FIELD_SEP, '|').replace(VALUE_SEP, ','));
            }
            List<String> severities = values(f[10]);
            List<String> groups = values(f[11]);
            List<String> messages = values(f[12]);
            List<FrameVerdict.Expert> experts = new ArrayList<>();
            for (int i = 0; i < Math.max(severities.size(), messages.size()); i++) {
                experts.add(new FrameVerdict.Expert(
                        i < severities.size() ? FrameVerdict.Severity.parse(severities.get(i)) : FrameVerdict.Severity.UNKNOWN,
                        i < groups.size() ? FrameVerdict.Group.parse(groups.get(i)) : FrameVerdict.Group.OTHER,
                        i < messages.size() ? messages.get(i) : ""));
            }
            FrameVerdict.Icv icv = truthy(f[5]) ? FrameVerdict.Icv.GOOD
                    : truthy(f[6]) ? FrameVerdict.Icv.BAD : FrameVerdict.Icv.UNCHECKED;
            out.add(new FrameVerdict(
                    Integer.parseInt(f[0].trim()), f[1].trim(),
                    firstLong(f[2]), firstLong(f[3]), firstInt(f[4]),
                    firstLong(f[7]), firstLong(f[8]),
                    icv, !f[9].isBlank(), experts, f[13].trim()));
        }
        return out;
    }

    /**
     * Fails (AssertionError listing every bad frame) unless every frame is
     * {@linkplain FrameVerdict#problems(boolean) clean}: ESP decrypted and dissected with ICV GOOD,
     * or AH with a dissected payload; nothing malformed, no expert error.
     */
    public static void assertAllClean(List<FrameVerdict> verdicts) {
        assertAllClean(verdicts, -1);
    }

    /** As {@link #assertAllClean(List)}, and tshark must have seen exactly {@code expectedFrames} frames (-1: any, but at least one). */
    public static void assertAllClean(List<FrameVerdict> verdicts, int expectedFrames) {
        StringBuilder bad = new StringBuilder();
        if (verdicts.isEmpty()) {
            bad.append("\n  tshark reported no frames at all");
        }
        if (expectedFrames >= 0 && verdicts.size() != expectedFrames) {
            bad.append("\n  expected ").append(expectedFrames).append(" frames, tshark reported ").append(verdicts.size());
        }
        int badFrames = 0;
        for (FrameVerdict v : verdicts) {
            List<String> p = v.problems(true);
            if (!p.isEmpty()) {
                badFrames++;
                bad.append("\n  frame ").append(v.number()).append(": ").append(p).append("\n      ").append(v);
            }
        }
        if (!bad.isEmpty()) {
            throw new AssertionError("tshark does not accept " + badFrames + " of " + verdicts.size()
                    + " frames:" + bad);
        }
    }

    /** Fails unless no frame carries an expert warning (stricter than {@link #assertAllClean}). */
    public static void assertNoWarnings(List<FrameVerdict> verdicts) {
        String warned = verdicts.stream().filter(v -> !v.warnings().isEmpty())
                .map(v -> "\n  frame " + v.number() + ": " + v.warnings()).reduce("", String::concat);
        if (!warned.isEmpty()) {
            throw new AssertionError("tshark warnings:" + warned);
        }
    }

    /** Verdicts by frame number, for tests that look at particular frames. */
    public static FrameVerdict frame(Collection<FrameVerdict> verdicts, int number) {
        return verdicts.stream().filter(v -> v.number() == number).findFirst()
                .orElseThrow(() -> new AssertionError("tshark reported no frame " + number));
    }

    @Override
    public String toString() {
        return "TsharkJudge[" + executable + " " + version + "]";
    }

    // ---------------------------------------------------------------------------------------------

    private static List<String> values(String field) {
        return field.isEmpty() ? List.of() : Arrays.asList(field.split(String.valueOf(VALUE_SEP), -1));
    }

    private static String first(String field) {
        List<String> v = values(field);
        return v.isEmpty() ? "" : v.getFirst().trim();
    }

    private static Long firstLong(String field) {
        String s = first(field);
        return s.isEmpty() ? null : Long.decode(s);
    }

    private static Integer firstInt(String field) {
        String s = first(field);
        return s.isEmpty() ? null : Integer.decode(s);
    }

    /** Boolean fields print as 1/0 in tshark 4.0 and as True/False in newer ones. */
    private static boolean truthy(String field) {
        return values(field).stream().map(String::trim)
                .anyMatch(s -> s.equals("1") || s.equalsIgnoreCase("true"));
    }

    private record Run(int exit, String stdout, String stderr) {
    }

    private static Run run(List<String> cmd, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        // one thread per pipe: neither may block the other when tshark fills it
        FutureTask<String> err = new FutureTask<>(() -> readAll(p.getErrorStream()));
        FutureTask<String> out = new FutureTask<>(() -> readAll(p.getInputStream()));
        Thread.ofPlatform().daemon().name("tshark-stderr").start(err);
        Thread.ofPlatform().daemon().name("tshark-stdout").start(out);
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("tshark did not finish within " + TIMEOUT_SECONDS + " s: " + cmd);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for tshark", e);
        }
        return new Run(p.exitValue(), result(out), result(err));
    }

    private static String result(FutureTask<String> f) {
        try {
            return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading tshark output", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read tshark output", e);
        }
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp dir left behind is harmless
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
