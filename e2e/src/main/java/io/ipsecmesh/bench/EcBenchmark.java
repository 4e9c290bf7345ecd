package io.ipsecmesh.bench;

import io.ipsecmesh.ike.EcProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import javax.crypto.KeyAgreement;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.concurrent.TimeUnit;

/**
 * The P-256 operations of one IKE handshake side (a key pair, ECDH, an ECDSA signature and a
 * verification), with Bouncy Castle (what the engine uses, {@link EcProvider}) and with the
 * JDK's SunEC, to show why EC runs on Bouncy Castle and what an establishment costs in EC.
 * {@code e2e/bench/jmh.sh EcBenchmark}
 */
@State(Scope.Thread)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EcBenchmark {

    @Param({"bc", "jdk"})
    public String provider;

    private KeyPairGenerator generator;
    private KeyPair mine;
    private KeyPair peer;
    private byte[] message;
    private byte[] signature;

    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException {
        generator = provider.equals("bc") ? KeyPairGenerator.getInstance("EC", EcProvider.get())
                : KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        mine = generator.generateKeyPair();
        peer = generator.generateKeyPair();
        message = new byte[600];
        signature = sign();
    }

    private Provider p() {
        return provider.equals("bc") ? EcProvider.get() : null;
    }

    @Benchmark
    public KeyPair keyPair() {
        return generator.generateKeyPair();
    }

    @Benchmark
    public byte[] ecdh() throws GeneralSecurityException {
        KeyAgreement ka = p() == null ? KeyAgreement.getInstance("ECDH") : KeyAgreement.getInstance("ECDH", p());
        ka.init(mine.getPrivate());
        ka.doPhase(peer.getPublic(), true);
        return ka.generateSecret();
    }

    @Benchmark
    public byte[] sign() throws GeneralSecurityException {
        Signature s = p() == null ? Signature.getInstance("SHA256withECDSA") : Signature.getInstance("SHA256withECDSA", p());
        s.initSign(mine.getPrivate());
        s.update(message);
        return s.sign();
    }

    @Benchmark
    public boolean verify() throws GeneralSecurityException {
        Signature s = p() == null ? Signature.getInstance("SHA256withECDSA") : Signature.getInstance("SHA256withECDSA", p());
        s.initVerify(mine.getPublic());
        s.update(message);
        return s.verify(signature);
    }
}
