package io.ipsecmesh.ike.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompilerPriorityTest {

    /** Field 19 of /proc/self/task/TID/stat, after the parenthesised name. */
    private static int niceOf(int tid) throws Exception {
        String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[16]);
    }

    @Test
    void everyCompilerThreadGetsTheNiceValueAndNoOtherThreadDoes() throws Exception {
        int self = Integer.parseInt(Path.of("/proc/thread-self").toRealPath().getFileName().toString());
        int selfBefore = niceOf(self);
        List<Integer> compilers = CompilerPriority.compilerThreads();
        assertFalse(compilers.isEmpty(), "the test JVM runs with a JIT");
        // (nice 1, not CompilerPriority.NICE: it cannot be undone without privilege, and the
        // other tests in this JVM still want their compilations)
        assertEquals(compilers.size(), CompilerPriority.lower(1));
        for (int tid : compilers) {
            assertEquals(1, niceOf(tid), "compiler thread " + tid);
        }
        assertEquals(selfBefore, niceOf(self), "this thread keeps its priority");
    }
}
