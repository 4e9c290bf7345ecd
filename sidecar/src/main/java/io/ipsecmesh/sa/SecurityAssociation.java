package io.ipsecmesh.sa;

import io.ipsecmesh.crypto.EspCipher;
import io.ipsecmesh.crypto.EspCiphers;
import io.ipsecmesh.crypto.IntegrityMac;
import io.ipsecmesh.crypto.IntegrityMacs;
import io.ipsecmesh.packet.IpHeaders;
import io.ipsecmesh.packet.IpPacket;
import io.ipsecmesh.packet.PacketInfo;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;

/**
 * One installed SA: its configuration, a cipher (or MAC) for each worker thread, the outbound
 * sequence counter or inbound replay window, counters and lifetime state.
 *
 * <p>The sequence number never wraps (RFC 4303 §3.3.3): when it would, the SA is hard-expired
 * and stops sending; a soft event comes well before, so that IKE can rekey first.
 */
public final class SecurityAssociation {
    /** Soft event for sequence-number exhaustion at this fraction (15/16) of the space. */
    static final long SEQ_SOFT_32 = 0xffffffffL - (1L << 28);

    private final SaConfig config;
    private final EspCipher[] espCiphers;
    private final IntegrityMac[] macs;
    private final AtomicLong nextSeq = new AtomicLong(1);
    private final ReplayWindow replay;
    private final AtomicLong packets = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicBoolean softFired = new AtomicBoolean();
    private final AtomicBoolean hardFired = new AtomicBoolean();
    private final long createdNanos = System.nanoTime();
    private final long maxSeq;
    private final long softSeq;
    private final Lifetime lifetime;
    private final List<TrafficSelector> selectors;
    private final byte[] srcBytes;
    private final byte[] dstBytes;
    private volatile boolean dead;
    private volatile SaListener listener = SaListener.NONE;

    /**
     * @param workers number of data-plane threads; each gets its own cipher instance
     * @param random  randomness for IVs that must be unpredictable (CBC)
     */
    public SecurityAssociation(SaConfig config, int workers, RandomGenerator random) {
        this.config = config;
        this.lifetime = config.lifetime();
        this.selectors = config.selectors();
        if (config.protocol() == SecurityProtocol.ESP) {
            espCiphers = new EspCipher[workers];
            macs = null;
            for (int i = 0; i < workers; i++) {
                espCiphers[i] = EspCiphers.create(config.encryption(), config.encryptionKey(),
                        config.integrity(), config.integrityKey(), random);
            }
        } else {
            macs = new IntegrityMac[workers];
            espCiphers = null;
            for (int i = 0; i < workers; i++) {
                macs[i] = IntegrityMacs.create(config.integrity(), config.integrityKey());
            }
        }
        this.srcBytes = config.src().getAddress();
        this.dstBytes = config.dst().getAddress();
        this.replay = config.direction() == Direction.IN ? new ReplayWindow(config.replayWindow(), config.esn()) : null;
        // With ESN the last usable number is 2^64-2, so that -1 can mean "exhausted".
        this.maxSeq = config.esn() ? -2L : 0xffffffffL;
        this.softSeq = config.esn() ? -1L >>> 4 : SEQ_SOFT_32;
    }

    public SaConfig config() {
        return config;
    }

    public String name() {
        return config.name();
    }

    public int spi() {
        return config.spi();
    }

    public EspCipher espCipher(int worker) {
        return espCiphers[worker];
    }

    public IntegrityMac mac(int worker) {
        return macs[worker];
    }

    public ReplayWindow replayWindow() {
        return replay;
    }

    public void setListener(SaListener listener) {
        this.listener = listener == null ? SaListener.NONE : listener;
    }

    /** Whether the SA still passes traffic. */
    public boolean isAlive() {
        return !dead;
    }

    /**
     * Takes the next outbound sequence number, or -1 when the space is exhausted (the SA then
     * hard-expires; the counter never wraps to reuse a number).
     */
    public long nextSequenceNumber() {
        long seq = nextSeq.getAndIncrement();
        if (seq == 0 || Long.compareUnsigned(seq, maxSeq) > 0) {
            nextSeq.set(maxSeq + 1); // stay exhausted: never wrap to reuse a number
            expireHard(SaListener.Limit.SEQUENCE_NUMBERS);
            return -1;
        }
        if (Long.compareUnsigned(seq, softSeq) >= 0) {
            expireSoft(SaListener.Limit.SEQUENCE_NUMBERS);
        }
        return seq;
    }

    /** Next sequence number to send (for tests and reports). */
    public long peekSequenceNumber() {
        return nextSeq.get();
    }

    /** For tests of exhaustion: continue numbering from {@code next}. */
    void setNextSequenceNumber(long next) {
        nextSeq.set(next);
    }

    /**
     * Counts a packet against the lifetime; returns false when the SA is past its hard limit,
     * in which case the packet must be dropped.
     */
    public boolean account(int packetBytes) {
        if (dead) {
            return false;
        }
        long p = packets.incrementAndGet();
        long b = bytes.addAndGet(packetBytes);
        Lifetime l = lifetime;
        if ((l.hardPackets() != 0 && p > l.hardPackets())) {
            expireHard(SaListener.Limit.PACKETS);
            return false;
        }
        if (l.hardBytes() != 0 && b > l.hardBytes()) {
            expireHard(SaListener.Limit.BYTES);
            return false;
        }
        if (l.softPackets() != 0 && p >= l.softPackets()) {
            expireSoft(SaListener.Limit.PACKETS);
        } else if (l.softBytes() != 0 && b >= l.softBytes()) {
            expireSoft(SaListener.Limit.BYTES);
        }
        return true;
    }

    /** Checks the time limits; called about once a second by the data plane's housekeeping. */
    public void checkTime(long nowNanos) {
        long age = (nowNanos - createdNanos) / 1_000_000_000L;
        if (lifetime.hardSeconds() != 0 && age >= lifetime.hardSeconds()) {
            expireHard(SaListener.Limit.SECONDS);
        } else if (lifetime.softSeconds() != 0 && age >= lifetime.softSeconds()) {
            expireSoft(SaListener.Limit.SECONDS);
        }
    }

    private void expireSoft(SaListener.Limit limit) {
        if (softFired.compareAndSet(false, true)) {
            listener.softExpired(this, limit);
        }
    }

    private void expireHard(SaListener.Limit limit) {
        dead = true;
        softFired.set(true);
        if (hardFired.compareAndSet(false, true)) {
            listener.hardExpired(this, limit);
        }
    }

    public long packets() {
        return packets.get();
    }

    public long bytes() {
        return bytes.get();
    }

    /** Whether an inbound packet, after decapsulation, lies within this SA's selectors (RFC 4301 §5.2). */
    public boolean selectorsAdmit(PacketInfo p) {
        if (selectors.isEmpty()) {
            return true;
        }
        for (TrafficSelector ts : selectors) {
            if (ts.matches(p)) {
                return true;
            }
        }
        return false;
    }

    /** Length of the outer IP header this SA builds in tunnel mode. */
    public int outerHeaderLength() {
        return srcBytes.length == 4 ? IpPacket.IPV4_HEADER : IpPacket.IPV6_HEADER;
    }

    /**
     * Writes the tunnel-mode outer header at {@code off} for the inner packet at {@code innerOff}:
     * DSCP and ECN copied from the inner header (RFC 4301 §5.1.2.1, RFC 6040 normal mode), DF
     * copied from an inner IPv4 header and set for an inner IPv6 packet.
     */
    public void writeOuterHeader(byte[] b, int off, int innerOff, int protocol, int totalLength, WorkerContext w) {
        int tc = IpHeaders.trafficClass(b, innerOff);
        if (srcBytes.length == 4) {
            boolean df = IpPacket.version(b, innerOff) != 4 || (b[innerOff + 6] & 0x40) != 0;
            IpHeaders.writeIpv4(b, off, srcBytes, dstBytes, protocol, totalLength, tc, w.nextIpId(), df);
        } else {
            IpHeaders.writeIpv6(b, off, srcBytes, dstBytes, protocol, totalLength - IpPacket.IPV6_HEADER, tc, 0);
        }
    }

    /** Zeroes every key copy; the SA passes nothing afterwards. */
    public void destroy() {
        dead = true;
        if (espCiphers != null) {
            for (EspCipher c : espCiphers) {
                c.close();
            }
        }
        if (macs != null) {
            for (IntegrityMac m : macs) {
                m.close();
            }
        }
        byte[] k = config.encryptionKey();
        if (k != null) {
            Arrays.fill(k, (byte) 0);
        }
        byte[] ik = config.integrityKey();
        if (ik != null) {
            Arrays.fill(ik, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return config.toString();
    }
}
