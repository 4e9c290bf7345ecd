package io.ipsecmesh.ike;

import java.util.Arrays;

/**
 * Encrypted Fragment payload, SKF (RFC 7383 §2.5, payload type 53): one piece of a message
 * whose SK payload would not fit the path. Its body is
 * <pre>
 *   Fragment Number (2) | Total Fragments (2) | IV | ciphertext (content, padding, pad length) | ICV
 * </pre>
 * where everything after the two numbers is laid out and protected exactly like an SK body
 * ({@link SkCrypto}), so it is kept opaque here as {@link #encryptedBody()}. The numbers are
 * authenticated too: they lie in front of the IV, inside the AAD or the ICV's range.
 *
 * <p>The generic header's Next Payload field names the first inner payload of the whole
 * message in fragment 1 and is 0 in the others (§2.5); it is kept as
 * {@link #firstInnerPayload()}. Like SK, SKF must be the last payload of a message.
 *
 * @param fragmentNumber 1 .. {@code totalFragments}
 * @param totalFragments how many fragments the message was split into, at least 1
 */
public record SkfPayload(int firstInnerPayload, int fragmentNumber, int totalFragments, byte[] encryptedBody)
        implements IkePayload {

    /** Fragment Number and Total Fragments, in front of the IV. */
    public static final int NUMBERS_LENGTH = 4;

    public SkfPayload {
        if (firstInnerPayload < 0 || firstInnerPayload > 0xff) {
            throw new IllegalArgumentException("payload type " + firstInnerPayload + " out of range 0..255");
        }
        String bad = checkNumbers(fragmentNumber, totalFragments);
        if (bad != null) {
            throw new IllegalArgumentException(bad);
        }
        encryptedBody = encryptedBody.clone();
    }

    /**
     * The checks RFC 7383 §2.6 demands before anything else: both numbers non-zero and the
     * fragment number not above the total. Null when they hold.
     */
    private static String checkNumbers(int number, int total) {
        if (total < 1 || total > 0xffff) {
            return "SKF Total Fragments " + total + ": must be 1..65535 (RFC 7383 §2.5)";
        }
        if (number < 1 || number > 0xffff) {
            return "SKF Fragment Number " + number + ": must be 1..65535 (RFC 7383 §2.5)";
        }
        if (number > total) {
            return "SKF Fragment Number " + number + " exceeds Total Fragments " + total + " (RFC 7383 §2.5)";
        }
        return null;
    }

    static SkfPayload decode(int next, ByteReader r, int at) throws IkeParseException {
        int number = r.u16("SKF fragment number");
        int total = r.u16("SKF total fragments");
        String bad = checkNumbers(number, total);
        if (bad != null) {
            throw new IkeParseException(bad + " at offset " + at);
        }
        return new SkfPayload(next, number, total, r.rest());
    }

    @Override
    public byte[] encryptedBody() {
        return encryptedBody.clone();
    }

    /** Length of IV, ciphertext and ICV, without copying. */
    public int encryptedLength() {
        return encryptedBody.length;
    }

    @Override
    public int type() {
        return PayloadType.ENCRYPTED_FRAGMENT.value();
    }

    @Override
    public byte[] encodeBody() {
        return new ByteWriter().u16(fragmentNumber).u16(totalFragments).bytes(encryptedBody).toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SkfPayload s && s.firstInnerPayload == firstInnerPayload
                && s.fragmentNumber == fragmentNumber && s.totalFragments == totalFragments
                && Arrays.equals(s.encryptedBody, encryptedBody);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {firstInnerPayload, fragmentNumber, totalFragments,
                Arrays.hashCode(encryptedBody)});
    }

    @Override
    public String toString() {
        return "SKF[" + fragmentNumber + "/" + totalFragments + ", first inner " + firstInnerPayload + ", "
                + encryptedBody.length + " bytes]";
    }
}
