package io.ipsecmesh.ike;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * IKE message fragmentation (RFC 7383): splitting a message's inner payloads into IKE Fragment
 * messages (§2.5) and joining verified fragments back into the message (§2.6). What to keep
 * while fragments arrive, and when to give up on them, is the engine's business
 * ({@code io.ipsecmesh.ike.engine.FragmentReassembly}).
 */
public final class IkeFragments {

    /** IKE header, SKF generic payload header and the two fragment numbers. */
    public static final int FRAGMENT_OVERHEAD = IkeHeader.LENGTH + PayloadChain.GENERIC_HEADER_LENGTH
            + SkfPayload.NUMBERS_LENGTH;

    private IkeFragments() {
    }

    /**
     * Splits a message into IKE Fragment messages of at most {@code maxMessageLength} bytes each
     * (§2.5). The inner payload chain is cut as a blob, regardless of payload boundaries, into
     * pieces as large as the limit allows; each piece goes into its own message with the
     * original header and one SKF payload, separately encrypted and integrity-protected. The
     * first fragment's SKF names the first inner payload, the others say 0.
     *
     * @param maxMessageLength the limit for one whole IKE message (UDP payload less a non-ESP marker)
     * @throws IllegalArgumentException if the limit leaves no room for content, or the message
     *                                  would need more than 65535 fragments
     */
    public static List<byte[]> split(SkCrypto sk, IkeHeader header, List<? extends IkePayload> inner,
                                     int maxMessageLength) {
        int piece = sk.maxContentLength(maxMessageLength - FRAGMENT_OVERHEAD);
        if (piece < 1) {
            throw new IllegalArgumentException("IKE fragments of " + maxMessageLength + " bytes leave no room for content");
        }
        byte[] chain = PayloadChain.encode(inner);
        try {
            int total = Math.max(1, (chain.length + piece - 1) / piece);
            if (total > 0xffff) {
                throw new IllegalArgumentException("a " + chain.length + "-byte message needs " + total
                        + " fragments of " + maxMessageLength + " bytes, more than 65535");
            }
            int first = PayloadChain.firstType(inner);
            List<byte[]> out = new ArrayList<>(total);
            for (int n = 1; n <= total; n++) {
                int from = (n - 1) * piece;
                byte[] content = Arrays.copyOfRange(chain, from, Math.min(chain.length, from + piece));
                try {
                    out.add(sk.encryptFragment(header, List.of(), n == 1 ? first : 0, n, total, content));
                } finally {
                    Arrays.fill(content, (byte) 0);
                }
            }
            return out;
        } finally {
            Arrays.fill(chain, (byte) 0);
        }
    }

    /**
     * Joins the fragments of one message (§2.6): header and unencrypted payloads from fragment
     * 1, then the inner payloads decoded from the contents in Fragment Number order, from the
     * type fragment 1 names.
     *
     * @throws IllegalArgumentException if the fragments are not exactly 1..total of one message
     * @throws IkeParseException        if the joined inner chain is malformed, or holds an unknown
     *                                  critical payload ({@link IkeParseException#errorNotify()})
     */
    public static IkeMessage join(List<IkeFragment> fragments) throws IkeParseException {
        List<IkeFragment> sorted = new ArrayList<>(fragments);
        sorted.sort(Comparator.comparingInt(IkeFragment::fragmentNumber));
        if (sorted.isEmpty()) {
            throw new IllegalArgumentException("no fragments");
        }
        int total = sorted.getFirst().totalFragments();
        if (sorted.size() != total) {
            throw new IllegalArgumentException(sorted.size() + " fragments of a message in " + total);
        }
        int length = 0;
        for (int i = 0; i < total; i++) {
            IkeFragment f = sorted.get(i);
            if (f.fragmentNumber() != i + 1 || f.totalFragments() != total
                    || f.header().messageId() != sorted.getFirst().header().messageId()) {
                throw new IllegalArgumentException("fragment " + f.fragmentNumber() + "/" + f.totalFragments()
                        + " does not belong to a set of " + total);
            }
            length += f.contentLength();
        }
        byte[] chain = new byte[length];
        int at = 0;
        for (IkeFragment f : sorted) {
            byte[] c = f.content();
            System.arraycopy(c, 0, chain, at, c.length);
            at += c.length;
            Arrays.fill(c, (byte) 0);
        }
        IkeFragment first = sorted.getFirst();
        try {
            List<IkePayload> all = new ArrayList<>(first.unencrypted());
            all.addAll(PayloadChain.decode(first.firstInnerPayload(), chain, 0, chain.length));
            return new IkeMessage(first.header(), all);
        } finally {
            Arrays.fill(chain, (byte) 0);
        }
    }
}
