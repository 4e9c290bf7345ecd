package io.ipsecmesh.ike.daemon;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The daemon's log: one line per event, time-stamped when it happens and written by a thread of
 * its own, so that the IKE event loop never waits for a timestamp to be formatted or for a
 * write to the log file. A log line that formats and writes in place costs the engine thread
 * about a millisecond when its code runs seldom (once per handshake: "NAT detected"), which is a
 * third of the initiator's turn between IKE_SA_INIT and IKE_AUTH. Lines keep their order;
 * {@link #flush(long)} waits until everything logged so far is written (before the process exits).
 *
 * <p>The writer collects lines for a short while ({@link #BATCH_MS}) after the first one and
 * writes them with one system call. A handshake logs three or four lines within a few
 * milliseconds; writing each at once woke the writer while the peer was computing its answer,
 * and on a node with two CPUs that took 0.3-0.6 ms of CPU from it (measured with
 * {@code perf sched} against charon on one machine). Batches also keep the number of writes
 * down when thousands of SAs rekey.
 */
final class DaemonLog {

    private record Line(Instant at, String text) {
    }

    /** How long the writer collects lines after the first before writing them. */
    static final long BATCH_MS = 50;

    private final PrintStream out;
    private final long batchNanos;
    /** Lines up to this count are wanted now: {@link #flush(long)} ends the batch wait. */
    private volatile long flushUpTo;
    private final Thread writer;
    private final LinkedBlockingQueue<Line> queue = new LinkedBlockingQueue<>();
    private final Object written = new Object();
    private long enqueued;
    private long done;

    DaemonLog(PrintStream out) {
        this(out, BATCH_MS);
    }

    DaemonLog(PrintStream out, long batchMs) {
        this.out = out;
        this.batchNanos = TimeUnit.MILLISECONDS.toNanos(batchMs);
        writer = Thread.ofPlatform().name("ipsm-log").daemon(true).unstarted(this::write);
        writer.setPriority(Thread.MIN_PRIORITY);
        writer.start();
    }

    /** Logs one line, stamped now. Any thread; never blocks on I/O. */
    void log(String text) {
        synchronized (written) {
            enqueued++;
        }
        queue.add(new Line(Instant.now(), text));
    }

    /** Waits (at most {@code timeoutMs}) until every line logged before this call is written. */
    void flush(long timeoutMs) {
        long target;
        synchronized (written) {
            target = enqueued;
            flushUpTo = Math.max(flushUpTo, target);
        }
        LockSupport.unpark(writer);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (written) {
            while (done < target) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return;
                }
                try {
                    written.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void write() {
        List<Line> batch = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        while (true) {
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                return;
            }
            long until = System.nanoTime() + batchNanos;
            // (done is only written by this thread)
            for (long left = batchNanos; left > 0 && flushUpTo <= done; left = until - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
            queue.drainTo(batch);
            for (Line l : batch) {
                sb.append(l.at()).append(' ').append(l.text()).append('\n');
            }
            out.print(sb);
            out.flush();
            sb.setLength(0);
            synchronized (written) {
                done += batch.size();
                written.notifyAll();
            }
            batch.clear();
        }
    }
}
