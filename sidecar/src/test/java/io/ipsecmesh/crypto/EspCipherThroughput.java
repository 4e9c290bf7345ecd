package io.ipsecmesh.crypto;

import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Hand measurement, not a test (it asserts nothing and surefire does not run it): single-thread
 * throughput of {@link EspCipher#seal}, {@link EspCipher#open} and both in turn (one packet
 * sealed then opened: the rate of a node doing both directions on one core) at one packet
 * size, next to
 * the bare JCE cipher doing the same per-packet {@code init} + {@code doFinal}.
 *
 * <pre>
 *   java -cp &lt;test-classes&gt;:&lt;classes&gt; io.ipsecmesh.crypto.EspCipherThroughput [ptLen] [seconds] [algorithm...]
 * </pre>
 * Throughput counts plaintext bytes; each figure is the best of five runs. Results depend on
 * the machine and on what else runs.
 */
public final class EspCipherThroughput {

    private EspCipherThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int ptLen = args.length > 0 ? Integer.parseInt(args[0]) : 1400;
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 1;
        String[] algs = args.length > 2 ? java.util.Arrays.copyOfRange(args, 2, args.length)
                : new String[] {"aes128gcm16", "aes256gcm16", "chacha20poly1305", "aes128-sha256"};
        System.out.printf("java %s, %d-byte plaintext, best of 5 runs of %.1f s after a warm-up run%n", Runtime.version(),
                ptLen, seconds);
        jceBaseline(ptLen, seconds);
        for (String a : algs) {
            measure(EspProposal.parse(a), ptLen, seconds);
        }
    }

    private static void measure(EspProposal p, int ptLen, double seconds) {
        SecureRandom rnd = new SecureRandom();
        byte[] k = new byte[p.encryption().keyMaterialLength()];
        byte[] ik = new byte[p.integrity().keyLength()];
        rnd.nextBytes(k);
        rnd.nextBytes(ik);
        try (EspCipher tx = EspCiphers.create(p.encryption(), k, p.integrity(), ik, rnd);
             EspCipher rx = EspCiphers.create(p.encryption(), k, p.integrity(), ik, rnd)) {
            int aligned = ptLen - ptLen % tx.blockSize();
            byte[] buf = new byte[8 + tx.ivLength() + aligned + tx.icvLength()];
            buf[0] = 1;
            long[] seq = {1};
            ThrowingRunnable seal = () -> sealOne(tx, buf, aligned, seq);
            // open alone: restore one sealed packet (a 1.4 KB copy, included) and open it.
            byte[] sealed = buf.clone();
            long sealedSeq = seq[0];
            int sealedLen = sealOne(tx, sealed, aligned, seq);
            byte[] work = sealed.clone();
            ThrowingRunnable open = () -> {
                System.arraycopy(sealed, 0, work, 0, sealedLen);
                if (rx.open(work, 0, sealedLen, sealedSeq, false) != aligned) {
                    throw new IllegalStateException("open failed");
                }
            };
            ThrowingRunnable both = () -> {
                int len = sealOne(tx, buf, aligned, seq);
                if (rx.open(buf, 0, len, seq[0] - 1, false) != aligned) {
                    throw new IllegalStateException("open failed");
                }
            };
            run(seconds, seal);
            run(seconds, open);
            run(seconds, both);
            double sealRate = best(seconds, seal);
            double openRate = best(seconds, open);
            double bothRate = best(seconds, both);
            System.out.printf("%-18s seal %6.3f GB/s   open %6.3f GB/s   seal+open %6.3f GB/s%n", p,
                    sealRate * aligned / 1e9, openRate * aligned / 1e9, bothRate * aligned / 1e9);
        }
    }

    private static int sealOne(EspCipher tx, byte[] buf, int ptLen, long[] seq) {
        long s = seq[0]++;
        AbstractEspCipher.putInt(buf, 4, (int) s);
        return tx.seal(buf, 0, ptLen, s, false);
    }

    /** The bare JCE: one Cipher, init + updateAAD + doFinal in place per packet. */
    private static void jceBaseline(int ptLen, double seconds) throws Exception {
        byte[] key = new byte[16];
        new SecureRandom().nextBytes(key);
        SecretKeySpec spec = new SecretKeySpec(key, "AES");
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        byte[] buf = new byte[ptLen + 16];
        byte[] aad = new byte[8];
        byte[] nonce = new byte[12];
        long[] n = {1};
        ThrowingRunnable op = () -> {
            long v = n[0]++;
            for (int i = 0; i < 8; i++) {
                nonce[4 + i] = (byte) (v >>> (56 - 8 * i));
            }
            c.init(Cipher.ENCRYPT_MODE, spec, new GCMParameterSpec(128, nonce));
            c.updateAAD(aad, 0, 8);
            c.doFinal(buf, 0, ptLen, buf, 0);
        };
        run(seconds, op);
        double rate = best(seconds, op);
        System.out.printf("%-18s seal %6.3f GB/s   (bare JCE AES-128-GCM, per-packet init)%n", "jce-baseline",
                rate * ptLen / 1e9);
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    /**
     * The best of five runs: on a shared machine the best run is the one least disturbed by
     * other work, so it is the closest to the cost of the code itself.
     */
    private static double best(double seconds, ThrowingRunnable op) {
        double best = 0;
        for (int i = 0; i < 5; i++) {
            best = Math.max(best, run(seconds, op));
        }
        return best;
    }

    /** Operations per second over about {@code seconds}. */
    private static double run(double seconds, ThrowingRunnable op) {
        try {
            long end = System.nanoTime() + (long) (seconds * 1e9);
            long start = System.nanoTime();
            long count = 0;
            long now;
            do {
                for (int i = 0; i < 1000; i++) {
                    op.run();
                }
                count += 1000;
                now = System.nanoTime();
            } while (now < end);
            return count / ((now - start) / 1e9);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
