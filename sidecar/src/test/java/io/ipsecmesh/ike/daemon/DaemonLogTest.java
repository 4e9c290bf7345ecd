package io.ipsecmesh.ike.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class DaemonLogTest {

    @Test
    void linesFromSeveralThreadsAreAllWrittenInTheirOrderWithTheTimeTheyWereLogged() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DaemonLog log = new DaemonLog(new PrintStream(bytes, false, StandardCharsets.UTF_8));
        Instant before = Instant.now();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = List.of(0, 1, 2).stream().map(t -> Thread.ofPlatform().start(() -> {
            try {
                go.await();
            } catch (InterruptedException e) {
                return;
            }
            for (int i = 0; i < 2000; i++) {
                log.log("thread " + t + " line " + i);
            }
        })).toList();
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        log.flush(10_000);
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(6000, lines.length);
        int[] next = new int[3];
        Instant last = before;
        for (String line : lines) {
            String[] f = line.split(" ");
            Instant at = Instant.parse(f[0]);
            assertTrue(!at.isBefore(before), line);
            int t = Integer.parseInt(f[2]);
            assertEquals(next[t]++, Integer.parseInt(f[4]), "lines of one thread keep their order: " + line);
            last = at;
        }
        assertTrue(!last.isAfter(Instant.now()));
    }

    @Test
    void linesLoggedTogetherAreWrittenInOneBatch() throws Exception {
        CountingStream sink = new CountingStream();
        DaemonLog log = new DaemonLog(new PrintStream(sink, false, StandardCharsets.UTF_8), 300);
        log.log("initiating");
        log.log("NAT detected");
        log.log("established");
        Thread.sleep(100);
        assertEquals(0, sink.flushes, "nothing is written before the batch time is up");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (sink.flushes == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, sink.flushes, "three lines, one write");
        assertEquals(3, sink.toString(StandardCharsets.UTF_8).split("\n").length);
    }

    @Test
    void flushDoesNotWaitOutTheBatchTime() {
        CountingStream sink = new CountingStream();
        DaemonLog log = new DaemonLog(new PrintStream(sink, false, StandardCharsets.UTF_8), 60_000);
        log.log("last words");
        log.flush(30_000);
        assertTrue(sink.toString(StandardCharsets.UTF_8).endsWith(" last words\n"), sink.toString());
        log.log("after the flush");
        log.flush(30_000);
        assertEquals(2, sink.toString(StandardCharsets.UTF_8).split("\n").length);
    }

    /** Counts flushes: the log flushes once per batch it writes. */
    private static final class CountingStream extends ByteArrayOutputStream {
        volatile int flushes;

        @Override
        public synchronized void flush() {
            flushes++;
        }
    }

    @Test
    void flushReturnsAtOnceWhenNothingIsPending() {
        DaemonLog log = new DaemonLog(new PrintStream(new ByteArrayOutputStream()));
        long t = System.nanoTime();
        log.flush(5_000);
        assertTrue(System.nanoTime() - t < 4_000_000_000L);
    }
}
