package io.ipsecmesh.ike.engine;

import io.ipsecmesh.dataplane.DataPlane;
import io.ipsecmesh.ike.ExchangeType;
import io.ipsecmesh.ike.IdPayload;
import io.ipsecmesh.ike.IkeHeader;
import io.ipsecmesh.ike.IkeMessage;
import io.ipsecmesh.ike.IkeParseException;
import io.ipsecmesh.ike.IkePayload;
import io.ipsecmesh.ike.PayloadType;
import io.ipsecmesh.ike.cert.IkeIdentity;
import io.ipsecmesh.packet.PacketInfo;
import io.ipsecmesh.sa.SaListener;
import io.ipsecmesh.sa.SecurityAssociation;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Selector;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The IKE engine: one thread that owns every IKE SA, as strongSwan's charon checks SAs out of
 * its manager, but without locks. Datagrams, timers (retransmission, liveness, rekeying) and
 * requests from other threads are all events on that thread's loop, so thousands of SAs cost
 * no thread each. The data plane is driven through {@link DataPlane} only.
 */
public final class IkeEngine implements AutoCloseable {

    public static final int IKE_PORT = 500;
    public static final int NATT_PORT = 4500;

    /** A configured connection with what it needs at run time. */
    public record Connection(IkeConfig.Conn conn, Authenticator authenticator, IkeIdentity localId,
                             IkeIdentity remoteId) {
    }

    /** Where IKE datagrams go (UDP sockets in the daemon; a wire in memory in tests). */
    public interface Transport {
        /** Sends one IKE message (without the non-ESP marker; the transport adds it on 4500). */
        void send(InetSocketAddress from, InetSocketAddress to, byte[] message);
    }

    /** A scheduled action on the engine thread. */
    public static final class Timer implements Comparable<Timer> {
        final long due;
        final long seq;
        final Runnable action;
        boolean cancelled;

        Timer(long due, long seq, Runnable action) {
            this.due = due;
            this.seq = seq;
            this.action = action;
        }

        public void cancel() {
            cancelled = true;
        }

        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(due, o.due);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final List<Connection> connections;
    private final DataPlane dataPlane;
    private final SecureRandom random;
    private final Consumer<String> log;
    private final KeyLog keyLog;
    private final Selector selector;
    private Transport transport;

    private final Map<Long, IkeSa> byLocalSpi = new HashMap<>();
    private final Map<String, IkeSa> halfOpen = new HashMap<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
    private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
    private final byte[] cookieSecret;
    private long timerSeq;
    private int uniqueIds;
    private volatile boolean running;
    private Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** Half-open SAs above which IKE_SA_INIT must carry a COOKIE (§2.6), and the hard limit. */
    private int cookieThreshold = 256;
    private int halfOpenLimit = 4096;
    private long rekeyedInboundGraceMs = 5000;
    private static final long HALF_OPEN_TIMEOUT_MS = 30_000;

    public IkeEngine(List<Connection> connections, DataPlane dataPlane, SecureRandom random, Consumer<String> log,
                     KeyLog keyLog) throws IOException {
        this.connections = List.copyOf(connections);
        this.dataPlane = dataPlane;
        this.random = random;
        this.log = log;
        this.keyLog = keyLog == null ? KeyLog.NONE : keyLog;
        this.selector = Selector.open();
        this.cookieSecret = new byte[32];
        random.nextBytes(cookieSecret);
        dataPlane.setListener(new DataPlaneEvents());
    }

    /** Builds the run-time connection (authenticator, identities) from its config. */
    public static Connection connection(IkeConfig.Conn conn) throws IOException {
        Authenticator auth = conn.auth() == IkeConfig.AuthMethod.PSK ? new PskAuthenticator(conn.psk())
                : CertAuthenticator.load(conn);
        return new Connection(conn, auth, IkeIdentity.parse(conn.localId()), IkeIdentity.parse(conn.remoteId()));
    }

    public Selector selector() {
        return selector;
    }

    public void setTransport(Transport transport) {
        this.transport = transport;
    }

    public void setCookieThreshold(int halfOpen) {
        this.cookieThreshold = halfOpen;
    }

    public void setHalfOpenLimit(int limit) {
        this.halfOpenLimit = limit;
    }

    // ------------------------------------------------------------------ the loop

    /**
     * Starts the engine thread, installs the trap policies of {@code start trap} connections and
     * initiates every connection with {@code start yes}.
     */
    public void start() {
        running = true;
        thread = Thread.ofPlatform().name("ike").start(this::loop);
        execute(() -> {
            for (Connection c : connections) {
                if (c.conn().trap()) {
                    installTraps(c);
                }
                if (c.conn().start()) {
                    initiate(c);
                }
            }
        });
    }

    // ------------------------------------------------------------------ trap policies

    /**
     * The SA name trap policies point at (followed by "conn/child"). No SA of that name ever
     * exists, so a packet that matches one is dropped and raises an acquire (RFC 4301 §5.1:
     * a PROTECT entry without an SA).
     */
    static final String TRAP = "trap/";
    /** Below a CHILD_SA's own policies, which win as long as the pair is up. */
    static final int TRAP_PRIORITY = io.ipsecmesh.sa.Policy.DEFAULT_PRIORITY + 1;

    /**
     * Protect policies for each child's selectors, both ways, with no SA behind them: until
     * (and whenever not) a CHILD_SA covers the traffic, outbound packets start the negotiation
     * and are dropped, and plaintext from the peer is dropped. Nothing passes in the clear.
     */
    private void installTraps(Connection c) {
        List<io.ipsecmesh.sa.Policy> traps = new ArrayList<>();
        for (IkeConfig.Child child : c.conn().children()) {
            String name = TRAP + c.conn().name() + "/" + child.name();
            var local = Selectors.orHost(child.localTs(), c.conn().local());
            var remote = Selectors.orHost(child.remoteTs(), c.conn().remote());
            for (var dir : io.ipsecmesh.sa.Direction.values()) {
                traps.addAll(ChildSa.protect(dir, ChildSa.selectors(dir, local, remote), name, TRAP_PRIORITY));
            }
            log("trap installed for " + c.conn().name() + "/" + child.name() + ": " + Selectors.format(local)
                    + " === " + Selectors.format(remote));
        }
        dataPlane.update(List.of(), traps, List.of(), List.of());
    }

    /** Trap names with an acquire handed to the engine in the last second (workers' side). */
    private final java.util.Set<String> acquiring = ConcurrentHashMap.newKeySet();

    /**
     * A packet hit a trap: negotiate what covers it. At most one acquire per trap and second
     * reaches the engine thread, whatever the packet rate.
     */
    private void acquire(String trap) {
        if (trap == null || !trap.startsWith(TRAP) || !acquiring.add(trap)) {
            return;
        }
        execute(() -> {
            schedule(1000, () -> acquiring.remove(trap));
            for (Connection c : connections) {
                for (IkeConfig.Child child : c.conn().children()) {
                    if (trap.equals(TRAP + c.conn().name() + "/" + child.name())) {
                        acquired(c, child);
                    }
                }
            }
        });
    }

    private void acquired(Connection c, IkeConfig.Child child) {
        count("acquires");
        IkeSa up = byLocalSpi.values().stream().filter(s -> s.connection == c && s.state == IkeSa.State.ESTABLISHED)
                .findFirst().orElse(null);
        if (up == null) {
            if (!connecting(c)) {
                log(c.conn().name() + " acquire for child " + child.name() + ": initiating");
                initiate(c);
            }
            return;
        }
        boolean covered = up.children.stream().anyMatch(k -> k.config == child && k.state != ChildSa.State.REDUNDANT
                && k.state != ChildSa.State.DELETING && k.state != ChildSa.State.DELETED);
        if (!covered && !up.hasQueued(ChildCreateTask.class)) {
            log(up.name() + " acquire for child " + child.name() + ": creating it");
            up.queue(new ChildCreateTask(child, null));
        }
    }

    /**
     * Whether the engine thread is in (or about to enter) {@code select}: only then does a new
     * inbox entry need a wake-up, which is a system call. A busy engine gets events handed
     * over for the price of a queue insert.
     */
    private final java.util.concurrent.atomic.AtomicBoolean selecting = new java.util.concurrent.atomic.AtomicBoolean();

    /** Runs an action on the engine thread. */
    public void execute(Runnable r) {
        inbox.add(r);
        if (selecting.get()) {
            selector.wakeup();
        }
    }

    private void loop() {
        try {
            while (running) {
                // One snapshot of data-plane changes per batch of events (send() publishes
                // earlier, before a message can make the peer use a new SA).
                dataPlane.hold();
                Timer t;
                try {
                    Runnable r;
                    while ((r = inbox.poll()) != null) {
                        safely(r);
                    }
                    long now = System.nanoTime();
                    while ((t = timers.peek()) != null && t.due <= now) {
                        timers.poll();
                        if (!t.cancelled) {
                            safely(t.action);
                        }
                    }
                } finally {
                    dataPlane.release();
                }
                if (!running) {
                    break; // close() ran: no select, which would wait out its timeout
                }
                long waitMs = 1000;
                t = timers.peek();
                if (t != null) {
                    waitMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(t.due - System.nanoTime()) + 1);
                }
                // Announce the select before the last look at the inbox: an entry added after
                // that look sees the flag and wakes us (a wake-up before select counts too).
                selecting.set(true);
                if (!inbox.isEmpty()) {
                    selecting.set(false);
                    continue;
                }
                selector.select(Math.min(waitMs, 1000));
                selecting.set(false);
                dataPlane.hold();
                try {
                    for (var key : selector.selectedKeys()) {
                        if (key.attachment() instanceof Runnable ready) {
                            safely(ready);
                        }
                    }
                } finally {
                    dataPlane.release();
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            log("IKE engine stopped: " + e.getMessage());
        } catch (java.nio.channels.ClosedSelectorException e) {
            log("IKE engine stopped: closed before its loop ended");
        } finally {
            stopped.countDown();
        }
    }

    /** No exception escapes into the loop: it is counted and logged, and the loop goes on. */
    private void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            count("internal_error");
            log("internal error: " + e);
        }
    }

    /**
     * How long clean-up that can wait (the spent DH key's destroy) is put off: past the peer's
     * answer to the message just sent, so that it does not take CPU from the peer on a small node.
     */
    static final long LATER_MS = 50;

    /** Runs {@code r} on the engine thread {@link #LATER_MS} from now (engine thread only). */
    void later(Runnable r) {
        schedule(LATER_MS, r);
    }

    public Timer schedule(long delayMs, Runnable action) {
        Timer t = new Timer(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs), timerSeq++, action);
        timers.add(t);
        return t;
    }

    // ------------------------------------------------------------------ receiving

    /**
     * One IKE message (non-ESP marker already removed) that arrived from {@code from} at our
     * {@code to}. Engine thread only.
     */
    public void receive(byte[] datagram, InetSocketAddress from, InetSocketAddress to) {
        IkeMessage outer;
        try {
            outer = IkeMessage.decode(datagram);
        } catch (IkeParseException e) {
            count("malformed");
            if (datagram.length > 16 && (datagram[16] & 0xff) == PayloadType.ENCRYPTED_FRAGMENT.value()) {
                count("fragments_dropped"); // e.g. Fragment Number 0 or above Total Fragments (RFC 7383 §2.6)
            }
            return;
        }
        IkeHeader h = outer.header();
        if (h.exchange().orElse(null) == ExchangeType.IKE_SA_INIT && !h.isResponse()) {
            if (h.responderSpi() != 0 || h.messageId() != 0 || !h.isInitiator()) {
                count("malformed");
                return;
            }
            String key = halfOpenKey(h.initiatorSpi(), from);
            IkeSa existing = halfOpen.get(key);
            if (existing != null) {
                existing.receive(outer, datagram, from, to);
                return;
            }
            Connection c = connectionFor(to.getAddress(), from.getAddress());
            if (c == null) {
                count("no_connection");
                return;
            }
            if (halfOpen.size() >= halfOpenLimit) {
                count("half_open_limit");
                return;
            }
            IkeSa sa = IkeInitTask.respond(this, c, outer, datagram, from, to);
            if (sa != null) {
                halfOpen.put(key, sa);
                schedule(HALF_OPEN_TIMEOUT_MS, () -> {
                    if (sa.state == IkeSa.State.CONNECTING) {
                        destroy(sa, "IKE_AUTH never came");
                    }
                });
            }
            return;
        }
        long ours = h.isInitiator() ? h.responderSpi() : h.initiatorSpi();
        IkeSa sa = byLocalSpi.get(ours);
        if (sa == null) {
            count("unknown_spi");
            return;
        }
        long theirs = h.isInitiator() ? h.initiatorSpi() : h.responderSpi();
        long expected = sa.initiator ? sa.spiR : sa.spiI;
        if (theirs != expected && !(sa.initiator && sa.spiR == 0 && h.exchange().orElse(null) == ExchangeType.IKE_SA_INIT)) {
            count("unknown_spi");
            return;
        }
        if (h.isInitiator() == sa.initiator) {
            count("malformed");
            return;
        }
        sa.receive(outer, datagram, from, to);
    }

    private Connection connectionFor(InetAddress local, InetAddress remote) {
        Connection wildcard = null;
        for (Connection c : connections) {
            if (!c.conn().local().equals(local)) {
                continue;
            }
            if (remote.equals(c.conn().remote())) {
                return c;
            }
            if (c.conn().remote() == null && wildcard == null) {
                wildcard = c;
            }
        }
        return wildcard;
    }

    private static String halfOpenKey(long spiI, InetSocketAddress from) {
        return Long.toHexString(spiI) + "@" + from;
    }

    // ------------------------------------------------------------------ services for SAs and tasks

    void send(IkeSa sa, byte[] message) {
        send(sa, List.of(message));
    }

    /**
     * Sends one message: one datagram, or all IKE fragments of it (RFC 7383), in order.
     * {@code messages_sent} counts datagrams, as {@code messages_received} does.
     */
    void send(IkeSa sa, List<byte[]> datagrams) {
        // Whatever this message makes the peer do, the SAs behind it are published first.
        dataPlane.release();
        dataPlane.hold();
        for (byte[] d : datagrams) {
            count("messages_sent");
            if (datagrams.size() > 1) {
                count("fragments_sent");
            }
            transport.send(sa.local, sa.remote, d);
        }
    }

    /** An IKE_SA_INIT error answer that keeps no state (§2.6, §1.2). */
    void sendStateless(IkeHeader request, InetSocketAddress local, InetSocketAddress remote, List<IkePayload> payloads) {
        IkeHeader h = IkeHeader.of(request.initiatorSpi(), 0, ExchangeType.IKE_SA_INIT, false, true, 0);
        transport.send(local, remote, new IkeMessage(h, payloads).encode());
    }

    SecureRandom random() {
        return random;
    }

    byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    DataPlane dataPlane() {
        return dataPlane;
    }

    KeyLog keyLog() {
        return keyLog;
    }

    int nextUniqueId() {
        return ++uniqueIds;
    }

    long allocateIkeSpi() {
        long spi;
        do {
            spi = random.nextLong();
        } while (spi == 0 || byLocalSpi.containsKey(spi));
        return spi;
    }

    private final java.util.Set<Integer> childSpis = new java.util.HashSet<>();

    int allocateChildSpi() {
        int spi;
        do {
            spi = random.nextInt();
        } while ((spi >= 0 && spi < 256) || !childSpis.add(spi));
        return spi;
    }

    void register(IkeSa sa) {
        byLocalSpi.put(sa.localSpi(), sa);
    }

    boolean cookiesRequired() {
        return halfOpen.size() >= cookieThreshold;
    }

    /** COOKIE = SHA-256(Ni | IPi | SPIi | secret) (§2.6); stateless to check. */
    byte[] cookie(byte[] ni, InetSocketAddress from, long spiI) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(ni);
            d.update(from.getAddress().getAddress());
            d.update(ByteBuffer.allocate(8).putLong(spiI).array());
            d.update(cookieSecret);
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] digest(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A readable identity for logs, whatever the payload holds. */
    static String describe(IdPayload id) {
        try {
            return IkeIdentity.from(id).toString();
        } catch (RuntimeException e) {
            return "ID type " + id.idType();
        }
    }

    public void log(String line) {
        log.accept(line);
    }

    public void count(String name) {
        counters.computeIfAbsent(name, k -> new LongAdder()).increment();
    }

    /** Event and drop counters by name (see docs/ike.md). */
    public Map<String, Long> counters() {
        Map<String, Long> out = new TreeMap<>();
        counters.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    // ------------------------------------------------------------------ life cycle of SAs

    /** Starts an IKE SA (and its first CHILD_SA) to the connection's peer. */
    public void initiate(Connection c) {
        InetSocketAddress local = new InetSocketAddress(c.conn().local(), IKE_PORT);
        InetSocketAddress remote = new InetSocketAddress(c.conn().remote(), IKE_PORT);
        IkeSa sa = new IkeSa(this, c, true, allocateIkeSpi(), 0, local, remote);
        register(sa);
        log(sa.name() + " initiating to " + remote);
        sa.queue(new IkeInitTask());
        sa.queue(new IkeAuthTask(c.conn().children().isEmpty() ? null : c.conn().children().getFirst()));
    }

    void established(IkeSa sa) {
        sa.state = IkeSa.State.ESTABLISHED;
        failures.remove(sa.connection);
        halfOpen.values().remove(sa);
        count("ike_sa_established");
        log("IKE_SA " + sa.name() + " established " + sa.local + "[" + sa.connection.localId() + "]..." + sa.remote
                + "[" + sa.peerIdentity + "] spis " + String.format("%016x_i %016x_r", sa.spiI, sa.spiR) + " "
                + sa.algorithms() + " auth " + sa.connection.authenticator() + (sa.natDetected ? " nat-t" : "")
                + (sa.fragmentation ? " ike-frag" : ""));
        armTimers(sa);
    }

    private void armTimers(IkeSa sa) {
        IkeConfig.Conn conn = sa.connection.conn();
        if (!conn.dpd().isZero()) {
            scheduleDpd(sa, conn.dpd().toMillis());
        }
        if (!conn.rekeyTime().isZero()) {
            sa.rekeyTimer = schedule(jitter(conn.rekeyTime().toMillis()), () -> rekeyIke(sa));
        }
    }

    /** The liveness check fires {@code intervalMs} after the last message from the peer. */
    private void scheduleDpd(IkeSa sa, long intervalMs) {
        long idleMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sa.lastInboundNanos);
        sa.dpdTimer = schedule(Math.max(1, intervalMs - idleMs), () -> {
            if (sa.state != IkeSa.State.ESTABLISHED) {
                return;
            }
            long idle = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sa.lastInboundNanos);
            if (idle >= intervalMs) {
                if (!sa.busy()) {
                    sa.queue(InformationalTask.liveness());
                }
                // While a request is out, its retransmissions decide; check again an interval later.
                sa.dpdTimer = schedule(intervalMs, () -> scheduleDpd(sa, intervalMs));
            } else {
                scheduleDpd(sa, intervalMs);
            }
        });
    }

    /** Rekey times are cut by up to 10 % at random, so two peers rarely rekey at once. */
    private long jitter(long ms) {
        return ms - (long) (random.nextDouble() * ms / 10);
    }

    void rekeyIke(IkeSa sa) {
        if (sa.state == IkeSa.State.ESTABLISHED && !sa.hasQueued(IkeRekeyTask.class)) {
            sa.queue(new IkeRekeyTask());
        }
    }

    /**
     * After TEMPORARY_FAILURE (§2.25: wait, do not retry at once): try again in 0.5-1.5 s, or
     * sooner if the pair's life time would end first (a third of what is left, at least 20 ms).
     */
    void retryRekeyLater(IkeSa sa, ChildSa child) {
        long delay = 500 + random.nextInt(1000);
        long life = child.config.lifeTime().toMillis();
        if (life > 0) {
            long left = life - (System.nanoTime() - child.createdNanos) / 1_000_000;
            delay = Math.max(20, Math.min(delay, left / 3));
        }
        schedule(delay, () -> rekeyChild(sa, child));
    }

    /**
     * The peer answered our rekey with CHILD_SA_NOT_FOUND (§2.25): the pair is gone on its side.
     * Ours is removed without a DELETE, and a new one is created from scratch.
     */
    void childNotFound(IkeSa sa, ChildSa child) {
        count("child_not_found_received");
        log(sa.name() + " CHILD_SA " + child.config.name() + " " + String.format("0x%08x", child.inSpi)
                + " unknown to the peer: removed, creating a new one");
        removeChild(sa, child, "unknown to the peer");
        IkeSa owner = sa.current();
        if (owner.state == IkeSa.State.ESTABLISHED) {
            owner.queue(new ChildCreateTask(child.config, null));
        }
    }

    /** After TEMPORARY_FAILURE to an IKE SA rekey (§2.25): try again in 0.5-1.5 s. */
    void retryIkeRekeyLater(IkeSa sa) {
        schedule(500 + random.nextInt(1000), () -> rekeyIke(sa));
    }

    void ikeRekeyed(IkeSa old, IkeSa next) {
        next.state = IkeSa.State.ESTABLISHED;
        for (Timer t : new Timer[] {old.dpdTimer, old.rekeyTimer}) {
            if (t != null) {
                t.cancel();
            }
        }
        log("IKE_SA " + old.name() + " rekeyed to " + next.name() + " spis "
                + String.format("%016x_i %016x_r", next.spiI, next.spiR) + " " + next.algorithms());
        armTimers(next);
        // Whoever initiated the rekey deletes the old SA. If that is the peer and its DELETE
        // never comes (it never got our response and gave up, or its DELETE gave up), the old
        // SA, which holds nothing any more, goes once the peer's retransmissions would have
        // run out twice; an exchange of ours still on it decides by its own retransmissions.
        schedule(2 * old.connection.conn().retransmit().totalMillis(), () -> {
            if (old.state == IkeSa.State.REKEYED && !old.busy()) {
                count("rekeyed_sa_expired");
                destroy(old, "rekeyed, never deleted by the peer");
            }
        });
    }

    /**
     * Whether {@code sa} is the only IKE SA of its connection: then its IKE_AUTH carries
     * INITIAL_CONTACT (§2.4), telling the peer that any older SA with us is gone.
     */
    boolean alone(IkeSa sa) {
        return byLocalSpi.values().stream().noneMatch(s -> s != sa && s.connection == sa.connection
                && s.state != IkeSa.State.DEAD);
    }

    boolean hasEstablished(Connection c, IkeSa except) {
        return byLocalSpi.values().stream().anyMatch(s -> s != except && s.connection == c
                && s.state == IkeSa.State.ESTABLISHED);
    }

    /** INITIAL_CONTACT (§2.4): the peer restarted; its older IKE SAs with us are gone. */
    void initialContact(IkeSa fresh) {
        for (IkeSa s : new ArrayList<>(byLocalSpi.values())) {
            if (s != fresh && s.connection == fresh.connection && s.peerIdentity != null
                    && s.peerIdentity.equals(fresh.peerIdentity)) {
                destroy(s, "peer sent INITIAL_CONTACT");
            }
        }
    }

    void childEstablished(IkeSa sa, ChildSa child) {
        count("child_sa_established");
        log("CHILD_SA " + sa.name() + "/" + child.config.name() + " established " + child.describe()
                + (sa.natDetected ? " udp-encap" : ""));
        IkeConfig.Child c = child.config;
        if (!c.rekeyTime().isZero()) {
            child.rekeyTimer = schedule(jitter(c.rekeyTime().toMillis()), () -> rekeyChild(sa, child));
        }
        if (!c.lifeTime().isZero()) {
            child.expireTimer = schedule(c.lifeTime().toMillis(), () -> {
                IkeSa owner = ownerOf(child);
                if (owner != null && child.state != ChildSa.State.DELETED && child.state != ChildSa.State.DELETING) {
                    log(owner.name() + " CHILD_SA " + c.name() + " " + String.format("0x%08x", child.inSpi)
                            + " reached its life time");
                    count("child_expired");
                    owner.queue(InformationalTask.deleteChild(child));
                    if (child.successor == null && owner.connection.conn().start()) {
                        // Not replaced by a rekey in time: a connection that is meant to be up
                        // gets a new pair (strongSwan users would set close_action=start).
                        owner.queue(new ChildCreateTask(c, null));
                    }
                }
            });
        }
    }

    /** The live IKE SA that holds {@code child} now (children move on IKE SA rekeys), or null. */
    private static IkeSa ownerOf(ChildSa child) {
        IkeSa o = child.owner;
        return o != null && o.state != IkeSa.State.DEAD && o.children.contains(child) ? o : null;
    }

    void rekeyChild(IkeSa sa, ChildSa child) {
        IkeSa owner = ownerOf(child);
        if (owner != null && owner.state == IkeSa.State.ESTABLISHED && child.state == ChildSa.State.INSTALLED) {
            if (child.deferredKeys != null) {
                // We answered the rekey that made this pair and the initiator has not deleted the
                // old one yet: our response may still be lost, so the peer may not know this pair
                // and would answer our rekey CHILD_SA_NOT_FOUND, after which each side drops it
                // and creates a new one (two pairs). Wait until its outbound half is in.
                count("rekey_postponed");
                retryRekeyLater(sa, child);
                return;
            }
            owner.queue(new ChildCreateTask(child.config, child));
        }
    }

    void removeChild(IkeSa sa, ChildSa child, String reason) {
        IkeSa owner = ownerOf(child);
        (owner != null ? owner : sa).children.remove(child);
        if (child.successor != null) {
            // If we answered the rekey that replaced it and the peer's DELETE has not come (we
            // delete it at its life time), the successor's outbound half goes in first.
            Responder.finishRekey(sa, child);
        }
        if (child.successor != null && rekeyedInboundGraceMs > 0 && sa.state != IkeSa.State.DEAD) {
            // A rekeyed pair: packets the peer sent on it may still be on their way (its ESP
            // and our IKE take different paths), so the inbound half lives a little longer, as
            // strongSwan's delete_rekeyed_delay does. Nothing is sent on it any more.
            child.removeOutbound(this);
            child.state = ChildSa.State.DELETING;
            schedule(rekeyedInboundGraceMs, () -> {
                child.uninstall(this);
                childSpis.remove(child.inSpi);
            });
            return;
        }
        child.uninstall(this);
        childSpis.remove(child.inSpi);
    }

    /** How long the inbound half of a rekeyed CHILD_SA outlives its deletion (default 5 s). */
    public void setRekeyedInboundGrace(long ms) {
        this.rekeyedInboundGraceMs = ms;
    }

    /** Ends an IKE SA and every CHILD_SA it still holds. */
    void destroy(IkeSa sa, String reason) {
        if (sa.state == IkeSa.State.DEAD) {
            return;
        }
        byLocalSpi.remove(sa.localSpi(), sa);
        halfOpen.values().remove(sa);
        for (ChildSa c : new ArrayList<>(sa.children)) {
            removeChild(sa, c, reason);
            log("CHILD_SA " + sa.name() + "/" + c.config.name() + " " + String.format("0x%08x", c.inSpi) + " removed");
        }
        boolean wasUp = sa.state != IkeSa.State.CONNECTING;
        // A rekeyed SA, or a new SA of a rekey collision (§2.8.2): the connection lives on elsewhere.
        boolean replaced = sa.successor != null || sa.state == IkeSa.State.UNDECIDED
                || sa.state == IkeSa.State.REDUNDANT;
        IkeSa undecided = sa.collision;
        if (undecided != null) {
            sa.collision = null;
            undecided.replaces = null;
        }
        if (sa.replaces != null) {
            sa.replaces.collision = null;
            sa.replaces = null;
        }
        sa.terminate();
        count("ike_sa_deleted");
        log("IKE_SA " + sa.name() + " " + (wasUp ? "deleted" : "failed") + ": " + reason);
        if (undecided != null) {
            // Its rekey collision was never decided: the SA the peer's rekey made goes with it.
            destroy(undecided, "the IKE SA it was to replace is gone");
        }
        if (!replaced && sa.connection.conn().start() && running && !reason.equals("shutdown")
                && !reason.startsWith("peer sent INITIAL_CONTACT")) {
            reconnectLater(sa.connection);
        }
    }

    /** Retransmissions gave up: the peer is gone. Re-initiate if we are the initiating side. */
    void peerLost(IkeSa sa) {
        count("peer_lost");
        destroy(sa, "peer unreachable");
    }

    /** Failed attempts in a row per connection, for the back-off of re-initiation. */
    private final Map<Connection, Integer> failures = new HashMap<>();

    /**
     * A connection that initiates ({@code start yes}) keeps trying: after a lost peer or a
     * failed attempt, again after the retransmit timeout, doubling up to 30 s.
     */
    private void reconnectLater(Connection c) {
        int n = failures.merge(c, 1, Integer::sum);
        long delay = Math.min(30_000, c.conn().retransmit().timeout().toMillis() << Math.min(n - 1, 10));
        schedule(delay, () -> {
            if (running && !hasEstablished(c, null) && !connecting(c)) {
                initiate(c);
            }
        });
    }

    private boolean connecting(Connection c) {
        return byLocalSpi.values().stream().anyMatch(s -> s.connection == c && s.state == IkeSa.State.CONNECTING);
    }

    /** IKE SAs by state, for stats and tests. */
    public Map<IkeSa.State, Integer> ikeSaCounts() {
        Map<IkeSa.State, Integer> m = new TreeMap<>();
        for (IkeSa s : byLocalSpi.values()) {
            m.merge(s.state, 1, Integer::sum);
        }
        return m;
    }

    /** A snapshot of the SAs (engine thread only, or through {@link #call}). */
    public List<IkeSa> ikeSas() {
        return List.copyOf(byLocalSpi.values());
    }

    /**
     * Runs {@code f} on the engine thread and waits for its result; the data-plane changes the
     * engine made before it are published by then.
     */
    public <T> T call(java.util.function.Supplier<T> f) throws InterruptedException {
        java.util.concurrent.CompletableFuture<T> result = new java.util.concurrent.CompletableFuture<>();
        execute(() -> {
            T value = f.get();
            // What the caller sees is published: data-plane changes made so far in this batch
            // become visible before the answer returns.
            dataPlane.release();
            dataPlane.hold();
            result.complete(value);
        });
        try {
            return result.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("engine did not answer", e);
        }
    }

    /** Deletes every IKE SA (telling peers, best effort), removes all SAs and stops the thread. */
    @Override
    public void close() {
        if (!running) {
            return;
        }
        execute(() -> {
            for (IkeSa sa : new ArrayList<>(byLocalSpi.values())) {
                if (sa.state == IkeSa.State.ESTABLISHED && sa.skOut != null) {
                    IkeHeader h = IkeHeader.of(sa.spiI, sa.spiR, ExchangeType.INFORMATIONAL, sa.initiator, false,
                            sa.nextRequestId);
                    try {
                        transport.send(sa.local, sa.remote, sa.encode(h, List.of(io.ipsecmesh.ike.DeletePayload.ikeSa())));
                    } catch (RuntimeException e) {
                        // best effort
                    }
                }
                destroy(sa, "shutdown");
            }
            for (Connection c : connections) {
                c.authenticator().destroy();
            }
            java.util.Arrays.fill(cookieSecret, (byte) 0);
            running = false;
        });
        try {
            // Thousands of SAs take a moment to delete; the selector closes after the loop ends.
            if (!stopped.await(30, TimeUnit.SECONDS)) {
                log("IKE engine did not stop within 30 s; closing it anyway");
            }
            selector.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // closing
        }
    }

    /** Data-plane events arrive on worker threads and are handed to the engine thread. */
    private final class DataPlaneEvents implements SaListener {
        @Override
        public void softExpired(SecurityAssociation dpSa, Limit limit) {
            String name = dpSa.name();
            execute(() -> {
                for (IkeSa s : byLocalSpi.values()) {
                    for (ChildSa c : s.children) {
                        if ((c.inName().equals(name) || c.outName().equals(name)) && c.state == ChildSa.State.INSTALLED) {
                            log(s.name() + " CHILD_SA " + c.config.name() + " soft limit (" + limit.name().toLowerCase()
                                    + "): rekeying");
                            rekeyChild(s, c);
                            return;
                        }
                    }
                }
            });
        }

        @Override
        public void hardExpired(SecurityAssociation dpSa, Limit limit) {
            execute(() -> log("SA " + dpSa.name() + " reached its hard limit (" + limit.name().toLowerCase() + ")"));
        }

        @Override
        public void acquire(String policySaName, PacketInfo packet) {
            IkeEngine.this.acquire(policySaName);
        }
    }
}
