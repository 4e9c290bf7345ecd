package io.ipsecmesh.tun;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * One queue of a Linux TUN device (layer 3: every read and write is one IP packet), opened
 * through {@link java.lang.foreign} without any native library of our own.
 *
 * <h2>How the kernel does it</h2>
 * {@code open("/dev/net/tun", O_RDWR)} gives an unattached file; the ioctl {@code TUNSETIFF}
 * with a {@code struct ifreq} (40 bytes: {@code char ifr_name[16]}, then {@code short
 * ifr_flags} at offset 16) creates the interface, or attaches to an existing one of that name,
 * with these flags (see {@code Documentation/networking/tuntap.rst} and
 * {@code include/uapi/linux/if_tun.h}):
 * <ul>
 *   <li>{@code IFF_TUN} (0x0001): layer 3, no Ethernet header;</li>
 *   <li>{@code IFF_NO_PI} (0x1000): no 4-byte packet-information prefix;</li>
 *   <li>{@code IFF_MULTI_QUEUE} (0x0100): the device may have several queues, one per open file
 *       attached to the same name; the kernel spreads transmitted flows over the queues by flow
 *       hash, so one worker thread per queue lets several cores work;</li>
 *   <li>{@code IFF_VNET_HDR} (0x4000): every packet read or written is prefixed by a 10-byte
 *       {@code struct virtio_net_hdr} ({@link VirtioNetHdr}), which carries checksum and
 *       segmentation offload state. The kernel only sends partial checksums and GSO
 *       super-packets (up to 64 KiB) after {@link #setOffload(int)} enabled them.</li>
 * </ul>
 * The interface disappears when the last file attached to it is closed (it is not made
 * persistent). It starts down; {@link #configure(String, int, boolean)} sets MTU and
 * {@code IFF_UP}. Opening needs {@code CAP_NET_ADMIN} in the owning user namespace.
 *
 * <h2>Blocking and the GC</h2>
 * The file is opened {@code O_NONBLOCK}. {@link #read} first tries a non-blocking
 * {@code read(2)}; only on {@code EAGAIN} does it wait in {@code poll(2)} (an ordinary downcall,
 * so the thread is "in native" and never holds up a GC safepoint) on the TUN fd and on an
 * {@code eventfd} that {@link #close()} signals. The {@code read}/{@code write} calls
 * themselves can use {@code Linker.Option.critical(true)} to pass the Java array straight to
 * the kernel (no copy through native memory); a critical call delays the GC while it runs,
 * which is fine for a call that cannot block.
 *
 * <h2>Threads</h2>
 * At most one thread may be in {@link #read} and at most one in {@link #write} at a time (each
 * direction has its own native buffer and errno capture); the usual design is one worker
 * thread per queue doing both. {@link #close()} may be called from any thread at any time:
 * a thread blocked in {@link #read} wakes up at once and gets {@code -1}; the descriptors
 * are closed when the last in-flight call has returned. Use platform threads: a virtual
 * thread blocked in {@code poll} pins its carrier.
 */
public final class TunDevice implements AutoCloseable {

    /** ioctl request {@code TUNSETIFF}, {@code _IOW('T', 202, int)}. */
    static final long TUNSETIFF = 0x400454caL;
    /** ioctl request {@code TUNSETOFFLOAD}, {@code _IOW('T', 208, unsigned int)}; the flags are passed by value. */
    static final long TUNSETOFFLOAD = 0x400454d0L;
    /** ioctl request {@code TUNGETVNETHDRSZ}, {@code _IOR('T', 215, int)}. */
    static final long TUNGETVNETHDRSZ = 0x800454d7L;
    /** ioctl request {@code TUNSETVNETLE}, {@code _IOW('T', 220, int)}. */
    static final long TUNSETVNETLE = 0x400454dcL;
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCSIFFLAGS = 0x8914;
    static final long SIOCSIFMTU = 0x8922;
    /** SIOCSIFTXQLEN: set the transmit queue length (packets the kernel queues for our reads). */
    static final long SIOCSIFTXQLEN = 0x8943;

    static final short IFF_UP = 0x1;
    static final short IFF_TUN = 0x0001;
    static final short IFF_MULTI_QUEUE = 0x0100;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_VNET_HDR = 0x4000;
    /** IFNAMSIZ: interface names have at most 15 bytes plus the terminating NUL. */
    static final int IFNAMSIZ = 16;
    /** sizeof(struct ifreq) on 64-bit Linux. */
    static final int IFREQ_SIZE = 40;

    /** TUNSETOFFLOAD: the peer (we) accepts packets with partial checksums ({@code VIRTIO_NET_HDR_F_NEEDS_CSUM}). */
    public static final int TUN_F_CSUM = 0x01;
    /** TUNSETOFFLOAD: accept TCP/IPv4 GSO super-packets (needs {@link #TUN_F_CSUM}). */
    public static final int TUN_F_TSO4 = 0x02;
    /** TUNSETOFFLOAD: accept TCP/IPv6 GSO super-packets (needs {@link #TUN_F_CSUM}). */
    public static final int TUN_F_TSO6 = 0x04;
    /** TUNSETOFFLOAD: accept TSO with the ECN/CWR bit ({@link VirtioNetHdr#GSO_ECN}). */
    public static final int TUN_F_TSO_ECN = 0x08;
    /** TUNSETOFFLOAD: legacy UDP fragmentation offload; the kernel no longer generates it. */
    public static final int TUN_F_UFO = 0x10;
    /** TUNSETOFFLOAD: accept UDP/IPv4 segmentation offload ({@link VirtioNetHdr#GSO_UDP_L4}), Linux 6.2+. */
    public static final int TUN_F_USO4 = 0x20;
    /** TUNSETOFFLOAD: accept UDP/IPv6 segmentation offload ({@link VirtioNetHdr#GSO_UDP_L4}), Linux 6.2+. */
    public static final int TUN_F_USO6 = 0x40;

    /**
     * The largest packet a read can return: a 64 KiB GSO super-packet plus the vnet header.
     * A buffer of this size never truncates.
     */
    public static final int MAX_PACKET = 65535 + VirtioNetHdr.LENGTH;

    /** Whether {@link #read}/{@link #write} pass Java arrays to the kernel directly (critical downcalls). */
    static final boolean DEFAULT_HEAP_ACCESS =
            Boolean.parseBoolean(System.getProperty("ipsecmesh.tun.heapAccess", "true"));

    private static final int CLOSED = 0x8000_0000;

    private final String name;
    private final boolean vnetHdr;
    private final int fd;
    private final int wakeFd;
    private final Arena arena;
    /** Bit 31: closed; bits 0..30: calls in flight that use the descriptors. */
    private final AtomicInteger state = new AtomicInteger();
    private volatile boolean heapAccess = DEFAULT_HEAP_ACCESS;

    // reader-owned
    private final MemorySegment readCapture;
    private final MemorySegment readPoll;
    private final MemorySegment readBuf;
    // writer-owned
    private final MemorySegment writeCapture;
    private final MemorySegment writePoll;
    private final MemorySegment writeBuf;

    private TunDevice(String name, boolean vnetHdr, int fd, int wakeFd, Arena arena) {
        this.name = name;
        this.vnetHdr = vnetHdr;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.arena = arena;
        this.readCapture = Libc.newCapture(arena);
        this.writeCapture = Libc.newCapture(arena);
        this.readPoll = pollSet(arena, fd, Libc.POLLIN, wakeFd);
        this.writePoll = pollSet(arena, fd, Libc.POLLOUT, wakeFd);
        this.readBuf = arena.allocate(MAX_PACKET, 64);
        this.writeBuf = arena.allocate(MAX_PACKET, 64);
    }

    private static MemorySegment pollSet(Arena arena, int fd, short events, int wakeFd) {
        MemorySegment p = arena.allocate(2L * Libc.POLLFD_SIZE, 8);
        p.set(JAVA_INT, 0, fd);
        p.set(JAVA_SHORT, 4, events);
        p.set(JAVA_INT, Libc.POLLFD_SIZE, wakeFd);
        p.set(JAVA_SHORT, Libc.POLLFD_SIZE + 4, Libc.POLLIN);
        return p;
    }

    /**
     * Creates (or attaches to) the single-queue TUN interface {@code name}
     * ({@code IFF_TUN|IFF_NO_PI}, plus {@code IFF_VNET_HDR} if {@code vnetHdr}).
     *
     * @param name interface name, 1..15 bytes; a {@code %d} in it lets the kernel pick a number
     *     (the chosen name is {@link #name()})
     * @param vnetHdr whether every packet carries a 10-byte {@link VirtioNetHdr} prefix
     * @throws IOException with the errno text, e.g.
     *     {@code "TUNSETIFF ipsm0: Operation not permitted (errno 1)"}
     */
    public static TunDevice open(String name, boolean vnetHdr) throws IOException {
        return openOne(name, vnetHdr, false);
    }

    /**
     * Creates the multi-queue TUN interface {@code name} ({@code IFF_MULTI_QUEUE}) with
     * {@code queues} queues, one {@link TunDevice} (one fd) each. The kernel picks a queue for
     * each packet it transmits into the TUN by flow hash, so packets of one flow stay in order on
     * one queue. All queues must be closed for the interface to disappear. On failure, the
     * queues already opened are closed.
     */
    public static List<TunDevice> openQueues(String name, int queues, boolean vnetHdr) throws IOException {
        if (queues < 1) {
            throw new IllegalArgumentException("queues must be >= 1: " + queues);
        }
        List<TunDevice> list = new ArrayList<>(queues);
        try {
            String actual = name;
            for (int i = 0; i < queues; i++) {
                TunDevice q = openOne(actual, vnetHdr, true);
                list.add(q);
                actual = q.name(); // a "%d" template resolves on the first queue
            }
            return List.copyOf(list);
        } catch (IOException | RuntimeException e) {
            for (TunDevice q : list) {
                q.close();
            }
            throw e;
        }
    }

    private static TunDevice openOne(String name, boolean vnetHdr, boolean multiQueue) throws IOException {
        byte[] nameBytes = checkName(name);
        short flags = (short) (IFF_TUN | IFF_NO_PI | (multiQueue ? IFF_MULTI_QUEUE : 0) | (vnetHdr ? IFF_VNET_HDR : 0));
        int fd = -1;
        int wakeFd = -1;
        Arena arena = null;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment capture = Libc.newCapture(tmp);
            fd = (int) Libc.OPEN.invokeExact(capture, tmp.allocateFrom("/dev/net/tun"),
                    Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
            if (fd < 0) {
                throw Libc.error("open /dev/net/tun", Libc.errno(capture));
            }
            MemorySegment ifr = tmp.allocate(IFREQ_SIZE, 8);
            MemorySegment.copy(nameBytes, 0, ifr, JAVA_BYTE, 0, nameBytes.length);
            ifr.set(JAVA_SHORT, IFNAMSIZ, flags);
            if ((int) Libc.IOCTL_PTR.invokeExact(capture, fd, TUNSETIFF, ifr) < 0) {
                throw Libc.error("TUNSETIFF " + name, Libc.errno(capture));
            }
            String actual = ifr.getString(0, StandardCharsets.US_ASCII);
            if (vnetHdr) {
                // The header is in the TUN's configured byte order, host order by default;
                // make it little-endian everywhere so VirtioNetHdr needs one codec.
                MemorySegment one = tmp.allocate(JAVA_INT);
                one.set(JAVA_INT, 0, 1);
                if ((int) Libc.IOCTL_PTR.invokeExact(capture, fd, TUNSETVNETLE, one) < 0) {
                    throw Libc.error("TUNSETVNETLE " + actual, Libc.errno(capture));
                }
                MemorySegment size = tmp.allocate(JAVA_INT);
                if ((int) Libc.IOCTL_PTR.invokeExact(capture, fd, TUNGETVNETHDRSZ, size) < 0) {
                    throw Libc.error("TUNGETVNETHDRSZ " + actual, Libc.errno(capture));
                }
                if (size.get(JAVA_INT, 0) != VirtioNetHdr.LENGTH) {
                    throw new IOException("TUN " + actual + ": vnet header size is "
                            + size.get(JAVA_INT, 0) + ", expected " + VirtioNetHdr.LENGTH);
                }
            }
            wakeFd = (int) Libc.EVENTFD.invokeExact(capture, 0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            if (wakeFd < 0) {
                throw Libc.error("eventfd", Libc.errno(capture));
            }
            arena = Arena.ofShared();
            TunDevice dev = new TunDevice(actual, vnetHdr, fd, wakeFd, arena);
            fd = -1;
            wakeFd = -1;
            arena = null;
            return dev;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        } finally {
            Libc.closeQuietly(fd);
            Libc.closeQuietly(wakeFd);
            if (arena != null) {
                arena.close();
            }
        }
    }

    private static byte[] checkName(String name) {
        Objects.requireNonNull(name, "name");
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        if (b.length == 0 || b.length >= IFNAMSIZ || name.indexOf('/') >= 0 || name.indexOf(' ') >= 0
                || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("bad interface name (1..15 ASCII bytes, no '/' or space): " + name);
        }
        return b;
    }

    /** The interface name, as the kernel reported it back from TUNSETIFF. */
    public String name() {
        return name;
    }

    /** Whether every packet read and written starts with a {@link VirtioNetHdr#LENGTH}-byte virtio_net_hdr. */
    public boolean vnetHdr() {
        return vnetHdr;
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /**
     * Chooses between critical downcalls on the Java array (true, the default unless the system
     * property {@code ipsecmesh.tun.heapAccess=false}) and ordinary downcalls through a native
     * buffer with a copy (false). For measurements.
     */
    void heapAccess(boolean on) {
        this.heapAccess = on;
    }

    /**
     * Reads one packet into {@code buf[off, off+len)}, blocking until one arrives.
     * With {@link #vnetHdr()} the packet starts with the 10-byte header.
     *
     * <p>A packet longer than {@code len} is truncated by the kernel (the rest is lost); a
     * buffer of MTU + 10 bytes suffices without GSO, {@link #MAX_PACKET} always.
     *
     * @return the number of bytes read (the packet length), or {@code -1} if this device is or
     *     becomes closed ({@link #close()} from another thread wakes a blocked read at once)
     * @throws IOException if read(2) or poll(2) fails, e.g. with {@code EBADFD} when the
     *     interface was deleted
     */
    public int read(byte[] buf, int off, int len) throws IOException {
        return read(buf, off, len, true);
    }

    /**
     * Reads one packet if one is queued, without waiting: for draining a burst after a
     * blocking {@link #read} (then flushing a {@link Coalescer} once per burst).
     *
     * @return the packet length as for {@link #read}; {@code 0} if no packet is waiting (the
     *     kernel never queues an empty packet, so 0 is unambiguous); {@code -1} if closed
     */
    public int tryRead(byte[] buf, int off, int len) throws IOException {
        return read(buf, off, len, false);
    }

    private int read(byte[] buf, int off, int len, boolean block) throws IOException {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (!acquire()) {
            return -1;
        }
        try {
            while (true) {
                long n;
                if (heapAccess) {
                    n = (long) Libc.READ_HEAP.invokeExact(readCapture, fd,
                            MemorySegment.ofArray(buf).asSlice(off, len), (long) len);
                } else {
                    int max = Math.min(len, MAX_PACKET);
                    n = (long) Libc.READ.invokeExact(readCapture, fd, readBuf, (long) max);
                    if (n > 0) {
                        MemorySegment.copy(readBuf, JAVA_BYTE, 0, buf, off, (int) n);
                    }
                }
                if (n >= 0) {
                    return (int) n;
                }
                int errno = Libc.errno(readCapture);
                if (errno == Libc.EAGAIN) {
                    if (!block) {
                        return 0;
                    }
                    if (!await(readPoll, readCapture)) {
                        return -1;
                    }
                } else if (errno != Libc.EINTR) {
                    throw Libc.error("read " + name, errno);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        } finally {
            release();
        }
    }

    /**
     * Writes one packet, {@code buf[off, off+len)} (with {@link #vnetHdr()} starting with the
     * 10-byte header), into the kernel as if the interface had received it.
     *
     * @throws ClosedChannelException if this device is closed
     * @throws IOException if write(2) fails (e.g. {@code EINVAL} for a malformed vnet header,
     *     {@code EIO} when the interface is down) or writes fewer bytes than asked
     */
    public void write(byte[] buf, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (len > MAX_PACKET) {
            throw new IOException("write " + name + ": packet of " + len + " bytes exceeds " + MAX_PACKET);
        }
        if (!acquire()) {
            throw new ClosedChannelException();
        }
        try {
            boolean copied = false;
            while (true) {
                long n;
                if (heapAccess) {
                    n = (long) Libc.WRITE_HEAP.invokeExact(writeCapture, fd,
                            MemorySegment.ofArray(buf).asSlice(off, len), (long) len);
                } else {
                    if (!copied) {
                        MemorySegment.copy(buf, off, writeBuf, JAVA_BYTE, 0, len);
                        copied = true;
                    }
                    n = (long) Libc.WRITE.invokeExact(writeCapture, fd, writeBuf, (long) len);
                }
                if (n == len) {
                    return;
                }
                if (n >= 0) {
                    throw new IOException("write " + name + ": short write " + n + " of " + len);
                }
                int errno = Libc.errno(writeCapture);
                if (errno == Libc.EAGAIN) {
                    if (!await(writePoll, writeCapture)) {
                        throw new ClosedChannelException();
                    }
                } else if (errno != Libc.EINTR) {
                    throw Libc.error("write " + name, errno);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        } finally {
            release();
        }
    }

    /**
     * Waits in poll(2) until the TUN fd is ready or close() signals the eventfd.
     *
     * @return false if the device was closed
     */
    private boolean await(MemorySegment pollSet, MemorySegment capture) throws Throwable {
        while (true) {
            if ((state.get() & CLOSED) != 0) {
                return false;
            }
            int r = (int) Libc.POLL.invokeExact(capture, pollSet, 2L, -1);
            if (r < 0) {
                int errno = Libc.errno(capture);
                if (errno == Libc.EINTR) {
                    continue;
                }
                throw Libc.error("poll " + name, errno);
            }
            short wake = pollSet.get(JAVA_SHORT, Libc.POLLFD_SIZE + 6);
            if (wake != 0 || (state.get() & CLOSED) != 0) {
                return false;
            }
            short rev = pollSet.get(JAVA_SHORT, 6);
            if ((rev & Libc.POLLNVAL) != 0) {
                throw new IOException("poll " + name + ": descriptor not open (POLLNVAL)");
            }
            // POLLIN/POLLOUT, or POLLERR/POLLHUP: retry the call, which reports the error
            return true;
        }
    }

    /**
     * Sets the offloads the kernel may use for packets it sends us (ioctl {@code TUNSETOFFLOAD}
     * with the {@code TUN_F_*} flags by value): with {@link #TUN_F_CSUM} it may send partial
     * checksums, with {@link #TUN_F_TSO4}/{@link #TUN_F_TSO6}/{@link #TUN_F_USO4}/{@link #TUN_F_USO6}
     * GSO super-packets that {@link Gso} splits. Needs {@link #vnetHdr()}. The setting is per
     * interface (all queues). Packets we write may use GSO regardless of these flags.
     */
    public void setOffload(int flags) throws IOException {
        if (!vnetHdr) {
            throw new IllegalStateException("TUNSETOFFLOAD needs IFF_VNET_HDR: " + name);
        }
        if (!acquire()) {
            throw new ClosedChannelException();
        }
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment capture = Libc.newCapture(tmp);
            if ((int) Libc.IOCTL_LONG.invokeExact(capture, fd, TUNSETOFFLOAD, (long) flags) < 0) {
                throw Libc.error("TUNSETOFFLOAD " + name + " 0x" + Integer.toHexString(flags), Libc.errno(capture));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        } finally {
            release();
        }
    }

    /**
     * Sets the interface's transmit queue length: how many packets the kernel queues for our
     * reads before it drops (a TUN drops when its readers fall behind; TCP then backs off).
     */
    public static void setTxQueueLength(String name, int packets) throws IOException {
        if (packets <= 0) {
            throw new IllegalArgumentException("queue length must be positive: " + packets);
        }
        ifreqIoctl(name, (capture, sock, ifr) -> {
            ifr.set(JAVA_INT, IFNAMSIZ, packets); // ifr_qlen
            if ((int) Libc.IOCTL_PTR.invokeExact(capture, sock, SIOCSIFTXQLEN, ifr) < 0) {
                throw Libc.error("SIOCSIFTXQLEN " + name + " " + packets, Libc.errno(capture));
            }
        });
    }

    /**
     * Sets the MTU of interface {@code name} ({@code SIOCSIFMTU}) and turns it up or down
     * ({@code SIOCGIFFLAGS}, then {@code SIOCSIFFLAGS} with {@code IFF_UP} set or cleared),
     * through ioctls on an {@code AF_INET}/{@code SOCK_DGRAM} socket, as {@code ip link set}
     * would, in the network namespace of the calling thread. Needs {@code CAP_NET_ADMIN}.
     *
     * @param mtu the new MTU (68..65535 for IPv4; IPv6 needs at least 1280), or 0 to leave it
     */
    public static void configure(String name, int mtu, boolean up) throws IOException {
        if (mtu < 0 || mtu > 65535) {
            throw new IllegalArgumentException("mtu out of range: " + mtu);
        }
        ifreqIoctl(name, (capture, sock, ifr) -> {
            if (mtu > 0) {
                ifr.set(JAVA_INT, IFNAMSIZ, mtu); // ifr_mtu
                if ((int) Libc.IOCTL_PTR.invokeExact(capture, sock, SIOCSIFMTU, ifr) < 0) {
                    throw Libc.error("SIOCSIFMTU " + name + " " + mtu, Libc.errno(capture));
                }
            }
            ifr.set(JAVA_LONG, IFNAMSIZ, 0L);
            if ((int) Libc.IOCTL_PTR.invokeExact(capture, sock, SIOCGIFFLAGS, ifr) < 0) {
                throw Libc.error("SIOCGIFFLAGS " + name, Libc.errno(capture));
            }
            short flags = ifr.get(JAVA_SHORT, IFNAMSIZ); // ifr_flags
            short wanted = (short) (up ? (flags | IFF_UP) : (flags & ~IFF_UP));
            if (wanted != flags) {
                ifr.set(JAVA_SHORT, IFNAMSIZ, wanted);
                if ((int) Libc.IOCTL_PTR.invokeExact(capture, sock, SIOCSIFFLAGS, ifr) < 0) {
                    throw Libc.error("SIOCSIFFLAGS " + name + (up ? " up" : " down"), Libc.errno(capture));
                }
            }
        });
    }

    /** One interface ioctl: gets the errno capture, an AF_INET socket and a zeroed ifreq naming the interface. */
    @FunctionalInterface
    private interface IfreqOp {
        void apply(MemorySegment capture, int sock, MemorySegment ifr) throws Throwable;
    }

    /** Runs {@code op} with a datagram socket and an ifreq for {@code name}, and closes the socket. */
    private static void ifreqIoctl(String name, IfreqOp op) throws IOException {
        byte[] nameBytes = checkName(name);
        int sock = -1;
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment capture = Libc.newCapture(tmp);
            sock = (int) Libc.SOCKET.invokeExact(capture, Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
            if (sock < 0) {
                throw Libc.error("socket AF_INET", Libc.errno(capture));
            }
            MemorySegment ifr = tmp.allocate(IFREQ_SIZE, 8);
            MemorySegment.copy(nameBytes, 0, ifr, JAVA_BYTE, 0, nameBytes.length);
            op.apply(capture, sock, ifr);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.rethrow(t);
        } finally {
            Libc.closeQuietly(sock);
        }
    }

    /**
     * Closes this queue. Idempotent and callable from any thread: a thread blocked in
     * {@link #read} returns {@code -1} promptly, later reads return {@code -1}, later writes
     * throw {@link ClosedChannelException}. The fds are closed (and, with the last queue, the
     * interface removed) as soon as no call is in flight: at once if none is, otherwise when the
     * woken call returns.
     */
    @Override
    public void close() {
        int s;
        do {
            s = state.get();
            if ((s & CLOSED) != 0) {
                return;
            }
        } while (!state.compareAndSet(s, (s + 1) | CLOSED)); // hold a reference while signalling
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment one = tmp.allocate(JAVA_LONG);
            one.set(JAVA_LONG, 0, 1L);
            long unused = (long) Libc.WRITE.invokeExact(Libc.newCapture(tmp), wakeFd, one, 8L);
        } catch (Throwable ignored) {
            // the eventfd counter cannot overflow with one write; nothing else can fail here
        } finally {
            release();
        }
    }

    private boolean acquire() {
        while (true) {
            int s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    private void release() {
        if (state.decrementAndGet() == CLOSED) {
            Libc.closeQuietly(fd);
            Libc.closeQuietly(wakeFd);
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "TunDevice[" + name + (vnetHdr ? ", vnet_hdr" : "") + (isClosed() ? ", closed" : "") + "]";
    }
}
