package io.ipsecmesh.ike.engine;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.dataplane.UserspaceDataPlane;
import io.ipsecmesh.ike.CertPayload;
import io.ipsecmesh.ike.ExchangeType;
import io.ipsecmesh.ike.IdPayload;
import io.ipsecmesh.ike.IkeFragments;
import io.ipsecmesh.ike.IkeHeader;
import io.ipsecmesh.ike.IkeMessage;
import io.ipsecmesh.ike.IkeParseException;
import io.ipsecmesh.ike.IkePayload;
import io.ipsecmesh.ike.NotifyPayload;
import io.ipsecmesh.ike.NotifyType;
import io.ipsecmesh.ike.SkCrypto;
import io.ipsecmesh.ike.SkfPayload;
import io.ipsecmesh.ike.UnknownPayload;
import io.ipsecmesh.sa.Mode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.ipsecmesh.ike.engine.EnginePair.await;
import static io.ipsecmesh.ike.engine.EnginePair.count;
import static io.ipsecmesh.ike.engine.IkeEngineTest.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reassembly of IKE fragments (RFC 7383 §2.6) on one IKE SA of a running engine: real fragments
 * from {@link IkeFragments#split}, offered in order, reversed, duplicated, forged, refragmented,
 * oversized and never completed.
 */
class FragmentReassemblyTest {

    private static final IkeHeader HEADER = IkeHeader.of(0x0102030405060708L, 0x1112131415161718L,
            ExchangeType.IKE_AUTH, true, false, 1);
    private static final List<IkePayload> INNER = List.of(IdPayload.fqdn(true, "a.ipsm.test"),
            new CertPayload(CertPayload.X509_SIGNATURE, bytes(0x30, 1800)),
            NotifyPayload.of(NotifyType.INITIAL_CONTACT));

    private final UserspaceDataPlane dp = new UserspaceDataPlane(1, new SecureRandom());
    private final List<String> log = new CopyOnWriteArrayList<>();
    private IkeEngine engine;
    private IkeSa sa;
    private final SkCrypto out = sk();
    private final SkCrypto in = sk();

    static byte[] bytes(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    private static SkCrypto sk() {
        EncryptionAlgorithm e = EncryptionAlgorithm.AES_GCM_16_128;
        return SkCrypto.of(e, IntegrityAlgorithm.NONE, bytes(0x40, e.keyMaterialLength()), new byte[0],
                new SecureRandom());
    }

    @BeforeEach
    void engine() throws Exception {
        IkeConfig.Conn conn = IkeEngineTest.conn("to-b", "198.19.0.1", "198.19.0.2", "a.ipsm.test", "b.ipsm.test",
                false, "aes128gcm16-prfsha256-ecp256", "aes128gcm16", Mode.TUNNEL, null, null, Duration.ZERO,
                Duration.ZERO, Duration.ZERO, IkeEngineTest.PSK);
        IkeEngine.Connection c = IkeEngine.connection(conn);
        engine = new IkeEngine(List.of(c), dp, new SecureRandom(), log::add, KeyLog.NONE);
        engine.start();
        sa = new IkeSa(engine, c, false, HEADER.initiatorSpi(), HEADER.responderSpi(),
                new InetSocketAddress(ip("198.19.0.2"), 500), new InetSocketAddress(ip("198.19.0.1"), 500));
    }

    @AfterEach
    void close() {
        engine.close();
        dp.shutdown();
    }

    /** Offers one fragment on the engine thread, as the SA does. */
    private IkeMessage offer(FragmentReassembly r, byte[] datagram) throws Exception {
        IkeMessage outer = IkeMessage.decode(datagram);
        SkfPayload skf = (SkfPayload) outer.payloads().getLast();
        Object result = engine.call(() -> {
            try {
                return r.offer(in, outer.header(), skf, datagram);
            } catch (IkeParseException e) {
                return e;
            }
        });
        if (result instanceof IkeParseException e) {
            throw e;
        }
        return (IkeMessage) result;
    }

    private List<byte[]> split(int limit) {
        return IkeFragments.split(out, HEADER, INNER, limit);
    }

    private long counter(String name) {
        return count(engine, name);
    }

    private boolean collecting(FragmentReassembly r) throws InterruptedException {
        return engine.call(r::collecting);
    }

    @Test
    void inOrderReversedAndShuffled() throws Exception {
        FragmentReassembly r = new FragmentReassembly(sa, "request");
        List<byte[]> frags = split(548);
        assertTrue(frags.size() >= 4, frags.size() + " fragments");
        for (List<byte[]> order : List.of(frags, reversed(frags), shuffled(frags))) {
            IkeMessage done = null;
            for (int i = 0; i < order.size(); i++) {
                done = offer(r, order.get(i));
                if (i < order.size() - 1) {
                    assertNull(done, "complete after " + (i + 1) + " of " + order.size());
                }
            }
            assertNotNull(done);
            assertEquals(HEADER, done.header());
            assertEquals(INNER, done.payloads());
            assertFalse(collecting(r), "nothing kept once the message is out");
        }
        assertEquals(3L * frags.size(), counter("fragments_received"));
        assertEquals(3, counter("fragments_reassembled"));
        assertEquals(0, counter("fragments_dropped"));
    }

    @Test
    void duplicatesAreDroppedUnreadAndDoNotCount() throws Exception {
        FragmentReassembly r = new FragmentReassembly(sa, "request");
        List<byte[]> frags = split(548);
        int n = frags.size();
        assertNull(offer(r, frags.get(0)));
        assertNull(offer(r, frags.get(1)));
        assertNull(offer(r, frags.get(1)));
        assertNull(offer(r, frags.get(0)));
        for (int i = 2; i < n - 1; i++) {
            assertNull(offer(r, frags.get(i)));
            assertNull(offer(r, frags.get(i)));
        }
        IkeMessage done = offer(r, frags.get(n - 1));
        assertNotNull(done);
        assertEquals(INNER, done.payloads());
        assertEquals(n, counter("fragments_received"));
        assertEquals(2 + (n - 3), counter("fragment_duplicate"));
        assertEquals(counter("fragment_duplicate"), counter("fragments_dropped"));
    }

    /**
     * A forged fragment (bad ICV) is dropped and counted, whatever numbers it claims: it neither
     * takes the place of the real fragment nor restarts the set with a larger total. The real
     * fragment, arriving later (a retransmission), completes the message.
     */
    @Test
    void forgedFragmentIsDroppedAndTheRealOneStillCompletesTheMessage() throws Exception {
        FragmentReassembly r = new FragmentReassembly(sa, "request");
        List<byte[]> frags = split(548);
        int n = frags.size();
        assertNull(offer(r, frags.get(0)));
        byte[] flipped = frags.get(1).clone();
        flipped[flipped.length - 20] ^= 0x40;
        assertNull(offer(r, flipped));
        byte[] biggerTotal = frags.get(1).clone();
        ByteBuffer.wrap(biggerTotal).putShort(34, (short) (n + 5)); // Total Fragments, authenticated
        assertNull(offer(r, biggerTotal));
        byte[] otherKey = IkeFragments.split(SkCrypto.of(EncryptionAlgorithm.AES_GCM_16_128,
                IntegrityAlgorithm.NONE, bytes(0x41, 20), new byte[0], new SecureRandom()), HEADER, INNER, 548).get(1);
        assertNull(offer(r, otherKey));
        assertEquals(3, counter("integrity"));
        assertEquals(3, counter("fragments_dropped"));
        assertEquals(0, counter("fragment_sets_discarded"), "the set was not restarted");
        assertTrue(collecting(r));
        // the sender retransmits everything: 1 is a duplicate now, 2.. complete the message
        assertNull(offer(r, frags.get(0)));
        IkeMessage done = null;
        for (int i = 1; i < n; i++) {
            done = offer(r, frags.get(i));
        }
        assertNotNull(done);
        assertEquals(INNER, done.payloads());
        assertEquals(n, counter("fragments_received"));
        assertEquals(1, counter("fragments_reassembled"));
    }

    /** §2.6: a smaller total is an older fragmentation (dropped); a larger one starts over. */
    @Test
    void refragmentedMessageRestartsTheSetAndOldFragmentsAreStale() throws Exception {
        FragmentReassembly r = new FragmentReassembly(sa, "request");
        List<byte[]> coarse = split(1000);
        List<byte[]> fine = split(548);
        assertTrue(fine.size() > coarse.size());
        assertNull(offer(r, coarse.get(0)));
        assertNull(offer(r, fine.get(1)));
        assertEquals(1, counter("fragment_sets_discarded"), "the coarse set gave way");
        assertNull(offer(r, coarse.get(1)));
        assertEquals(1, counter("fragment_stale"));
        IkeMessage done = null;
        for (byte[] f : fine) {
            done = offer(r, f);
        }
        assertNotNull(done);
        assertEquals(INNER, done.payloads());
        assertEquals(1, counter("fragment_duplicate"), "fine fragment 2 came twice");
    }

    @Test
    void limitsOnFragmentsAndBytes() throws Exception {
        FragmentReassembly r = new FragmentReassembly(sa, "request");
        // more fragments than a message may have: dropped before any crypto
        byte[] many = out.encryptFragment(HEADER, List.of(), 0, 1, FragmentReassembly.MAX_FRAGMENTS + 1, bytes(0, 10));
        assertNull(offer(r, many));
        assertEquals(1, counter("fragment_limit"));
        assertFalse(collecting(r));
        // two fragments of 40,000 bytes each: the second would pass the byte limit, the set goes
        byte[] big1 = out.encryptFragment(HEADER, List.of(), 41, 1, 2, bytes(0, 40_000));
        byte[] big2 = out.encryptFragment(HEADER, List.of(), 0, 2, 2, bytes(0, 40_000));
        assertNull(offer(r, big1));
        assertTrue(collecting(r));
        assertNull(offer(r, big2));
        assertEquals(2, counter("fragment_limit"));
        assertEquals(1, counter("fragment_sets_discarded"));
        assertFalse(collecting(r));
        assertEquals(2, counter("fragments_dropped"));
    }

    @Test
    void incompleteSetIsDiscardedAfterTheTimeoutOrWhenTheExchangeEnds() throws Exception {
        FragmentReassembly r = new FragmentReassembly(sa, "response", 100);
        List<byte[]> frags = split(548);
        assertNull(offer(r, frags.get(0)));
        assertTrue(collecting(r));
        await("the incomplete set times out", Duration.ofSeconds(3), () -> counter("fragment_sets_discarded") == 1);
        assertFalse(collecting(r));
        assertTrue(log.stream().anyMatch(l -> l.contains("incomplete fragmented response 1 (1 of " + frags.size()
                + " fragments) discarded: not complete after 100 ms")), log.toString());
        // after the timeout the message can still be collected from scratch
        IkeMessage done = null;
        for (byte[] f : frags) {
            done = offer(r, f);
        }
        assertNotNull(done);

        assertNull(offer(r, frags.get(0)));
        engine.call(() -> {
            r.clear();
            return null;
        });
        assertFalse(collecting(r));
        assertEquals(2, counter("fragment_sets_discarded"));
    }

    @Test
    void joinedMessageWithAnUnknownCriticalPayloadIsReportedAsSuch() throws Exception {
        FragmentReassembly r = new FragmentReassembly(sa, "request");
        List<IkePayload> critical = new ArrayList<>(INNER);
        critical.add(new UnknownPayload(200, true, bytes(0, 8)));
        List<byte[]> frags = IkeFragments.split(out, HEADER, critical, 548);
        for (int i = 0; i < frags.size() - 1; i++) {
            assertNull(offer(r, frags.get(i)));
        }
        IkeParseException e = assertThrows(IkeParseException.class, () -> offer(r, frags.getLast()));
        assertEquals(NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD, e.errorNotify());
        assertFalse(collecting(r));
    }

    private static List<byte[]> reversed(List<byte[]> l) {
        List<byte[]> r = new ArrayList<>(l);
        Collections.reverse(r);
        return r;
    }

    private static List<byte[]> shuffled(List<byte[]> l) {
        List<byte[]> r = new ArrayList<>(l);
        Collections.shuffle(r, new java.util.Random(7));
        // a shuffle that left the order alone would test nothing new
        if (r.equals(l) || Arrays.equals(r.getFirst(), l.getFirst()) && Arrays.equals(r.getLast(), l.getLast())) {
            Collections.swap(r, 0, r.size() - 1);
        }
        return r;
    }
}
