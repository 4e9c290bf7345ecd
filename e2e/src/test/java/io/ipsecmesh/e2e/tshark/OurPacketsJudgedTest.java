package io.ipsecmesh.e2e.tshark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.dataplane.UserspaceDataPlane;
import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.sa.Direction;
import io.ipsecmesh.sa.DropReason;
import io.ipsecmesh.sa.Lifetime;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.Policy;
import io.ipsecmesh.sa.PolicyAction;
import io.ipsecmesh.sa.Prefix;
import io.ipsecmesh.sa.SaConfig;
import io.ipsecmesh.sa.SecurityAssociation;
import io.ipsecmesh.sa.SecurityProtocol;
import io.ipsecmesh.sa.TrafficSelector;
import io.ipsecmesh.sa.UdpEncap;
import io.ipsecmesh.sa.WorkerContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our data plane's own packets, judged by two independent implementations.
 *
 * <p>Two {@link UserspaceDataPlane}s (node A with pod A, node B with pod B, matching SAs both ways,
 * as in the sidecar's {@code PipelineRoundTripTest}) protect ICMP echo, UDP and TCP packets (payloads
 * of 0 to 1200 bytes) in both directions, for every encryption transform (NULL, AES-CBC-128/256 and
 * 3DES-CBC with each HMAC-SHA2, AES-GCM-16-128/256, ChaCha20-Poly1305), transport and tunnel mode,
 * IPv4 and IPv6, plain ESP and ESP-in-UDP (4500), ESN variants (starting just below 2^32 so the
 * high half changes inside the capture), and AH with each HMAC (with and without ESN). All of it
 * goes into one capture (~1700 frames), judged by:
 * <ol>
 *   <li><b>tshark</b> ({@link TsharkJudge}), in one run, with every key it can use: it must decrypt
 *       each ESP frame, find the ICV good and dissect the same inner protocol we sent (the inner IP
 *       header in tunnel mode), and find nothing malformed, in the ESP, ESP-in-UDP and AH frames
 *       alike. tshark 4.0 cannot decrypt ChaCha20-Poly1305 or ESN, and never checks AH ICVs:
 *       those frames are only checked for clean dissection by tshark, and judged by</li>
 *   <li><b>{@code e2e/verify/ipsec_verify.py}</b>, written from RFC 4303/4302/4106/7634/4868/3948
 *       with Python's {@code cryptography} (OpenSSL) and {@code hmac}: it verifies every frame of the
 *       same capture (so the two judges cross-check on the transforms they share) and prints the
 *       SHA-256 of each decrypted payload, compared here with what we sent.</li>
 * </ol>
 * Both judges are shown to fail on a flipped bit, and the verifier on ESN packets judged as non-ESN.
 *
 * <p>Skipped when tshark or python3 with {@code cryptography} is missing, except when
 * {@code CI=true}, {@code IPSM_REQUIRE_TSHARK=true} or {@code -Dipsm.requireTshark=true}: then a
 * missing tool fails. {@code TSHARK} names the tshark executable, {@code IPSM_PYTHON} the interpreter.
 */
class OurPacketsJudgedTest {

    /** ESN SAs start here, so the third packet of each direction carries high bits 1. */
    static final long ESN_START = 0xFFFF_FFFEL;
    static final int REPLAY_WINDOW = 64;
    static final int PROTO_ICMP = 1;
    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;
    static final int PROTO_ICMPV6 = 58;
    private static final HexFormat HEX = HexFormat.of();
    private static final List<IntegrityAlgorithm> HMACS = List.of(IntegrityAlgorithm.HMAC_SHA2_256_128,
            IntegrityAlgorithm.HMAC_SHA2_384_192, IntegrityAlgorithm.HMAC_SHA2_512_256);

    @TempDir
    static Path dir;

    private static List<Sent> matrix;
    private static Path matrixPcap;
    private static Path matrixSas;
    private static List<SaRecord> matrixSaList;

    // ================================================================================ the matrix

    record Case(int index, SecurityProtocol proto, EncryptionAlgorithm enc, IntegrityAlgorithm integ, Mode mode,
                int family, boolean udp, boolean esn) {
        int spiAb() {
            return 0x0001_0000 + 2 * index;
        }

        int spiBa() {
            return spiAb() + 1;
        }

        boolean tunnel() {
            return mode == Mode.TUNNEL;
        }

        @Override
        public String toString() {
            return "#" + index + " " + proto + (enc == null ? "" : " " + enc.keyword())
                    + (integ == IntegrityAlgorithm.NONE ? "" : " " + integ.keyword()) + " " + mode.name().toLowerCase()
                    + " v" + family + (udp ? " udp" : "") + (esn ? " esn" : "");
        }
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        for (int family : new int[] {4, 6}) {
            for (Mode mode : Mode.values()) {
                for (boolean udp : new boolean[] {false, true}) {
                    for (EncryptionAlgorithm enc : EncryptionAlgorithm.values()) {
                        for (IntegrityAlgorithm integ : enc.isAead() ? List.of(IntegrityAlgorithm.NONE) : HMACS) {
                            out.add(new Case(out.size(), SecurityProtocol.ESP, enc, integ, mode, family, udp, false));
                        }
                    }
                    out.add(new Case(out.size(), SecurityProtocol.ESP, EncryptionAlgorithm.AES_GCM_16_256,
                            IntegrityAlgorithm.NONE, mode, family, udp, true));
                    out.add(new Case(out.size(), SecurityProtocol.ESP, EncryptionAlgorithm.AES_CBC_128,
                            IntegrityAlgorithm.HMAC_SHA2_256_128, mode, family, udp, true));
                    out.add(new Case(out.size(), SecurityProtocol.ESP, EncryptionAlgorithm.CHACHA20_POLY1305,
                            IntegrityAlgorithm.NONE, mode, family, udp, true));
                }
                for (boolean esn : new boolean[] {false, true}) {
                    for (IntegrityAlgorithm integ : HMACS) {
                        out.add(new Case(out.size(), SecurityProtocol.AH, null, integ, mode, family, false, esn));
                    }
                }
            }
        }
        return out;
    }

    /** One SA (one direction) as the judges need it. */
    record SaRecord(Case c, int spi, String src, String dst, byte[] encKey, byte[] integKey) {
        long firstSeq() {
            return c.esn ? ESN_START : 1;
        }

        /** tshark's key, or empty if tshark cannot use one (ESN; unknown algorithm). */
        Optional<EspSaKey> tsharkKey(TsharkJudge judge) {
            return candidateKey().filter(judge::supports);
        }

        /** The esp_sa row of a non-ESN ESP SA (tshark 4.0 has no ESN columns, and no AH table at all). */
        Optional<EspSaKey> candidateKey() {
            if (c.proto != SecurityProtocol.ESP || c.esn) {
                return Optional.empty();
            }
            return Optional.of(EspSaKey.of(c.family == 4 ? "IPv4" : "IPv6", src, dst, spi, c.enc, encKey, c.integ, integKey));
        }

        String json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("proto", c.proto == SecurityProtocol.ESP ? "esp" : "ah");
            m.put("spi", spi);
            m.put("src", src);
            m.put("dst", dst);
            m.put("mode", c.tunnel() ? "tunnel" : "transport");
            if (c.proto == SecurityProtocol.ESP) {
                m.put("encr", switch (c.enc) {
                    case NULL -> "null";
                    case AES_CBC_128, AES_CBC_256 -> "aes-cbc";
                    case TRIPLE_DES_CBC -> "3des-cbc";
                    case AES_GCM_16_128, AES_GCM_16_256 -> "aes-gcm-16";
                    case CHACHA20_POLY1305 -> "chacha20-poly1305";
                });
                m.put("encr_key", HEX.formatHex(encKey));
            }
            m.put("integ", switch (c.integ) {
                case NONE -> "none";
                case HMAC_SHA2_256_128 -> "hmac-sha2-256-128";
                case HMAC_SHA2_384_192 -> "hmac-sha2-384-192";
                case HMAC_SHA2_512_256 -> "hmac-sha2-512-256";
            });
            m.put("integ_key", integKey == null ? "" : HEX.formatHex(integKey));
            m.put("esn", c.esn);
            m.put("esn_start", firstSeq());
            m.put("replay_window", REPLAY_WINDOW);
            m.put("udp_encap", c.udp ? List.of(4500, 4500) : null);
            // strings are hex, names and address literals: nothing to escape
            return m.entrySet().stream()
                    .map(e -> "\"" + e.getKey() + "\": " + (e.getValue() instanceof String s ? "\"" + s + "\"" : e.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
        }

        SaRecord asNonEsn() {
            return new SaRecord(new Case(c.index, c.proto, c.enc, c.integ, c.mode, c.family, c.udp, false),
                    spi, src, dst, encKey, integKey);
        }
    }

    /** One packet we protected: what went in, what came out, and what the judges must find. */
    record Sent(Case c, SaRecord sa, byte[] plain, int l4, long seq, byte[] wire) {
        String l4Name() {
            return switch (l4) {
                case PROTO_ICMP -> "icmp";
                case PROTO_ICMPV6 -> "icmpv6";
                case PROTO_TCP -> "tcp";
                case PROTO_UDP -> "udp";
                default -> throw new IllegalStateException("l4 " + l4);
            };
        }

        /** The verifier's {@code inner=}: {@code udp}, or {@code ipv6/udp} in tunnel mode. */
        String verifierInner() {
            return c.tunnel() ? "ipv" + c.family + "/" + l4Name() : l4Name();
        }

        /** The layers tshark must show right after esp/ah. */
        List<String> tsharkInner() {
            return c.tunnel() ? List.of(c.family == 4 ? "ip" : "ipv6", l4Name()) : List.of(l4Name());
        }

        int nextHeader() {
            return c.tunnel() ? (c.family == 4 ? 4 : 41) : l4;
        }

        /** SHA-256 of what ESP/AH protects: the whole packet in tunnel mode, the segment in transport mode. */
        String payloadSha256() {
            int ipLen = c.family == 4 ? (plain[0] & 0x0f) * 4 : 40;
            return sha256(c.tunnel() ? plain : Arrays.copyOfRange(plain, ipLen, plain.length));
        }

        String describe() {
            return c + " spi=0x" + Integer.toHexString(sa.spi) + " seq=" + seq + " " + l4Name() + " "
                    + plain.length + "B";
        }
    }

    /** A matched pair of data planes, pod A behind node A and pod B behind node B. */
    static final class Rig {
        final Case c;
        final UserspaceDataPlane a;
        final UserspaceDataPlane b;
        final WorkerContext wa = new WorkerContext(0);
        final WorkerContext wb = new WorkerContext(0);
        final String podA;
        final String podB;
        final SaRecord ab;
        final SaRecord ba;
        private long nextAb;
        private long nextBa;
        private int icmpSeq;

        Rig(Case c) {
            this.c = c;
            boolean v4 = c.family == 4;
            a = new UserspaceDataPlane(1, new Random(1000 + c.index));
            b = new UserspaceDataPlane(1, new Random(2000 + c.index));
            podA = v4 ? "198.18.1.2" : "2001:db8:1::2";
            podB = v4 ? "198.18.2.2" : "2001:db8:2::2";
            String nodeA = v4 ? "198.19.0.1" : "2001:db8:ff::1";
            String nodeB = v4 ? "198.19.0.2" : "2001:db8:ff::2";
            String outerA = c.tunnel() ? nodeA : podA;
            String outerB = c.tunnel() ? nodeB : podB;
            Random r = new Random(31L * c.index + 7);
            int encLen = c.enc == null ? 0 : c.enc.keyMaterialLength();
            ab = new SaRecord(c, c.spiAb(), outerA, outerB, key(r, encLen), key(r, c.integ.keyLength()));
            ba = new SaRecord(c, c.spiBa(), outerB, outerA, key(r, encLen), key(r, c.integ.keyLength()));
            TrafficSelector tsAb = TrafficSelector.between(Prefix.parse(podA), Prefix.parse(podB));
            TrafficSelector tsBa = tsAb.reversed();
            a.installSa(config("ab", Direction.OUT, ab, tsAb));
            b.installSa(config("ab", Direction.IN, ab, tsAb));
            b.installSa(config("ba", Direction.OUT, ba, tsBa));
            a.installSa(config("ba", Direction.IN, ba, tsBa));
            a.installPolicy(new Policy(Direction.OUT, tsAb, PolicyAction.PROTECT, "ab", 10));
            a.installPolicy(new Policy(Direction.IN, tsBa, PolicyAction.PROTECT, "ba", 10));
            b.installPolicy(new Policy(Direction.OUT, tsBa, PolicyAction.PROTECT, "ba", 10));
            b.installPolicy(new Policy(Direction.IN, tsAb, PolicyAction.PROTECT, "ab", 10));
            nextAb = ab.firstSeq();
            nextBa = ba.firstSeq();
            if (c.esn) {
                startSequenceAt(a, "ab", ESN_START);
                startSequenceAt(b, "ba", ESN_START);
            }
        }

        private SaConfig config(String name, Direction dir, SaRecord sa, TrafficSelector ts) {
            return new SaConfig(name, dir, c.proto, sa.spi, c.mode, Prefix.parseAddress(sa.src),
                    Prefix.parseAddress(sa.dst), c.enc, c.enc == null ? null : sa.encKey.clone(), c.integ,
                    c.integ == IntegrityAlgorithm.NONE ? null : sa.integKey.clone(), c.esn, REPLAY_WINDOW,
                    c.udp ? new UdpEncap(4500, 4500) : null, 0, Lifetime.UNLIMITED, List.of(ts),
                    c.enc == EncryptionAlgorithm.TRIPLE_DES_CBC);
        }

        /** Protects one packet of protocol {@code l4} with {@code size} payload bytes, A to B or B to A. */
        Sent send(boolean aToB, int l4, int size) {
            String src = aToB ? podA : podB;
            String dst = aToB ? podB : podA;
            Random r = new Random(c.index * 100_003L + size * 7L + l4 + (aToB ? 0 : 1));
            // lowercase letters: random bytes now and then look like RTCP etc. to tshark's UDP
            // heuristics, which then call a good packet malformed
            byte[] data = new byte[size];
            for (int i = 0; i < size; i++) {
                data[i] = (byte) ('a' + r.nextInt(26));
            }
            byte[] plain = switch (l4) {
                case PROTO_UDP -> Packets.ip(src, dst, PROTO_UDP, Packets.udp(src, dst, 40001, 40002, data));
                case PROTO_TCP -> Packets.ip(src, dst, PROTO_TCP, Packets.tcp(src, dst, 40003, 40004, 1 + size, data));
                case PROTO_ICMP, PROTO_ICMPV6 -> {
                    // A sends echo requests, B the matching replies
                    int seq = aToB ? ++icmpSeq : icmpSeq;
                    byte[] echo = Packets.icmpEcho(src, dst, !aToB, 0x4242, seq, data);
                    yield Packets.ip(src, dst, c.family == 4 ? PROTO_ICMP : PROTO_ICMPV6, echo);
                }
                default -> throw new IllegalArgumentException("l4 " + l4);
            };
            PacketBuffer pb = new PacketBuffer().set(plain, 0, plain.length);
            DropReason d = (aToB ? a : b).process(aToB ? wa : wb, pb);
            assertEquals(DropReason.NONE, d, () -> "our data plane refused to protect " + c + " " + l4 + "/" + size);
            long seq = aToB ? nextAb++ : nextBa++;
            return new Sent(c, aToB ? ab : ba, plain, plain[c.family == 4 ? 9 : 6], seq, pb.toArray());
        }

        private static byte[] key(Random r, int len) {
            byte[] k = new byte[len];
            r.nextBytes(k);
            return k;
        }
    }

    /** Makes an outbound SA continue numbering from {@code next} (package-private hook for tests). */
    static void startSequenceAt(UserspaceDataPlane dp, String saName, long next) {
        SecurityAssociation sa = dp.securityAssociations().stream().filter(s -> s.name().equals(saName))
                .filter(s -> s.config().direction() == Direction.OUT).findFirst().orElseThrow();
        try {
            Method m = SecurityAssociation.class.getDeclaredMethod("setNextSequenceNumber", long.class);
            m.setAccessible(true);
            m.invoke(sa, next);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot start " + saName + " at sequence number " + next
                    + " (SecurityAssociation.setNextSequenceNumber gone?)", e);
        }
        assertEquals(next, sa.peekSequenceNumber());
    }

    /** The traffic of one case: ICMP echo, UDP and TCP of a few sizes from A to B, and answers back. */
    static List<Sent> traffic(Rig rig) {
        int icmp = rig.c.family == 4 ? PROTO_ICMP : PROTO_ICMPV6;
        List<Sent> out = new ArrayList<>();
        out.add(rig.send(true, icmp, 56));
        out.add(rig.send(false, icmp, 56));   // the echo reply
        out.add(rig.send(true, PROTO_UDP, 0));
        out.add(rig.send(true, PROTO_UDP, 17));
        out.add(rig.send(false, PROTO_UDP, 33));
        out.add(rig.send(true, PROTO_UDP, 1200));
        out.add(rig.send(true, PROTO_TCP, 0));
        out.add(rig.send(false, PROTO_TCP, 1));
        out.add(rig.send(true, PROTO_TCP, 100));
        out.add(rig.send(false, PROTO_TCP, 1100));
        return out;
    }

    @BeforeAll
    static void buildCapture() {
        matrix = new ArrayList<>();
        matrixSaList = new ArrayList<>();
        for (Case c : cases()) {
            Rig rig = new Rig(c);
            matrixSaList.add(rig.ab);
            matrixSaList.add(rig.ba);
            matrix.addAll(traffic(rig));
        }
        matrixPcap = PcapWriter.write(dir.resolve("our-packets.pcap"), matrix.stream().map(Sent::wire).toList());
        matrixSas = writeSas(dir.resolve("our-packets-sas.json"), matrixSaList);
        keepForInspection(matrixPcap, matrixSas);
    }

    /** With {@code -Dipsm.keepCapture=DIR}, copies the capture and its SAs there (for Wireshark). */
    private static void keepForInspection(Path... files) {
        String keep = System.getProperty("ipsm.keepCapture");
        if (keep == null || keep.isBlank()) {
            return;
        }
        try {
            Path d = Files.createDirectories(Path.of(keep));
            for (Path f : files) {
                Files.copy(f, d.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ================================================================================ tshark

    @Test
    void tsharkDecryptsAndDissectsOurPacketsCleanly() {
        TsharkJudge judge = tshark();
        // one probe for every algorithm pair but ChaCha20 (which tshark 4.0 lacks), then one for ChaCha20
        judge.supportsAll(matrixSaList.stream().filter(sa -> sa.c.enc != EncryptionAlgorithm.CHACHA20_POLY1305)
                .flatMap(sa -> sa.candidateKey().stream()).toList());
        Map<Integer, EspSaKey> keyBySpi = new LinkedHashMap<>();
        for (SaRecord sa : matrixSaList) {
            sa.tsharkKey(judge).ifPresent(k -> keyBySpi.put(sa.spi, k));
        }
        long t0 = System.nanoTime();
        List<FrameVerdict> verdicts = judge.judge(matrixPcap, List.copyOf(keyBySpi.values()));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(matrix.size(), verdicts.size(), "tshark saw every frame");

        List<FrameVerdict> fullyJudged = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        int decrypted = 0;
        int ah = 0;
        int dissectedOnly = 0;
        for (int i = 0; i < matrix.size(); i++) {
            Sent s = matrix.get(i);
            FrameVerdict v = verdicts.get(i);
            String at = "frame " + v.number() + " (" + s.describe() + "): ";
            Case c = s.c;
            if (c.proto == SecurityProtocol.AH) {
                ah++;
                fullyJudged.add(v);
                expect(problems, at, "AH layer", v.isAh() && !v.isEsp());
                expect(problems, at, "ah.spi " + v.ahSpi(), v.ahSpi() != null && v.ahSpi() == s.sa.spi);
                expect(problems, at, "ah.sequence " + v.ahSequence(),
                        v.ahSequence() != null && v.ahSequence() == (s.seq & 0xffffffffL));
                expect(problems, at, "layers after ah " + v.innerLayers() + ", want " + s.tsharkInner(),
                        startsWith(v.innerLayers(), s.tsharkInner()));
                continue;
            }
            expect(problems, at, "ESP layer", v.isEsp());
            expect(problems, at, "ESP-in-UDP " + c.udp + ", tshark layers " + v.protocols(), v.isUdpEncapsulated() == c.udp);
            expect(problems, at, "esp.spi " + v.espSpi(), v.espSpi() != null && v.espSpi() == s.sa.spi);
            expect(problems, at, "esp.sequence " + v.espSequence(),
                    v.espSequence() != null && v.espSequence() == (s.seq & 0xffffffffL));
            if (keyBySpi.containsKey(s.sa.spi)) {
                decrypted++;
                fullyJudged.add(v);
                expect(problems, at, "esp next header " + v.espNextHeader() + ", want " + s.nextHeader(),
                        v.espNextHeader() != null && v.espNextHeader() == s.nextHeader());
                expect(problems, at, "layers after esp " + v.innerLayers() + ", want " + s.tsharkInner(),
                        startsWith(v.innerLayers(), s.tsharkInner()));
            } else {
                // no key tshark can use (ChaCha20-Poly1305 or ESN on tshark 4.0): it must still parse cleanly
                dissectedOnly++;
                expect(problems, at, "not malformed", !v.malformed());
                List<FrameVerdict.Expert> bad = v.experts().stream().filter(FrameVerdict.Expert::disqualifies).toList();
                expect(problems, at, "no expert error " + bad, bad.isEmpty());
            }
        }
        // Every ESP frame tshark has a key for must be clean: decrypted, ICV good, nothing malformed.
        // AH frames: dissected cleanly (tshark 4.0 does not check AH ICVs; the verifier does).
        TsharkJudge.assertAllClean(fullyJudged, fullyJudged.size());
        if (!problems.isEmpty()) {
            fail(problems.size() + " mismatches between what we sent and what tshark dissected:\n  "
                    + String.join("\n  ", problems.subList(0, Math.min(40, problems.size()))));
        }
        // Nothing tshark could have decrypted went without a key: only ChaCha20 (if unsupported) and ESN.
        for (SaRecord sa : matrixSaList) {
            boolean expectKey = sa.c.proto == SecurityProtocol.ESP && !sa.c.esn
                    && (sa.c.enc != EncryptionAlgorithm.CHACHA20_POLY1305 || chachaSupported(judge));
            assertEquals(expectKey, keyBySpi.containsKey(sa.spi), "tshark key for " + sa.c);
        }
        System.out.printf("tshark %s judged %d frames in %d ms: %d ESP decrypted with ICV good, %d AH dissected, "
                        + "%d ESP (ChaCha20/ESN) dissected only, %d SAs keyed%n",
                judge.version(), verdicts.size(), ms, decrypted, ah, dissectedOnly, keyBySpi.size());
        assertTrue(decrypted > 1000, "most of the matrix is decrypted by tshark");
    }

    private static boolean chachaSupported(TsharkJudge judge) {
        return judge.supports(EspSaKey.of("IPv4", "*", "*", 0x100, EncryptionAlgorithm.CHACHA20_POLY1305,
                new byte[36], IntegrityAlgorithm.NONE, null));
    }

    // ================================================================================ the verifier

    @Test
    void independentVerifierAcceptsEveryFrame() {
        Verifier.Result r = Verifier.run(matrixPcap, matrixSas);
        assertEquals(0, r.exit(), () -> "verifier exit " + r.exit() + "; failures:\n" + r.failures() + r.stderr());
        assertEquals(matrix.size(), r.frames().size(), "one verdict per frame");
        List<String> problems = new ArrayList<>();
        Map<String, Integer> byKind = new LinkedHashMap<>();
        for (int i = 0; i < matrix.size(); i++) {
            Sent s = matrix.get(i);
            Verifier.Frame f = r.frames().get(i);
            String at = "frame " + f.number() + " (" + s.describe() + "): ";
            expect(problems, at, "frame number", f.number() == i + 1);
            expect(problems, at, "OK, was " + f, f.ok());
            expect(problems, at, "proto " + f.proto(), f.proto().equals(s.c.proto == SecurityProtocol.ESP ? "esp" : "ah"));
            expect(problems, at, "spi " + f.get("spi"), ("0x" + String.format("%08x", s.sa.spi)).equals(f.get("spi")));
            expect(problems, at, "seq " + f.get("seq") + ", want " + s.seq, String.valueOf(s.seq).equals(f.get("seq")));
            expect(problems, at, "nh " + f.get("nh"), String.valueOf(s.nextHeader()).equals(f.get("nh")));
            expect(problems, at, "inner " + f.get("inner") + ", want " + s.verifierInner(),
                    s.verifierInner().equals(f.get("inner")));
            expect(problems, at, "decrypted payload equals what we sent", s.payloadSha256().equals(f.get("payload_sha256")));
            String kind = s.c.proto == SecurityProtocol.AH ? (s.c.esn ? "AH+ESN" : "AH")
                    : s.c.enc == EncryptionAlgorithm.CHACHA20_POLY1305 ? (s.c.esn ? "ChaCha20+ESN" : "ChaCha20")
                    : s.c.esn ? "ESP+ESN" : "ESP (also judged by tshark)";
            byKind.merge(kind, 1, Integer::sum);
        }
        if (!problems.isEmpty()) {
            fail(problems.size() + " mismatches:\n  " + String.join("\n  ", problems.subList(0, Math.min(40, problems.size()))));
        }
        // the packets crossed 2^32 on every ESN SA
        assertTrue(matrix.stream().anyMatch(s -> s.c.esn && s.seq > 0xffffffffL && s.c.proto == SecurityProtocol.AH));
        assertTrue(matrix.stream().anyMatch(s -> s.c.esn && s.seq > 0xffffffffL && s.c.enc == EncryptionAlgorithm.CHACHA20_POLY1305));
        System.out.println("ipsec_verify.py (" + Verifier.python() + ") accepted " + r.frames().size() + " frames: " + byKind);
    }

    // ================================================================================ judges can fail

    /** A handful of packets, some corrupted: which frames each judge must reject. */
    record Tampered(List<Sent> sent, List<byte[]> wire, List<String> expectFail, List<SaRecord> sas) {
    }

    static Tampered tampered() {
        List<Case> cs = List.of(
                new Case(1000, SecurityProtocol.ESP, EncryptionAlgorithm.AES_CBC_128, IntegrityAlgorithm.HMAC_SHA2_256_128,
                        Mode.TRANSPORT, 4, false, false),
                new Case(1001, SecurityProtocol.ESP, EncryptionAlgorithm.AES_GCM_16_128, IntegrityAlgorithm.NONE,
                        Mode.TUNNEL, 6, true, false),
                new Case(1002, SecurityProtocol.ESP, EncryptionAlgorithm.CHACHA20_POLY1305, IntegrityAlgorithm.NONE,
                        Mode.TUNNEL, 4, false, false),
                new Case(1003, SecurityProtocol.ESP, EncryptionAlgorithm.AES_GCM_16_256, IntegrityAlgorithm.NONE,
                        Mode.TRANSPORT, 6, false, true),
                new Case(1004, SecurityProtocol.AH, null, IntegrityAlgorithm.HMAC_SHA2_256_128, Mode.TRANSPORT, 4, false, false),
                new Case(1005, SecurityProtocol.AH, null, IntegrityAlgorithm.HMAC_SHA2_384_192, Mode.TUNNEL, 6, false, true));
        List<Sent> sent = new ArrayList<>();
        List<byte[]> wire = new ArrayList<>();
        List<String> expectFail = new ArrayList<>();
        List<SaRecord> sas = new ArrayList<>();
        for (Case c : cs) {
            Rig rig = new Rig(c);
            sas.add(rig.ab);
            for (int k = 0; k < 4; k++) {
                Sent s = rig.send(true, PROTO_UDP, 50 + k);
                byte[] w = s.wire.clone();
                String fail = null;
                int icvLen = c.enc != null && c.enc.isAead() ? 16 : c.integ.icvLength();
                if (k == 1) {
                    if (c.proto == SecurityProtocol.ESP) {
                        w[w.length - icvLen - 5] ^= 0x01;      // one bit of ciphertext
                        if (c.udp && c.family == 6) {
                            fixUdp6Checksum(w);                // so that only the ICV is wrong
                        }
                    } else {
                        w[w.length - 1] ^= 0x01;               // one bit of the payload AH protects
                    }
                    fail = "flipped bit";
                } else if (k == 2 && c.proto == SecurityProtocol.AH) {
                    // mutable fields en route: AH must still verify
                    if (c.family == 4) {
                        w[1] = (byte) 0xb8;                    // DSCP EF
                        w[8] = (byte) ((w[8] & 0xff) - 3);    // TTL
                        w[6] = 0x00;                           // DF cleared
                        fixIpv4Checksum(w);
                    } else {
                        w[1] = (byte) 0xb1;                    // traffic class + flow label
                        w[3] = 0x55;
                        w[7] = (byte) ((w[7] & 0xff) - 3);    // hop limit
                    }
                } else if (k == 3 && c.proto == SecurityProtocol.AH) {
                    if (c.family == 4) {
                        w[5] ^= 0x01;                          // IPv4 identification: immutable
                        fixIpv4Checksum(w);
                        fail = "IPv4 ID changed";
                    } else {
                        w[40 + 12 + 24 + 1] ^= 0x01;           // AH alignment padding (ICV 24 + 4 padding)
                        fail = "AH padding changed";
                    }
                }
                sent.add(s);
                wire.add(w);
                expectFail.add(fail);
            }
        }
        return new Tampered(sent, wire, expectFail, sas);
    }

    @Test
    void verifierRejectsFlippedBitsAndAcceptsChangedMutableFields() {
        Tampered t = tampered();
        Path pcap = PcapWriter.write(dir.resolve("tampered.pcap"), t.wire);
        Path sas = writeSas(dir.resolve("tampered-sas.json"), t.sas);
        Verifier.Result r = Verifier.run(pcap, sas);
        assertEquals(1, r.exit(), "verifier must exit 1 when a frame fails:\n" + r.stdout() + r.stderr());
        assertEquals(t.wire.size(), r.frames().size());
        for (int i = 0; i < t.wire.size(); i++) {
            Verifier.Frame f = r.frames().get(i);
            String why = t.expectFail.get(i);
            String at = "frame " + (i + 1) + " (" + t.sent.get(i).describe() + (why == null ? "" : ", " + why) + "): " + f;
            if (why == null) {
                assertTrue(f.ok(), at);
            } else {
                assertTrue(!f.ok() && f.get("reason").matches("(?i).*(ICV|tag).*does not verify.*"), at);
            }
        }
        long failing = t.expectFail.stream().filter(java.util.Objects::nonNull).count();
        assertEquals(8, failing, "4 ESP frames with a flipped bit, 2 AH with a flipped bit, 2 AH with an immutable field changed");
        assertTrue(r.stdout().contains("summary frames=24 ok=16 fail=8"), r.stdout());
    }

    @Test
    void verifierRejectsEsnPacketsTakenForNonEsn() {
        // the ESN SAs of the matrix, declared without ESN: every frame of theirs must fail its ICV
        List<Sent> esn = matrix.stream().filter(s -> s.c.esn && s.c.family == 4 && !s.c.udp).toList();
        List<SaRecord> sas = matrixSaList.stream().filter(sa -> sa.c.esn && sa.c.family == 4 && !sa.c.udp)
                .map(SaRecord::asNonEsn).toList();
        Path pcap = PcapWriter.write(dir.resolve("esn.pcap"), esn.stream().map(Sent::wire).toList());
        Verifier.Result r = Verifier.run(pcap, writeSas(dir.resolve("esn-as-non-esn.json"), sas));
        assertEquals(1, r.exit());
        assertEquals(esn.size(), r.frames().size());
        for (Verifier.Frame f : r.frames()) {
            assertTrue(!f.ok() && f.get("reason").matches("(?i).*(ICV|tag).*does not verify.*"), f::toString);
        }
    }

    @Test
    void tsharkRejectsFlippedBits() {
        TsharkJudge judge = tshark();
        Tampered t = tampered();
        List<EspSaKey> keys = t.sas.stream().flatMap(sa -> sa.tsharkKey(judge).stream()).toList();
        List<FrameVerdict> v = judge.judgePackets(t.wire, keys);
        assertEquals(t.wire.size(), v.size());
        int checked = 0;
        for (int i = 0; i < t.wire.size(); i++) {
            Sent s = t.sent.get(i);
            if (s.c.proto != SecurityProtocol.ESP || s.sa.tsharkKey(judge).isEmpty()) {
                continue;           // AH / ChaCha20 / ESN: the verifier's job
            }
            checked++;
            String at = "frame " + (i + 1) + " (" + s.describe() + "): " + v.get(i);
            if (t.expectFail.get(i) == null) {
                assertTrue(v.get(i).clean(), at);
            } else {
                assertEquals(FrameVerdict.Icv.BAD, v.get(i).icv(), at);
                assertTrue(v.get(i).problems(true).contains("ESP ICV BAD"), at);
            }
        }
        assertTrue(checked >= 8, "CBC and GCM frames judged: " + checked);
        // and the whole capture is not clean: assertAllClean names the flipped frames
        AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> TsharkJudge.assertAllClean(v.stream().filter(f -> f.isEsp() && f.icv() != FrameVerdict.Icv.UNCHECKED).toList()));
        assertTrue(e.getMessage().contains("ESP ICV BAD"), e.getMessage());
    }

    // ================================================================================ tools

    /** CI=true, IPSM_REQUIRE_TSHARK=true or -Dipsm.requireTshark=true: missing tools fail instead of skipping. */
    static boolean toolsRequired() {
        return "true".equalsIgnoreCase(System.getenv("CI"))
                || Boolean.parseBoolean(System.getenv("IPSM_REQUIRE_TSHARK"))
                || Boolean.getBoolean("ipsm.requireTshark");
    }

    private static TsharkJudge judge;

    static synchronized TsharkJudge tshark() {
        if (judge != null) {
            return judge;
        }
        Optional<TsharkJudge> found = TsharkJudge.find();
        if (found.isEmpty() && toolsRequired()) {
            fail("tshark is required (CI / IPSM_REQUIRE_TSHARK / ipsm.requireTshark) but was not found; set TSHARK or PATH");
        }
        Assumptions.assumeTrue(found.isPresent(), "tshark not installed");
        judge = found.get();
        return judge;
    }

    private static void expect(List<String> problems, String at, String what, boolean ok) {
        if (!ok) {
            problems.add(at + what);
        }
    }

    private static boolean startsWith(List<String> layers, List<String> prefix) {
        return layers.size() >= prefix.size() && layers.subList(0, prefix.size()).equals(prefix);
    }

    static Path writeSas(Path file, List<SaRecord> sas) {
        try {
            Files.writeString(file, sas.stream().map(SaRecord::json).collect(Collectors.joining(",\n  ", "[\n  ", "\n]\n")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    static String sha256(byte[] b) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static void fixIpv4Checksum(byte[] p) {
        p[10] = 0;
        p[11] = 0;
        int c = Packets.checksum(p, 0, 20, 0);
        p[10] = (byte) (c >>> 8);
        p[11] = (byte) c;
    }

    /** Recomputes the UDP checksum of an IPv6 packet without extension headers. */
    static void fixUdp6Checksum(byte[] p) {
        int len = p.length - 40;
        p[46] = 0;
        p[47] = 0;
        byte[] ph = ByteBuffer.allocate(40).put(p, 8, 32).putInt(len).putInt(PROTO_UDP).array();
        int c = Packets.checksum(p, 40, len, Packets.sum(ph, 0, ph.length, 0));
        c = c == 0 ? 0xffff : c;
        p[46] = (byte) (c >>> 8);
        p[47] = (byte) c;
    }

    /** Runs {@code e2e/verify/ipsec_verify.py}. */
    static final class Verifier {
        private static volatile String python;

        record Frame(int number, boolean ok, String proto, Map<String, String> fields, String line) {
            String get(String k) {
                return fields.get(k);
            }

            @Override
            public String toString() {
                return line;
            }
        }

        record Result(int exit, List<Frame> frames, String stdout, String stderr) {
            String failures() {
                return frames.stream().filter(f -> !f.ok()).limit(40).map(Frame::line).collect(Collectors.joining("\n"));
            }
        }

        static Path script() {
            List<Path> candidates = new ArrayList<>();
            String basedir = System.getProperty("basedir");
            if (basedir != null) {
                candidates.add(Path.of(basedir, "verify", "ipsec_verify.py"));
            }
            candidates.add(Path.of("verify", "ipsec_verify.py"));
            candidates.add(Path.of("e2e", "verify", "ipsec_verify.py"));
            return candidates.stream().filter(Files::isRegularFile).findFirst()
                    .orElseThrow(() -> new AssertionError("ipsec_verify.py not found in " + candidates));
        }

        /** IPSM_PYTHON if set, else Debian's /usr/bin/python3 or else python3 on the PATH: the first that imports cryptography. */
        static String python() {
            if (python != null) {
                return python;
            }
            List<String> candidates = new ArrayList<>();
            String env = System.getenv("IPSM_PYTHON");
            if (env != null && !env.isBlank()) {
                candidates.add(env);            // an explicit choice: no fallback
            } else {
                candidates.add("/usr/bin/python3");
                candidates.add("python3");
            }
            for (String py : candidates) {
                try {
                    Process p = new ProcessBuilder(py, "-c",
                            "import cryptography.hazmat.primitives.ciphers.aead as a; a.ChaCha20Poly1305; a.AESGCM")
                            .redirectErrorStream(true).start();
                    p.getInputStream().readAllBytes();
                    if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                        python = py;
                        return py;
                    }
                } catch (IOException e) {
                    // not there: next
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            if (toolsRequired()) {
                fail("python3 with the cryptography package is required (CI / IPSM_REQUIRE_TSHARK / ipsm.requireTshark) "
                        + "but none of " + candidates + " has it (Debian: apt-get install python3-cryptography)");
            }
            Assumptions.abort("python3 with cryptography not installed (tried " + candidates + ")");
            return null;
        }

        static Result run(Path pcap, Path sas) {
            String py = python();
            try {
                Path err = Files.createTempFile(dir, "verify", ".err");
                Process p = new ProcessBuilder(py, script().toString(), pcap.toString(), sas.toString())
                        .redirectError(err.toFile()).start();
                p.getOutputStream().close();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    fail("ipsec_verify.py did not finish in 120 s");
                }
                String stderr = Files.readString(err);
                List<Frame> frames = new ArrayList<>();
                for (String line : out.split("\n")) {
                    if (line.startsWith("frame ")) {
                        frames.add(parse(line));
                    }
                }
                return new Result(p.exitValue(), frames, out, stderr);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        /** {@code frame N OK|FAIL proto k=v ... [reason=free text]}. */
        static Frame parse(String line) {
            String rest = line;
            String reason = null;
            int ri = rest.indexOf(" reason=");
            if (ri >= 0) {
                reason = rest.substring(ri + 8);
                rest = rest.substring(0, ri);
            }
            String[] t = rest.trim().split(" +");
            if (t.length < 4 || !t[0].equals("frame") || !(t[2].equals("OK") || t[2].equals("FAIL"))) {
                throw new AssertionError("not a verdict line: " + line);
            }
            Map<String, String> fields = new LinkedHashMap<>();
            for (int i = 4; i < t.length; i++) {
                int eq = t[i].indexOf('=');
                fields.put(t[i].substring(0, eq), t[i].substring(eq + 1));
            }
            if (reason != null) {
                fields.put("reason", reason);
            }
            return new Frame(Integer.parseInt(t[1]), t[2].equals("OK"), t[3], fields, line);
        }
    }

    /** Plain IPv4/IPv6 packets with correct checksums, built here (not with the sidecar's codec). */
    static final class Packets {
        private Packets() {
        }

        static byte[] addr(String literal) {
            return InetAddress.ofLiteral(literal).getAddress();
        }

        static byte[] ip(String src, String dst, int proto, byte[] payload) {
            byte[] s = addr(src);
            byte[] d = addr(dst);
            if (s.length == 4) {
                ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
                b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length));
                b.putShort((short) (0x1000 + payload.length)).putShort((short) 0x4000);
                b.put((byte) 64).put((byte) proto).putShort((short) 0).put(s).put(d).put(payload);
                byte[] p = b.array();
                fixIpv4Checksum(p);
                return p;
            }
            ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
            b.putInt(0x6000_0000).putShort((short) payload.length).put((byte) proto).put((byte) 64);
            return b.put(s).put(d).put(payload).array();
        }

        static byte[] udp(String src, String dst, int sport, int dport, byte[] data) {
            ByteBuffer b = ByteBuffer.allocate(8 + data.length);
            b.putShort((short) sport).putShort((short) dport).putShort((short) (8 + data.length)).putShort((short) 0);
            byte[] u = b.put(data).array();
            int c = checksum(u, 0, u.length, pseudo(src, dst, PROTO_UDP, u.length));
            c = c == 0 ? 0xffff : c;
            u[6] = (byte) (c >>> 8);
            u[7] = (byte) c;
            return u;
        }

        static byte[] tcp(String src, String dst, int sport, int dport, long seq, byte[] data) {
            ByteBuffer b = ByteBuffer.allocate(20 + data.length);
            b.putShort((short) sport).putShort((short) dport).putInt((int) seq).putInt(0);
            b.put((byte) 0x50).put((byte) (data.length == 0 ? 0x02 : 0x18)).putShort((short) 65535);
            b.putShort((short) 0).putShort((short) 0);
            byte[] t = b.put(data).array();
            int c = checksum(t, 0, t.length, pseudo(src, dst, PROTO_TCP, t.length));
            t[16] = (byte) (c >>> 8);
            t[17] = (byte) c;
            return t;
        }

        /** ICMP / ICMPv6 echo request or reply. */
        static byte[] icmpEcho(String src, String dst, boolean reply, int id, int seq, byte[] data) {
            boolean v6 = addr(src).length == 16;
            int type = v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
            ByteBuffer b = ByteBuffer.allocate(8 + data.length);
            b.put((byte) type).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) seq);
            byte[] m = b.put(data).array();
            int c = checksum(m, 0, m.length, v6 ? pseudo(src, dst, PROTO_ICMPV6, m.length) : 0);
            m[2] = (byte) (c >>> 8);
            m[3] = (byte) c;
            return m;
        }

        /** Ones'-complement sum of the pseudo-header (RFC 768 / RFC 8200 §8.1). */
        static int pseudo(String src, String dst, int proto, int length) {
            byte[] s = addr(src);
            byte[] d = addr(dst);
            ByteBuffer b = ByteBuffer.allocate(2 * s.length + 8);
            b.put(s).put(d);
            if (s.length == 4) {
                b.put((byte) 0).put((byte) proto).putShort((short) length);
            } else {
                b.putInt(length).putInt(proto);
            }
            byte[] ph = Arrays.copyOf(b.array(), b.position());
            return sum(ph, 0, ph.length, 0);
        }

        static int checksum(byte[] data, int off, int len, int initial) {
            return ~sum(data, off, len, initial) & 0xffff;
        }

        static int sum(byte[] data, int off, int len, int initial) {
            long s = initial;
            for (int i = 0; i < len; i += 2) {
                s += ((data[off + i] & 0xff) << 8) | (i + 1 < len ? data[off + i + 1] & 0xff : 0);
            }
            while ((s >>> 16) != 0) {
                s = (s & 0xffff) + (s >>> 16);
            }
            return (int) s;
        }
    }
}
