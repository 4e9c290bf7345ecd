package io.ipsecmesh.ike;

import java.util.List;

/**
 * One IKE Fragment message after its integrity was verified and its SKF payload decrypted
 * ({@link SkCrypto#decryptFragment}): what reassembly needs of it (RFC 7383 §2.6).
 *
 * @param header            the fragment's IKE header (the same in every fragment of a message)
 * @param unencrypted       payloads in front of SKF; only fragment 1 may carry any (§2.5.3)
 * @param firstInnerPayload the SKF Next Payload field: the message's first inner payload type
 *                          in fragment 1, 0 in the others
 * @param content           the decrypted piece of the inner payload chain, padding removed
 */
public record IkeFragment(IkeHeader header, List<IkePayload> unencrypted, int firstInnerPayload, int fragmentNumber,
                          int totalFragments, byte[] content) {

    public IkeFragment {
        unencrypted = List.copyOf(unencrypted);
        content = content.clone();
    }

    @Override
    public byte[] content() {
        return content.clone();
    }

    /** Content length in bytes, without copying. */
    public int contentLength() {
        return content.length;
    }

    @Override
    public String toString() {
        return "IkeFragment[" + fragmentNumber + "/" + totalFragments + ", " + content.length + " bytes, " + header
                + "]";
    }
}
