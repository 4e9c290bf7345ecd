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
 */
final class JitSettle {

    private JitSettle() {
    }

    /**
     * Collects the self-test's garbage, then waits until the compilers have been idle for
     * {@code quiet}, at most {@code max}.
     *
     * @return how long it waited, in milliseconds (for the log)
     */
    static long await(Duration quiet, Duration max) throws InterruptedException {
        long t0 = System.nanoTime();
        System.gc();
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
