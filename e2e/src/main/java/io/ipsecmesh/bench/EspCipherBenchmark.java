package io.ipsecmesh.bench;

import io.ipsecmesh.crypto.EspCipher;
import io.ipsecmesh.crypto.EspCiphers;
import io.ipsecmesh.crypto.EspProposal;
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
import java.util.Random;

/**
 * The ESP transform alone (what {@code openssl speed -evp CIPHER -bytes SIZE} measures): seal
 * or open {@code size} bytes of ESP plaintext per operation, one core.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class EspCipherBenchmark {

    @Param({"aes128gcm16", "aes256gcm16", "chacha20poly1305", "aes128-sha256", "aes256-sha512", "null-sha256"})
    public String transform;

    @Param({"64", "512", "1400", "9000"})
    public int size;

    private EspCipher sealer;
    private EspCipher opener;
    private byte[] buf;
    private byte[] sealed;
    private byte[] scratch;
    private long seq;
    private int espLen;

    @Setup(Level.Trial)
    public void setUp() {
        EspProposal p = EspProposal.parse(transform);
        byte[] key = new byte[p.encryption().keyMaterialLength()];
        byte[] ikey = new byte[p.integrity().keyLength()];
        new Random(5).nextBytes(key);
        new Random(6).nextBytes(ikey);
        sealer = EspCiphers.create(p.encryption(), key.clone(), p.integrity(), ikey.length == 0 ? null : ikey.clone(), new SecureRandom());
        opener = EspCiphers.create(p.encryption(), key.clone(), p.integrity(), ikey.length == 0 ? null : ikey.clone(), new SecureRandom());
        int bs = sealer.blockSize();
        int pt = (size + bs - 1) / bs * bs;
        buf = new byte[8 + sealer.ivLength() + pt + sealer.icvLength()];
        scratch = buf.clone();
        buf[0] = 0x10;
        espLen = sealer.seal(buf, 0, pt, 1, false);
        sealed = buf.clone();
        seq = 2;
    }

    @Benchmark
    public int seal() {
        return sealer.seal(buf, 0, buf.length - 8 - sealer.ivLength() - sealer.icvLength(), seq++, false);
    }

    @Benchmark
    public int open() {
        System.arraycopy(sealed, 0, scratch, 0, espLen);
        return opener.open(scratch, 0, espLen, 1, false);
    }
}
