package io.ipsecmesh.tun;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The few glibc functions the TUN code needs, as {@link java.lang.foreign} downcall handles.
 *
 * <p>Every handle that can fail is linked with {@code Linker.Option.captureCallState("errno")}:
 * its first argument is then a segment of {@link #CAPTURE_LAYOUT} into which the linker copies
 * {@code errno} right after the call (reading {@code errno} later from Java would be unreliable:
 * the JVM itself makes libc calls in between). {@link #errno(MemorySegment)} reads it back.
 *
 * <p>{@code open(2)} and {@code ioctl(2)} are variadic C functions: they are linked with
 * {@code Linker.Option.firstVariadicArg(2)} and one handle per argument type, as the System V
 * ABI passes variadic arguments differently (for example {@code %al} holds the number of vector
 * registers used). The ioctl request is an {@code unsigned long}, so it is passed as a Java
 * {@code long}.
 *
 * <p>{@link #READ_HEAP} and {@link #WRITE_HEAP} are linked with
 * {@code Linker.Option.critical(true)}: they may be passed heap segments
 * ({@code MemorySegment.ofArray}) and the JVM does not copy, but it also does not let the GC run
 * during the call. They are therefore only used on non-blocking descriptors (a TUN read or write
 * of one packet on an {@code O_NONBLOCK} fd takes about a microsecond); every call that may
 * block ({@link #POLL}) is a normal downcall, during which the thread is "in native" and the GC
 * proceeds.
 *
 * <p>Constants are the Linux values shared by x86-64 and arm64 (asm-generic); other
 * architectures (MIPS, SPARC, Alpha, PowerPC for some) differ and are not supported.
 */
final class Libc {
    private Libc() {}

    // fcntl.h / asm-generic
    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;       // 04000
    static final int O_CLOEXEC = 0x80000;      // 02000000
    // errno.h
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    // poll.h
    static final short POLLIN = 0x1;
    static final short POLLOUT = 0x4;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    static final short POLLNVAL = 0x20;
    /** struct pollfd { int fd; short events; short revents; } */
    static final int POLLFD_SIZE = 8;
    // sys/eventfd.h
    static final int EFD_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;
    // sys/socket.h
    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;

    static final Linker LINKER = Linker.nativeLinker();
    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** {@code int open(const char *path, int flags, ... mode_t mode)}; args (capture, path, flags, mode). */
    static final MethodHandle OPEN = link("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    /** {@code int close(int fd)}; args (capture, fd). */
    static final MethodHandle CLOSE = link("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    /** {@code ssize_t read(int fd, void *buf, size_t n)} on native memory; args (capture, fd, buf, n). */
    static final MethodHandle READ = link("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE_ERRNO);
    /** {@code ssize_t write(int fd, const void *buf, size_t n)} on native memory; args (capture, fd, buf, n). */
    static final MethodHandle WRITE = link("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CAPTURE_ERRNO);
    /** As {@link #READ}, critical with heap access: for non-blocking fds only. */
    static final MethodHandle READ_HEAP = link("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
            CAPTURE_ERRNO, Linker.Option.critical(true));
    /** As {@link #WRITE}, critical with heap access: for non-blocking fds only. */
    static final MethodHandle WRITE_HEAP = link("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
            CAPTURE_ERRNO, Linker.Option.critical(true));
    /** {@code int ioctl(int fd, unsigned long req, void *arg)}; args (capture, fd, req, arg). */
    static final MethodHandle IOCTL_PTR = link("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
            CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    /** {@code int ioctl(int fd, unsigned long req, unsigned long arg)}; args (capture, fd, req, arg). */
    static final MethodHandle IOCTL_LONG = link("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG),
            CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    /** {@code int poll(struct pollfd *fds, nfds_t n, int timeoutMs)}; args (capture, fds, n, timeout). */
    static final MethodHandle POLL = link("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), CAPTURE_ERRNO);
    /** {@code int eventfd(unsigned int initval, int flags)}; args (capture, initval, flags). */
    static final MethodHandle EVENTFD = link("eventfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    /** {@code int socket(int domain, int type, int protocol)}; args (capture, domain, type, protocol). */
    static final MethodHandle SOCKET = link("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), CAPTURE_ERRNO);
    /** {@code char *strerror(int errnum)}. */
    private static final MethodHandle STRERROR = link("strerror",
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    @SuppressWarnings("restricted")
    private static MethodHandle link(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: " + name));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    /** A new capture segment for one thread's use. */
    static MemorySegment newCapture(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /** The errno the linker captured into {@code capture} during the last call that used it. */
    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    /** The C library's text for an errno value, e.g. "Operation not permitted". */
    @SuppressWarnings("restricted")
    static String strerror(int errno) {
        try {
            MemorySegment p = (MemorySegment) STRERROR.invokeExact(errno);
            if (p.equals(MemorySegment.NULL)) {
                return "Unknown error " + errno;
            }
            return p.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "Unknown error " + errno;
        }
    }

    /** An IOException saying {@code "<what>: <strerror> (errno <n>)"}. */
    static IOException error(String what, int errno) {
        return new IOException(what + ": " + strerror(errno) + " (errno " + errno + ")");
    }

    /** close(2), ignoring errors (used on cleanup paths). */
    static void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            int unused = (int) CLOSE.invokeExact(newCapture(arena), fd);
        } catch (Throwable ignored) {
            // nothing useful to do on a cleanup path
        }
    }

    /** Rethrows what a downcall handle threw: downcalls throw no checked exceptions of their own. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected exception from a downcall", t);
    }
}
