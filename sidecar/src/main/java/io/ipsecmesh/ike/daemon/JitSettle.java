package io.ipsecmesh.ike.daemon;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * Lets the JIT finish what the start-up self-test queued before the daemon takes its first
 * datagram. The self-test's handshakes leave C1 and C2 compilations in flight; on a small node
 * (2 vCPUs) those compiler threads would otherwise compete with the first real handshakes, and
 * with the peer, for the CPU. The JVM reports the total time its compilers have spent; when that
 * has not grown for {@code quiet}, the queue is taken as drained.
 *
 * <p>It does not collect the self-test's garbage first ({@code System.gc()}), although that
 * looks tidy: a full collection arms the entry barrier of every compiled method, and the first
 * call of each afterwards takes a slow path through the JVM. The first real handshake then paid
 * for all of them: {@code perf} with the JIT's symbol map put 40 % of our first turn between
 * IKE_SA_INIT and IKE_AUTH in {@code BarrierSetNMethod::nmethod_stub_entry_barrier} and its
 * callees (15 ms against 3.3 ms without the collection). The garbage goes with the next young
 * collection, which arms no barriers.
 */
final class JitSettle {

    private JitSettle() {
    }

    /**
     * Waits until the compilers have been idle for {@code quiet}, at most {@code max}.
     *
     * @return how long it waited, in milliseconds (for the log)
     */
    static long await(Duration quiet, Duration max) throws InterruptedException {
        long t0 = System.nanoTime();
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return (System.nanoTime() - t0) / 1_000_000;
        }
        long deadline = t0 + max.toNanos();
        long last = jit.getTotalCompilationTime();
        long quietSince = System.nanoTime();
        while (System.nanoTime() - quietSince < quiet.toNanos() && System.nanoTime() < deadline) {
            Thread.sleep(10);
            long now = jit.getTotalCompilationTime();
            if (now != last) {
                last = now;
                quietSince = System.nanoTime();
            }
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
