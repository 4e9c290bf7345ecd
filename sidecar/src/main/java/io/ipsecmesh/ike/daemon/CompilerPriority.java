package io.ipsecmesh.ike.daemon;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Lowers the CPU priority of the JVM's JIT compiler threads, so that on a small node the IKE
 * event loop, the data plane and the peer's daemon get the CPU first and compilations use what
 * is left.
 *
 * <p>Why: on 2 vCPUs a C2 compilation triggered by the first real handshakes (code paths the
 * start-up self-test does not take) preempted the event loop for 3.3 ms in the middle of our
 * turn between IKE_SA_INIT and IKE_AUTH, while charon worked on the other CPU ({@code perf}
 * with the scheduler's context switches; docs/benchmarks.md). At nice 10 a compiler thread
 * weighs about a tenth of a normal one when both want a CPU, and runs as before when a CPU is
 * idle.
 *
 * <p>How: Linux schedules every Java thread as a task of its own, named in
 * {@code /proc/self/task/TID/comm} ("C1 CompilerThre", "C2 CompilerThre", the name cut to 15
 * bytes); {@code setpriority(PRIO_PROCESS, TID, nice)} changes one task. Raising a nice value
 * needs no privilege. The JVM's own way ({@code -XX:ThreadPriorityPolicy=1
 * -XX:CompilerThreadPriority=10}) would have to be on every command line that starts the daemon.
 * Compiler threads the JVM adds later during a burst of compilations (on nodes with more CPUs;
 * it keeps one of each kind on 2 vCPUs) start at the normal priority.
 */
final class CompilerPriority {

    /** The nice value the daemon gives its compiler threads. */
    static final int NICE = 10;

    private static final int PRIO_PROCESS = 0;

    private CompilerPriority() {
    }

    /**
     * Sets the nice value of every JIT compiler thread alive now.
     *
     * @return how many threads were changed (0 without compiler threads, as with -Xint)
     * @throws IOException when a thread's priority could not be set
     */
    static int lower(int nice) throws IOException {
        List<Integer> tids = compilerThreads();
        for (int tid : tids) {
            int rc;
            try {
                rc = (int) Setpriority.HANDLE.invokeExact(PRIO_PROCESS, tid, nice);
            } catch (Throwable t) {
                throw new IOException("setpriority failed for thread " + tid, t);
            }
            if (rc != 0) {
                throw new IOException("setpriority(" + tid + ", " + nice + ") returned " + rc);
            }
        }
        return tids.size();
    }

    /** The task IDs of the JVM's JIT compiler threads. */
    static List<Integer> compilerThreads() throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            return tasks.filter(t -> isCompiler(comm(t)))
                    .map(t -> Integer.valueOf(t.getFileName().toString()))
                    .toList();
        }
    }

    private static boolean isCompiler(String comm) {
        return comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre");
    }

    private static String comm(Path task) {
        try {
            return Files.readString(task.resolve("comm")).strip();
        } catch (IOException e) {
            return ""; // the thread has ended
        }
    }

    /** {@code int setpriority(int which, id_t who, int prio)}, linked on first use. */
    private static final class Setpriority {
        @SuppressWarnings("restricted")
        static final MethodHandle HANDLE = Linker.nativeLinker().downcallHandle(
                Linker.nativeLinker().defaultLookup().find("setpriority")
                        .orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: setpriority")),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }
}
