package io.ipsecmesh.ike;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Hash algorithm identifiers of the SIGNATURE_HASH_ALGORITHMS notification (RFC 7427 §4,
 * IANA "IKEv2 Hash Algorithms"): the notification data is a list of 16-bit identifiers.
 * A peer that sends the notification can verify RFC 7427 Digital Signature authentication
 * (auth method 14) with any of the hashes it lists.
 */
public enum SignatureHashAlgorithm {
    SHA2_256(2),
    SHA2_384(3),
    SHA2_512(4);

    private final int id;

    SignatureHashAlgorithm(int id) {
        this.id = id;
    }

    /** The 16-bit IANA identifier. */
    public int id() {
        return id;
    }

    public static Optional<SignatureHashAlgorithm> of(int id) {
        for (SignatureHashAlgorithm h : values()) {
            if (h.id == id) {
                return Optional.of(h);
            }
        }
        return Optional.empty();
    }

    /** SIGNATURE_HASH_ALGORITHMS announcing these hashes, in this order. */
    public static NotifyPayload notify(Collection<SignatureHashAlgorithm> hashes) {
        if (hashes.isEmpty()) {
            throw new IllegalArgumentException("SIGNATURE_HASH_ALGORITHMS needs at least one hash");
        }
        return NotifyPayload.signatureHashAlgorithms(hashes.stream().map(SignatureHashAlgorithm::id).toList());
    }

    /**
     * All identifiers a SIGNATURE_HASH_ALGORITHMS notification lists, known or not, in order.
     *
     * @throws IllegalArgumentException if the notification is of another type
     * @throws IkeParseException        if its data is not a list of 16-bit values
     */
    public static List<Integer> parseIds(NotifyPayload notify) throws IkeParseException {
        if (!notify.is(NotifyType.SIGNATURE_HASH_ALGORITHMS)) {
            throw new IllegalArgumentException("not a SIGNATURE_HASH_ALGORITHMS notification: " + notify.notifyType());
        }
        byte[] d = notify.data();
        if (d.length % 2 != 0) {
            throw new IkeParseException("SIGNATURE_HASH_ALGORITHMS of odd length " + d.length);
        }
        List<Integer> ids = new ArrayList<>(d.length / 2);
        for (int i = 0; i < d.length; i += 2) {
            ids.add(((d[i] & 0xff) << 8) | (d[i + 1] & 0xff));
        }
        return ids;
    }

    /** The hashes of this enum that the notification lists, in its order; unknown IDs are skipped. */
    public static List<SignatureHashAlgorithm> parse(NotifyPayload notify) throws IkeParseException {
        List<SignatureHashAlgorithm> out = new ArrayList<>();
        for (int id : parseIds(notify)) {
            of(id).filter(h -> !out.contains(h)).ifPresent(out::add);
        }
        return out;
    }
}
