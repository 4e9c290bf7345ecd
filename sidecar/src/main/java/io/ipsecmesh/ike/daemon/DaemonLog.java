package io.ipsecmesh.ike.daemon;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's log: one line per event, time-stamped when it happens and written by a thread of
 * its own, so that the IKE event loop never waits for a timestamp to be formatted or for a
 * write to the log file. A log line that formats and writes in place costs the engine thread
 * about a millisecond when its code runs seldom (once per handshake: "NAT detected"), which is a
 * third of the initiator's turn between IKE_SA_INIT and IKE_AUTH. Lines keep their order;
 * {@link #flush()} waits until everything logged so far is written (before the process exits).
 */
final class DaemonLog {

    private record Line(Instant at, String text) {
    }

    private final PrintStream out;
    private final LinkedBlockingQueue<Line> queue = new LinkedBlockingQueue<>();
    private final Object written = new Object();
    private long enqueued;
    private long done;

    DaemonLog(PrintStream out) {
        this.out = out;
        Thread writer = Thread.ofPlatform().name("ipsm-log").daemon(true).unstarted(this::write);
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
        }
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
