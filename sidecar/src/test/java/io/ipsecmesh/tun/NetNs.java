package io.ipsecmesh.tun;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A network namespace made for one test ({@code ip netns add ipsmtun-<random>}), deleted by
 * {@link #close()}. {@link #call} runs code on a fresh platform thread that has joined the
 * namespace with setns(2): a TUN or socket opened there belongs to the namespace, and its fd
 * can then be used from any thread. The thread ends afterwards, so nothing else of this JVM
 * ever runs in the namespace.
 */
@SuppressWarnings("restricted")
final class NetNs implements AutoCloseable {
    private static final int CLONE_NEWNET = 0x40000000;
    private static final MethodHandle SETNS = Libc.LINKER.downcallHandle(
            Libc.LINKER.defaultLookup().find("setns").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT),
            Linker.Option.captureCallState("errno"));

    final String name;

    private NetNs(String name) {
        this.name = name;
    }

    static NetNs create() throws IOException, InterruptedException {
        byte[] r = new byte[4];
        new SecureRandom().nextBytes(r);
        String name = "ipsmtun-" + HexFormat.of().formatHex(r);
        run(10, "ip", "netns", "add", name).check();
        return new NetNs(name);
    }

    /** Whether this test process can do what the TUN tests need (root, /dev/net/tun, ip). */
    static boolean available() {
        try {
            return Files.exists(Path.of("/dev/net/tun"))
                    && run(5, "id", "-u").out.strip().equals("0")
                    && run(5, "ip", "-V").code == 0;
        } catch (Exception e) {
            return false;
        }
    }

    /** Runs a command inside the namespace ({@code ip netns exec}). */
    Result exec(int timeoutSeconds, String... cmd) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
        all.addAll(List.of(cmd));
        return run(timeoutSeconds, all.toArray(String[]::new));
    }

    /** {@code ip -n NS <args>}, which must succeed. */
    String ip(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("ip", "-n", name));
        all.addAll(List.of(args));
        return run(10, all.toArray(String[]::new)).check().out;
    }

    /** Runs {@code task} on a new thread inside the namespace and returns its result. */
    <T> T call(Callable<T> task) throws Exception {
        Path nsFile = Path.of("/run/netns", name);
        FutureTask<T> f = new FutureTask<>(() -> {
            try {
                enter(nsFile);
            } catch (Exception | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            return task.call();
        });
        Thread t = Thread.ofPlatform().name("netns-" + name).start(f);
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        } finally {
            t.join(5000);
        }
    }

    private static void enter(Path nsFile) throws Throwable {
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = Libc.newCapture(a);
            fd = (int) Libc.OPEN.invokeExact(cap, a.allocateFrom(nsFile.toString()), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            if (fd < 0) {
                throw Libc.error("open " + nsFile, Libc.errno(cap));
            }
            int r = (int) SETNS.invokeExact(cap, fd, CLONE_NEWNET);
            int errno = Libc.errno(cap);
            Libc.closeQuietly(fd);
            if (r < 0) {
                throw Libc.error("setns " + nsFile, errno);
            }
        }
        // make sure this thread really is in the namespace before doing anything there
        String link = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        Object ino = Files.getAttribute(nsFile, "unix:ino");
        if (!link.equals("net:[" + ino + "]")) {
            throw new IllegalStateException("setns did not take: " + link + " vs inode " + ino);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            run(10, "ip", "netns", "del", name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while deleting netns " + name, e);
        }
    }

    record Result(int code, String out, String cmd) {
        Result check() {
            if (code != 0) {
                throw new IllegalStateException(cmd + " exited " + code + ": " + out);
            }
            return this;
        }
    }

    /** Runs a command, killing it (by its own PID) if it outlives the timeout. */
    static Result run(int timeoutSeconds, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            p.getOutputStream().close();
            FutureTask<String> reader = new FutureTask<>(
                    () -> new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            Thread.ofPlatform().daemon().start(reader);
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
            }
            String out;
            try {
                out = reader.get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                out = "(output unavailable: " + e + ")";
            }
            return new Result(p.exitValue(), out, String.join(" ", cmd));
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
