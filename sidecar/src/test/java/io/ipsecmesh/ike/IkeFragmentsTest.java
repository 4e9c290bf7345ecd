package io.ipsecmesh.ike;

import static io.ipsecmesh.ike.IkeTestBytes.range;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RFC 7383: the SKF payload's codec (round trip, the §2.6 number checks, its place in the
 * chain), and messages split into protected fragments and joined again with every SK suite.
 */
class IkeFragmentsTest {

    private static final IkeHeader HEADER = IkeHeader.of(0x0102030405060708L, 0x1112131415161718L,
            ExchangeType.IKE_AUTH, true, false, 1);
    /** An IKE_AUTH-like inner chain of about 2.6 KB: ID, a "certificate", AUTH, notifies. */
    private static final List<IkePayload> INNER = List.of(IdPayload.fqdn(true, "a.ipsm.test"),
            new CertPayload(CertPayload.X509_SIGNATURE, range(0x30, 1500)),
            new CertPayload(CertPayload.X509_SIGNATURE, range(0x31, 1000)),
            new AuthPayload(AuthPayload.SHARED_KEY_MIC, range(1, 32)),
            NotifyPayload.of(NotifyType.INITIAL_CONTACT));

    static Stream<Arguments> suites() {
        return Stream.of(
                Arguments.of(EncryptionAlgorithm.AES_CBC_128, IntegrityAlgorithm.HMAC_SHA2_256_128),
                Arguments.of(EncryptionAlgorithm.AES_CBC_256, IntegrityAlgorithm.HMAC_SHA2_512_256),
                Arguments.of(EncryptionAlgorithm.AES_GCM_16_128, IntegrityAlgorithm.NONE),
                Arguments.of(EncryptionAlgorithm.CHACHA20_POLY1305, IntegrityAlgorithm.NONE));
    }

    static SkCrypto sk(EncryptionAlgorithm e, IntegrityAlgorithm i) {
        return SkCrypto.of(e, i, range(0x40, e.keyMaterialLength()), range(0x80, i.keyLength()), new SecureRandom());
    }

    // ------------------------------------------------------------------ SKF codec

    @Test
    void skfPayloadRoundTripsAndCarriesItsNumbers() throws IkeParseException {
        IkeMessage msg = new IkeMessage(HEADER, List.of(new SkfPayload(PayloadType.IDI.value(), 1, 3, range(0x70, 40))));
        byte[] wire = msg.encode();
        assertEquals(53, wire[16] & 0xff, "the header's Next Payload is SKF (53)");
        assertEquals(PayloadType.IDI.value(), wire[28], "SKF's Next Payload names the first inner payload");
        assertEquals(4 + 4 + 40, ByteBuffer.wrap(wire).getShort(30));
        assertEquals(1, ByteBuffer.wrap(wire).getShort(32), "Fragment Number");
        assertEquals(3, ByteBuffer.wrap(wire).getShort(34), "Total Fragments");
        IkeMessage back = IkeMessage.decode(wire);
        assertEquals(msg, back);
        assertArrayEquals(wire, back.encode());
        SkfPayload skf = assertInstanceOf(SkfPayload.class, back.payloads().getFirst());
        assertEquals(1, skf.fragmentNumber());
        assertEquals(3, skf.totalFragments());
        assertArrayEquals(range(0x70, 40), skf.encryptedBody());
    }

    /** §2.6: zero numbers and a number above the total are refused with a clear error. */
    @Test
    void malformedFragmentNumbersAreRejected() {
        byte[] good = new IkeMessage(HEADER, List.of(new SkfPayload(0, 2, 3, range(0, 40)))).encode();
        record Case(int number, int total, String says) {
        }
        for (Case c : List.of(new Case(0, 3, "Fragment Number 0"), new Case(4, 3, "exceeds Total Fragments 3"),
                new Case(1, 0, "Total Fragments 0"), new Case(0, 0, "Total Fragments 0"))) {
            byte[] bad = good.clone();
            ByteBuffer.wrap(bad).putShort(32, (short) c.number()).putShort(34, (short) c.total());
            IkeParseException e = assertThrows(IkeParseException.class, () -> IkeMessage.decode(bad), c.toString());
            assertTrue(e.getMessage().contains(c.says()), e.getMessage());
            assertTrue(e.getMessage().contains("RFC 7383"), e.getMessage());
            assertEquals(NotifyType.INVALID_SYNTAX, e.errorNotify());
        }
        // the constructor refuses the same values, so the encoder cannot produce them
        assertThrows(IllegalArgumentException.class, () -> new SkfPayload(0, 0, 1, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new SkfPayload(0, 2, 1, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new SkfPayload(0, 1, 0, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new SkfPayload(0, 1, 0x10000, new byte[0]));
    }

    @Test
    void skfMustComeLastCannotNestAndMustHoldItsNumbers() {
        byte[] wire = new IkeMessage(HEADER, List.of(new SkfPayload(0, 1, 1, range(0, 16)))).encode();
        // a payload after SKF
        byte[] notLast = Arrays.copyOf(wire, wire.length + 8);
        ByteBuffer.wrap(notLast).putInt(24, notLast.length).putShort(wire.length + 2, (short) 8);
        notLast[28] = (byte) PayloadType.VENDOR_ID.value();
        assertTrue(assertThrows(IkeParseException.class, () -> IkeMessage.decode(notLast)).getMessage()
                .contains("last payload"));
        assertThrows(IllegalArgumentException.class, () -> new IkeMessage(HEADER, List.of(
                new SkfPayload(0, 1, 1, range(0, 16)), new VendorIdPayload(range(0, 4)))).encode());
        // SKF inside a decrypted chain
        byte[] nested = PayloadChain.encode(List.of(new SkfPayload(0, 1, 1, range(0, 16))));
        assertThrows(IkeParseException.class, () -> PayloadChain.decode(53, nested, 0, nested.length));
        // an SKF body too short for its two numbers
        byte[] shortBody = new IkeMessage(HEADER, List.of(new UnknownPayload(200, false, range(0, 2)))).encode();
        shortBody[16] = 53;
        assertThrows(IkeParseException.class, () -> IkeMessage.decode(shortBody));
    }

    // ------------------------------------------------------------------ split and join

    @ParameterizedTest
    @MethodSource("suites")
    void splitFragmentsFitTheLimitAndJoinInAnyOrder(EncryptionAlgorithm e, IntegrityAlgorithm i) throws Exception {
        SkCrypto out = sk(e, i);
        SkCrypto in = sk(e, i);
        int limit = 576 - 20 - 8;
        List<byte[]> wire = IkeFragments.split(out, HEADER, INNER, limit);
        int whole = out.encrypt(HEADER, List.of(), INNER).length;
        assertTrue(wire.size() >= whole / limit + 1, wire.size() + " fragments for " + whole + " bytes");
        List<IkeFragment> opened = new ArrayList<>();
        for (int n = 0; n < wire.size(); n++) {
            byte[] f = wire.get(n);
            assertTrue(f.length <= limit, "fragment " + (n + 1) + " has " + f.length + " bytes");
            IkeMessage outer = IkeMessage.decode(f);
            assertEquals(HEADER, outer.header(), "each fragment carries the original header");
            SkfPayload skf = assertInstanceOf(SkfPayload.class, outer.payloads().getFirst());
            assertEquals(n + 1, skf.fragmentNumber());
            assertEquals(wire.size(), skf.totalFragments());
            assertEquals(n == 0 ? PayloadType.IDI.value() : 0, skf.firstInnerPayload());
            opened.add(in.decryptFragment(f));
        }
        // every fragment but the last is filled up to the limit (less one block of CBC padding)
        int block = e.isAead() ? 1 : e.blockSize();
        for (int n = 0; n < wire.size() - 1; n++) {
            assertTrue(wire.get(n).length > limit - block, "fragment " + (n + 1) + ": " + wire.get(n).length);
        }
        assertEquals(INNER, IkeFragments.join(opened).payloads());
        assertEquals(HEADER, IkeFragments.join(opened).header());
        List<IkeFragment> reversed = new ArrayList<>(opened);
        Collections.reverse(reversed);
        assertEquals(INNER, IkeFragments.join(reversed).payloads());
        Collections.shuffle(reversed);
        assertEquals(INNER, IkeFragments.join(reversed).payloads());
    }

    @ParameterizedTest
    @MethodSource("suites")
    void everyFragmentIsProtectedOnItsOwn(EncryptionAlgorithm e, IntegrityAlgorithm i) throws Exception {
        List<byte[]> wire = IkeFragments.split(sk(e, i), HEADER, INNER, 600);
        byte[] second = wire.get(1);
        // a flipped bit in the header, in the fragment numbers, in the ciphertext, in the ICV
        for (int at : new int[] {20, 33, second.length / 2, second.length - 1}) {
            byte[] t = second.clone();
            t[at] ^= at == 33 ? 3 : 1; // fragment number 2 -> 1: still valid, so decoding passes
            assertThrows(SkIntegrityException.class, () -> sk(e, i).decryptFragment(t), "bit flipped at " + at);
        }
        // a fragment under another key is forged
        SkCrypto other = SkCrypto.of(e, i, range(0x41, e.keyMaterialLength()), range(0x81, i.keyLength()),
                new SecureRandom());
        byte[] forged = IkeFragments.split(other, HEADER, INNER, 600).get(1);
        assertThrows(SkIntegrityException.class, () -> sk(e, i).decryptFragment(forged));
        // and an SK message is not a fragment, nor a fragment an SK message
        assertThrows(IkeParseException.class, () -> sk(e, i).decryptFragment(sk(e, i).encrypt(HEADER, List.of(), INNER)));
        assertThrows(IkeParseException.class, () -> sk(e, i).decrypt(second));
    }

    @Test
    void joinNeedsExactlyOneCompleteSet() throws Exception {
        SkCrypto out = sk(EncryptionAlgorithm.AES_GCM_16_128, IntegrityAlgorithm.NONE);
        SkCrypto in = sk(EncryptionAlgorithm.AES_GCM_16_128, IntegrityAlgorithm.NONE);
        List<IkeFragment> opened = new ArrayList<>();
        for (byte[] f : IkeFragments.split(out, HEADER, INNER, 1000)) {
            opened.add(in.decryptFragment(f));
        }
        assertTrue(opened.size() >= 3);
        assertThrows(IllegalArgumentException.class, () -> IkeFragments.join(opened.subList(1, opened.size())));
        List<IkeFragment> dup = new ArrayList<>(opened);
        dup.set(1, opened.get(0));
        assertThrows(IllegalArgumentException.class, () -> IkeFragments.join(dup));
        assertThrows(IllegalArgumentException.class, () -> IkeFragments.join(List.of()));
    }

    @Test
    void aMessageThatFitsIsOneFragmentAndTooSmallALimitIsRefused() throws Exception {
        SkCrypto out = sk(EncryptionAlgorithm.AES_CBC_128, IntegrityAlgorithm.HMAC_SHA2_256_128);
        List<IkePayload> small = List.of(NotifyPayload.of(NotifyType.INITIAL_CONTACT));
        List<byte[]> one = IkeFragments.split(out, HEADER, small, 1000);
        assertEquals(1, one.size());
        IkeFragment f = sk(EncryptionAlgorithm.AES_CBC_128, IntegrityAlgorithm.HMAC_SHA2_256_128)
                .decryptFragment(one.getFirst());
        assertEquals(1, f.totalFragments());
        assertEquals(small, IkeFragments.join(List.of(f)).payloads());
        // 36 bytes of header and numbers, 16 of IV, 16 of ICV, one block: nothing fits in 83
        assertThrows(IllegalArgumentException.class, () -> IkeFragments.split(out, HEADER, small, 83));
        assertEquals(84, IkeFragments.split(out, HEADER, small, 84).getFirst().length);
    }

    @ParameterizedTest
    @MethodSource("suites")
    void protectedLengthMatchesWhatEncryptionProduces(EncryptionAlgorithm e, IntegrityAlgorithm i) {
        SkCrypto s = sk(e, i);
        for (int n = 0; n < 70; n++) {
            byte[] content = range(0, n);
            int actual = s.encryptFragment(HEADER, List.of(), 0, 1, 1, content).length - IkeFragments.FRAGMENT_OVERHEAD;
            assertEquals(actual, s.protectedLength(n), "content of " + n);
            int max = s.maxContentLength(actual);
            assertTrue(max >= n && s.protectedLength(max) == actual, "max content in " + actual + ": " + max);
            assertFalse(s.protectedLength(max + 1) <= actual);
        }
    }
}
