package io.ipsecmesh.bench;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.EspProposal;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.dataplane.UserspaceDataPlane;
import io.ipsecmesh.packet.Bytes;
import io.ipsecmesh.packet.InetChecksum;
import io.ipsecmesh.packet.IpPacket;
import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.sa.Direction;
import io.ipsecmesh.sa.DropReason;
import io.ipsecmesh.sa.Lifetime;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.Policy;
import io.ipsecmesh.sa.PolicyAction;
import io.ipsecmesh.sa.Prefix;
import io.ipsecmesh.sa.SaConfig;
import io.ipsecmesh.sa.SecurityProtocol;
import io.ipsecmesh.sa.TrafficSelector;
import io.ipsecmesh.sa.WorkerContext;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.security.SecureRandom;
import java.util.List;
import java.util.Random;

/**
 * ESP through the whole pipeline of one worker, one core: parse, SPD lookup, transport-mode
 * encapsulation with padding, encryption, ICV (encrypt); SAD lookup, replay check, ICV,
 * decryption, padding check, decapsulation, selector check (decrypt). {@code size} is the IP
 * packet size before encryption. One operation is one packet: bytes/s = ops/s × size.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EspBenchmark {

    @Param({"aes128gcm16", "aes256gcm16", "chacha20poly1305", "aes128-sha256", "aes256-sha512", "null-sha256"})
    public String transform;

    @Param({"64", "512", "1400", "9000"})
    public int size;

    private UserspaceDataPlane sender;
    private UserspaceDataPlane receiver;
    private final WorkerContext w = new WorkerContext(0);
    private final PacketBuffer pb = new PacketBuffer();
    private byte[] plain;
    private byte[] wire;

    @Setup(Level.Trial)
    public void setUp() {
        EspProposal p = EspProposal.parse(transform);
        String a = "198.18.1.2";
        String b = "198.18.2.2";
        TrafficSelector ts = TrafficSelector.between(Prefix.parse(a), Prefix.parse(b));
        Random r = new Random(7);
        byte[] key = new byte[p.encryption().keyMaterialLength()];
        byte[] ikey = new byte[p.integrity().keyLength()];
        r.nextBytes(key);
        r.nextBytes(ikey);
        sender = new UserspaceDataPlane(1, new SecureRandom());
        receiver = new UserspaceDataPlane(1, new SecureRandom());
        sender.installSa(sa("ab", Direction.OUT, p.encryption(), key.clone(), p.integrity(), ikey.clone(), ts, 128));
        sender.installPolicy(new Policy(Direction.OUT, ts, PolicyAction.PROTECT, "ab", 10));
        // Replay window 0 on the receiver, so that one packet can be decrypted again and again.
        receiver.installSa(sa("ab", Direction.IN, p.encryption(), key.clone(), p.integrity(), ikey.clone(), ts, 0));
        plain = udpPacket(a, b, size);
        pb.set(plain, 0, plain.length);
        if (sender.process(w, pb) != DropReason.NONE) {
            throw new IllegalStateException("setup: protect failed");
        }
        wire = pb.toArray();
        pb.set(wire, 0, wire.length);
        if (receiver.process(w, pb) != DropReason.NONE) {
            throw new IllegalStateException("setup: unprotect failed");
        }
    }

    private static SaConfig sa(String name, Direction d, EncryptionAlgorithm enc, byte[] key, IntegrityAlgorithm integ,
                               byte[] ikey, TrafficSelector ts, int window) {
        return new SaConfig(name, d, SecurityProtocol.ESP, 0x1001, Mode.TRANSPORT, Prefix.parseAddress("198.18.1.2"),
                Prefix.parseAddress("198.18.2.2"), enc, key, integ, integ == IntegrityAlgorithm.NONE ? null : ikey,
                false, window, null, 0, Lifetime.UNLIMITED, List.of(ts), false);
    }

    @Benchmark
    public int encrypt() {
        pb.set(plain, 0, plain.length);
        if (sender.process(w, pb) != DropReason.NONE) {
            throw new IllegalStateException();
        }
        return pb.len;
    }

    @Benchmark
    public int decrypt() {
        pb.set(wire, 0, wire.length);
        if (receiver.process(w, pb) != DropReason.NONE) {
            throw new IllegalStateException();
        }
        return pb.len;
    }

    /** An IPv4 UDP packet of exactly {@code size} bytes with a valid checksum. */
    static byte[] udpPacket(String src, String dst, int size) {
        byte[] p = new byte[size];
        p[0] = 0x45;
        Bytes.put16(p, 2, size);
        p[8] = 64;
        p[9] = 17;
        System.arraycopy(Prefix.parseAddress(src).getAddress(), 0, p, 12, 4);
        System.arraycopy(Prefix.parseAddress(dst).getAddress(), 0, p, 16, 4);
        IpPacket.updateHeaderChecksum(p, 0);
        Bytes.put16(p, 20, 40000);
        Bytes.put16(p, 22, 5201);
        Bytes.put16(p, 24, size - 20);
        for (int i = 28; i < size; i++) {
            p[i] = (byte) i;
        }
        long sum = InetChecksum.pseudoHeaderSum(p, 0, 17, size - 20);
        Bytes.put16(p, 26, InetChecksum.finish(InetChecksum.sum(p, 20, size - 20, sum)));
        return p;
    }
}
