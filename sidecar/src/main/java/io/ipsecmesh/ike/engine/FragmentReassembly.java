package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.IkeFragment;
import io.ipsecmesh.ike.IkeFragments;
import io.ipsecmesh.ike.IkeHeader;
import io.ipsecmesh.ike.IkeMessage;
import io.ipsecmesh.ike.IkeParseException;
import io.ipsecmesh.ike.SkCrypto;
import io.ipsecmesh.ike.SkIntegrityException;
import io.ipsecmesh.ike.SkfPayload;

/**
 * Reassembly of the fragmented messages (RFC 7383 §2.6) that one IKE SA receives in one
 * direction: the peer's requests, or the responses to ours. The message-ID windows have size
 * one, so at most one message per direction is ever being collected: one set is enough, and
 * a fragment of any other message (wrong message ID) never gets here (the SA drops it first,
 * as it drops whole messages outside the window).
 *
 * <p>Each fragment is checked in the order §2.6 gives:
 * <ol>
 *   <li>numbers: non-zero, number not above total (already refused by the codec), and a total
 *       not below the set's (a smaller total is an older fragmentation: dropped);</li>
 *   <li>replay: a fragment the set already holds (same number and total) is dropped unread;</li>
 *   <li>integrity: the fragment is verified and decrypted on its own, so a forged fragment is
 *       dropped and counted and never takes a good fragment's place;</li>
 *   <li>a verified fragment with a larger total means the peer fragmented the message again
 *       (smaller pieces, §2.5.2): the set starts over with it;</li>
 *   <li>stored; when all are there, joined and handed back as one message.</li>
 * </ol>
 *
 * <p>Memory is bounded: at most {@link #MAX_FRAGMENTS} fragments and {@link #MAX_BYTES} bytes of
 * content per message, and an incomplete set is discarded after {@link #TIMEOUT_MS}, when the
 * exchange ends ({@link #clear}) or when the SA dies.
 *
 * <p>Counters: {@code fragments_received} (verified and kept), {@code fragments_dropped} (not
 * kept, with the reason counted as well: {@code integrity}, {@code malformed},
 * {@code fragment_duplicate}, {@code fragment_stale}, {@code fragment_limit}),
 * {@code fragments_reassembled} (messages), {@code fragment_sets_discarded} (incomplete sets
 * given up).
 */
final class FragmentReassembly {

    /** Fragments one message may have; a 64 KB message in 512-byte fragments needs about 150. */
    static final int MAX_FRAGMENTS = 256;
    /** Content one message may have, as much as one UDP datagram could carry whole. */
    static final int MAX_BYTES = 65_535;
    /** An incomplete message is given up this long after its first fragment. */
    static final long TIMEOUT_MS = 30_000;

    private final IkeSa sa;
    private final String what;
    private final long timeoutMs;
    private Pending pending;

    /** The fragments of one message collected so far. */
    private static final class Pending {
        final int messageId;
        final int total;
        final IkeHeader header;
        final IkeFragment[] parts;
        int count;
        int bytes;
        IkeEngine.Timer timer;

        Pending(IkeFragment first) {
            this.messageId = first.header().messageId();
            this.total = first.totalFragments();
            this.header = first.header();
            this.parts = new IkeFragment[total];
        }

        boolean has(int number) {
            return parts[number - 1] != null;
        }
    }

    /** {@code what}: "request" or "response", for the log. */
    FragmentReassembly(IkeSa sa, String what) {
        this(sa, what, TIMEOUT_MS);
    }

    FragmentReassembly(IkeSa sa, String what, long timeoutMs) {
        this.sa = sa;
        this.what = what;
        this.timeoutMs = timeoutMs;
    }

    /**
     * Takes one IKE Fragment message whose message ID the SA has already found in its window.
     *
     * @param skIn     the peer's SK protection, which each fragment must verify under
     * @param skf      the fragment's SKF payload, as decoded by the engine
     * @param datagram the whole fragment message
     * @return the reassembled message once the last missing fragment arrived, else null (the
     *         fragment was kept, or dropped and counted)
     * @throws IkeParseException if the joined message is malformed (the caller answers or counts
     *                           it as for an unfragmented message)
     */
    IkeMessage offer(SkCrypto skIn, IkeHeader header, SkfPayload skf, byte[] datagram) throws IkeParseException {
        int number = skf.fragmentNumber();
        int total = skf.totalFragments();
        if (total > MAX_FRAGMENTS) {
            return drop("fragment_limit");
        }
        Pending same = pending != null && pending.messageId == header.messageId() ? pending : null;
        if (same != null && total < same.total) {
            return drop("fragment_stale");
        }
        if (same != null && total == same.total && same.has(number)) {
            return drop("fragment_duplicate");
        }
        if (skIn == null) {
            return drop("malformed");
        }
        IkeFragment fragment;
        try {
            fragment = skIn.decryptFragment(datagram);
        } catch (SkIntegrityException e) {
            return drop("integrity");
        } catch (IkeParseException e) {
            return drop("malformed");
        }
        // Verified from here on: the peer sent it.
        if (same != null && !sameMessage(same.header, fragment.header())) {
            return drop("malformed");
        }
        if (pending != null && (same == null || total > same.total)) {
            discard(same == null ? "another message began" : "the peer fragmented it again into " + total);
        }
        if (pending == null) {
            Pending p = new Pending(fragment);
            p.timer = sa.engine.schedule(timeoutMs, () -> {
                if (pending == p) {
                    discard("not complete after " + timeoutMs + " ms");
                }
            });
            pending = p;
        }
        Pending p = pending;
        if (p.bytes + fragment.contentLength() > MAX_BYTES) {
            discard("larger than " + MAX_BYTES + " bytes");
            return drop("fragment_limit");
        }
        p.parts[number - 1] = fragment;
        p.count++;
        p.bytes += fragment.contentLength();
        sa.engine.count("fragments_received");
        if (p.count < p.total) {
            return null;
        }
        forget();
        sa.engine.count("fragments_reassembled");
        return IkeFragments.join(java.util.Arrays.asList(p.parts));
    }

    /** The exchange is over (or being replaced): an incomplete set is of no use any more. */
    void clear() {
        if (pending != null) {
            discard("the exchange ended");
        }
    }

    /** Whether fragments of a message are being collected (for tests). */
    boolean collecting() {
        return pending != null;
    }

    /** Every fragment of a message carries the original header; only Length and Next Payload differ. */
    private static boolean sameMessage(IkeHeader a, IkeHeader b) {
        return a.equals(b);
    }

    private IkeMessage drop(String reason) {
        sa.engine.count(reason);
        sa.engine.count("fragments_dropped");
        return null;
    }

    private void discard(String why) {
        Pending p = pending;
        forget();
        sa.engine.count("fragment_sets_discarded");
        sa.engine.log(sa.name() + " incomplete fragmented " + what + " " + Integer.toUnsignedString(p.messageId)
                + " (" + p.count + " of " + p.total + " fragments) discarded: " + why);
    }

    private void forget() {
        if (pending != null && pending.timer != null) {
            pending.timer.cancel();
        }
        pending = null;
    }
}
