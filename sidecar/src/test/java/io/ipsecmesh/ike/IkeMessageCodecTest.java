package io.ipsecmesh.ike;

import static io.ipsecmesh.ike.IkeTestBytes.hex;
import static io.ipsecmesh.ike.IkeTestBytes.range;
import static io.ipsecmesh.ike.IkeTestBytes.toHex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The message codec: a real IKE_SA_INIT request, round trips of every payload class, and
 * hostile input.
 *
 * <p>The real message is {@code IKE_SA_INIT_RAW_PACKET} from the Android Open Source
 * Project's IKE library tests (packages/modules/IPsec,
 * {@code tests/iketests/.../ikev2/message/IkeHeaderTest.java}, Apache-2.0), copied
 * unchanged: SA (AES-CBC-128, HMAC-SHA1-96, MODP 1024, PRF-HMAC-SHA1), KE, Nonce,
 * NAT_DETECTION_SOURCE_IP, NAT_DETECTION_DESTINATION_IP and a Vendor ID.
 */
class IkeMessageCodecTest {

    static final byte[] AOSP_IKE_SA_INIT = hex("""
            8f54bf6d8b48e6e100000000000000002120220800000000
            00000150220000300000002c010100040300000c0100000c
            800e00800300000803000002030000080400000200000008
            020000022800008800020000b4a2faf4bb54878ae21d6385
            12ece55d9236fc5046ab6cef82220f421f3ce6361faf3656
            4ecb6d28798a94aad7b2b4b603ddeaaa5630adb9ece8ac37
            534036040610ebdd92f46bef84f0be7db860351843858f8a
            cf87056e272377f70c9f2d81e29c7b0ce4f291a3a72476bb
            0b278fd4b7b0a4c26bbeb08214c707137607958729000024
            c39b7f368f4681b89fa9b7be6465abd7c5f68b6ed5d3b4c7
            2cb4240eb5c464122900001c00004004e54f73b7d83f6beb
            881eab2051d8663f421d10b02b00001c00004005d915368c
            a036004cb578ae3e3fb268509aeab1900000002069936922
            8741c6d4ca094c93e242c9de19e7b7c60000000500000500""");

    @Test
    void decodesTheAospIkeSaInit() throws IkeParseException {
        IkeMessage m = IkeMessage.decode(AOSP_IKE_SA_INIT);
        IkeHeader h = m.header();
        assertEquals(0x8f54bf6d8b48e6e1L, h.initiatorSpi());
        assertEquals(0, h.responderSpi());
        assertEquals(ExchangeType.IKE_SA_INIT, h.exchange().orElseThrow());
        assertTrue(h.isInitiator());
        assertFalse(h.isResponse());
        assertFalse(h.isVersionFlag());
        assertEquals(0, h.messageId());
        assertEquals(List.of(33, 34, 40, 41, 41, 43), m.payloads().stream().map(IkePayload::type).toList());

        Proposal p = m.payloads(SaPayload.class).getFirst().proposals().getFirst();
        assertEquals(1, p.number());
        assertEquals(ProtocolId.IKE.value(), p.protocolId());
        assertEquals(0, p.spi().length);
        Transform encr = p.transformsOf(TransformType.ENCR).getFirst();
        assertEquals(EncryptionAlgorithm.AES_CBC_128.ikeTransformId(), encr.transformId());
        assertEquals(128, encr.keyLengthBits().orElseThrow());
        assertEquals(2, p.transformsOf(TransformType.INTEG).getFirst().transformId());
        assertEquals(2, p.transformsOf(TransformType.KE).getFirst().transformId());
        assertEquals(2, p.transformsOf(TransformType.PRF).getFirst().transformId());

        KePayload ke = m.payloads(KePayload.class).getFirst();
        assertEquals(2, ke.dhGroup());
        assertEquals(128, ke.keyExchangeData().length);
        assertEquals(32, m.payloads(NoncePayload.class).getFirst().nonce().length);
        assertEquals("e54f73b7d83f6beb881eab2051d8663f421d10b0",
                toHex(m.notifies(NotifyType.NAT_DETECTION_SOURCE_IP).getFirst().data()));
        assertEquals("d915368ca036004cb578ae3e3fb268509aeab190",
                toHex(m.notifies(NotifyType.NAT_DETECTION_DESTINATION_IP).getFirst().data()));
        assertEquals(28, m.payloads(VendorIdPayload.class).getFirst().vendorId().length);
    }

    @Test
    void aospIkeSaInitRoundTripsByteForByte() throws IkeParseException {
        assertArrayEquals(AOSP_IKE_SA_INIT, IkeMessage.decode(AOSP_IKE_SA_INIT).encode());
    }

    /** Every prefix fails, whether the Length field says so or is patched to match the prefix. */
    @Test
    void everyTruncationOfTheRealMessageIsRejected() {
        for (int len = 0; len < AOSP_IKE_SA_INIT.length; len++) {
            byte[] cut = Arrays.copyOf(AOSP_IKE_SA_INIT, len);
            assertRejected(cut, "prefix of " + len);
            if (len >= IkeHeader.LENGTH) {
                ByteBuffer.wrap(cut).putInt(24, len);
                assertRejected(cut, "prefix of " + len + " with matching Length");
            }
        }
    }

    @Test
    void headerLengthFieldMustMatchTheDatagram() {
        for (int delta : new int[] {-1, 1, -300, 1 << 20}) {
            byte[] m = AOSP_IKE_SA_INIT.clone();
            ByteBuffer.wrap(m).putInt(24, m.length + delta);
            assertTrue(assertRejected(m, "length " + delta).getMessage().contains("length"));
        }
        byte[] longer = Arrays.copyOf(AOSP_IKE_SA_INIT, AOSP_IKE_SA_INIT.length + 4);
        assertRejected(longer, "datagram longer than Length");
        ByteBuffer.wrap(longer).putInt(24, longer.length);
        assertTrue(assertRejected(longer, "trailing bytes after the chain").getMessage().contains("follow"));
    }

    @Test
    void payloadLengthsTooBigOrTooSmallAreRejected() {
        int saLengthAt = 28 + 2;   // SA generic header length field
        int keLengthAt = 28 + 48 + 2;
        for (int bad : new int[] {0, 3, 4, 47, 49, 0xffff}) {
            byte[] m = AOSP_IKE_SA_INIT.clone();
            ByteBuffer.wrap(m).putShort(saLengthAt, (short) bad);
            assertRejected(m, "SA length " + bad);
        }
        for (int bad : new int[] {0, 3, 135, 137, 0xffff}) {
            byte[] m = AOSP_IKE_SA_INIT.clone();
            ByteBuffer.wrap(m).putShort(keLengthAt, (short) bad);
            assertRejected(m, "KE length " + bad);
        }
        byte[] m = AOSP_IKE_SA_INIT.clone();
        ByteBuffer.wrap(m).putShort(28 + 4 + 2, (short) 0x2d); // proposal length 44 -> 45
        assertRejected(m, "proposal length");
        m = AOSP_IKE_SA_INIT.clone();
        m[28 + 4 + 7] = 5; // 4 transforms announced as 5
        assertTrue(assertRejected(m, "transform count").getMessage().contains("transforms"));
        m = AOSP_IKE_SA_INIT.clone();
        m[28 + 4] = 2; // the only proposal claims more follow
        assertRejected(m, "proposal last flag");
    }

    /** A chain of Vendor IDs whose last one still names a next payload: runs past the end. */
    @Test
    void aChainClaimingMorePayloadsThanTheMessageHoldsIsRejected() {
        ByteBuffer b = ByteBuffer.allocate(IkeHeader.LENGTH + 50 * 8);
        b.putLong(1).putLong(0).put((byte) 43).put((byte) 0x20).put((byte) 34).put((byte) 8).putInt(0)
                .putInt(b.capacity());
        for (int i = 0; i < 50; i++) {
            b.put((byte) 43).put((byte) 0).putShort((short) 8).putInt(i);
        }
        IkeParseException e = assertRejected(b.array(), "endless chain");
        assertTrue(e.getMessage().contains("ends"), e.getMessage());
        assertEquals(NotifyType.INVALID_SYNTAX, e.errorNotify());

        // the same chain where one payload claims more bytes than are left
        byte[] m = b.array();
        ByteBuffer.wrap(m).putShort(IkeHeader.LENGTH + 10 * 8 + 2, (short) 4000);
        assertTrue(assertRejected(m, "oversized member").getMessage().contains("claims length 4000"));
    }

    @Test
    void unknownCriticalPayloadRejectsTheMessage() {
        IkeMessage msg = new IkeMessage(header(ExchangeType.IKE_SA_INIT), List.of(
                new NoncePayload(range(1, 32)), new UnknownPayload(200, true, range(9, 6)),
                new VendorIdPayload(range(3, 4))));
        IkeParseException e = assertRejected(msg.encode(), "critical unknown");
        assertEquals(NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD, e.errorNotify());
        assertArrayEquals(new byte[] {(byte) 200}, e.errorNotifyData());
        assertTrue(e.getMessage().contains("200"), e.getMessage());
    }

    @Test
    void unknownNonCriticalPayloadIsSkippedAndKept() throws IkeParseException {
        IkeMessage msg = new IkeMessage(header(ExchangeType.INFORMATIONAL), List.of(
                new UnknownPayload(47, false, range(9, 6)), NotifyPayload.of(NotifyType.INITIAL_CONTACT)));
        byte[] wire = msg.encode();
        IkeMessage back = IkeMessage.decode(wire);
        assertEquals(msg, back);
        assertArrayEquals(wire, back.encode());
        assertEquals(1, back.notifies(NotifyType.INITIAL_CONTACT).size());
    }

    @Test
    void majorVersionOtherThanTwoIsRejected() {
        for (int version : new int[] {0x10, 0x30, 0x00}) {
            byte[] m = AOSP_IKE_SA_INIT.clone();
            m[17] = (byte) version;
            assertEquals(NotifyType.INVALID_MAJOR_VERSION, assertRejected(m, "version " + version).errorNotify());
        }
        byte[] minor = AOSP_IKE_SA_INIT.clone();
        minor[17] = 0x21; // minor versions are ignored (RFC 7296 §2.5) and kept
        try {
            IkeMessage m = IkeMessage.decode(minor);
            assertEquals(1, m.header().minorVersion());
            assertArrayEquals(minor, m.encode());
        } catch (IkeParseException e) {
            fail(e);
        }
    }

    /** Every payload class, as an IKE_AUTH would carry them in the clear, round trips. */
    @Test
    void everyPayloadClassRoundTrips() throws Exception {
        SaPayload sa = new SaPayload(List.of(
                new Proposal(1, ProtocolId.ESP, hex("c0ffee01"), List.of(
                        Transform.encryption(EncryptionAlgorithm.AES_GCM_16_256),
                        new Transform(TransformType.ESN, 0))),
                new Proposal(2, ProtocolId.ESP, hex("c0ffee01"), List.of(
                        Transform.encryption(EncryptionAlgorithm.AES_CBC_128),
                        Transform.integrity(IntegrityAlgorithm.HMAC_SHA2_256_128),
                        new Transform(TransformType.ESN.value(), 0,
                                List.of(new TransformAttribute(17, false, hex("0102030405"))))))));
        List<IkePayload> all = List.of(
                IdPayload.fqdn(true, "node-1.cluster.example"),
                new CertPayload(CertPayload.X509_SIGNATURE, range(0x30, 90)),
                new CertReqPayload(CertPayload.X509_SIGNATURE, range(0x50, 40)),
                new IdPayload(false, IdPayload.ID_IPV6_ADDR, range(0x20, 16)),
                new AuthPayload(AuthPayload.DIGITAL_SIGNATURE, range(0x11, 80)),
                NotifyPayload.of(NotifyType.USE_TRANSPORT_MODE),
                NotifyPayload.of(NotifyType.INITIAL_CONTACT),
                NotifyPayload.rekeySa(ProtocolId.ESP, 0x12345678),
                NotifyPayload.signatureHashAlgorithms(List.of(2, 3, 4)),
                NotifyPayload.invalidKePayload(19),
                NotifyPayload.of(NotifyType.COOKIE, range(7, 64)),
                NotifyPayload.of(NotifyType.IKEV2_FRAGMENTATION_SUPPORTED),
                NotifyPayload.of(NotifyType.NO_PROPOSAL_CHOSEN),
                NotifyPayload.of(NotifyType.AUTHENTICATION_FAILED),
                new NotifyPayload(0, new byte[0], 40000, range(1, 3)),
                sa,
                new TsPayload(true, List.of(
                        TrafficSelector.host(InetAddress.getByName("10.244.1.7")),
                        TrafficSelector.range(InetAddress.getByName("10.244.1.0"),
                                InetAddress.getByName("10.244.1.255"), 6, 443, 443),
                        TrafficSelector.host(InetAddress.getByName("fd00:10:244:1::7")),
                        new TrafficSelector(TrafficSelector.TS_IPV6_ADDR_RANGE, 0, 0, 0xffff,
                                hex("00000000000000000000ffff0a000001"),
                                hex("00000000000000000000ffff0a0000ff")))),
                new TsPayload(false, List.of(TrafficSelector.host(InetAddress.getByName("10.244.2.9")))),
                DeletePayload.childSas(ProtocolId.ESP, List.of(0xc0ffee01, 0x00000102)),
                DeletePayload.ikeSa(),
                new KePayload(19, range(0x04, 64)),
                new NoncePayload(range(0x99, 32)),
                new VendorIdPayload(new byte[0]));
        IkeMessage msg = new IkeMessage(header(ExchangeType.IKE_AUTH), all);
        byte[] wire = msg.encode();
        IkeMessage back = IkeMessage.decode(wire);
        assertEquals(msg, back);
        assertArrayEquals(wire, back.encode());

        // spot checks of decoded values
        assertEquals(19, back.notifies(NotifyType.INVALID_KE_PAYLOAD).getFirst().invalidKeGroup());
        assertEquals(List.of(2, 3, 4),
                back.notifies(NotifyType.SIGNATURE_HASH_ALGORITHMS).getFirst().signatureHashAlgorithmList());
        NotifyPayload rekey = back.notifies(NotifyType.REKEY_SA).getFirst();
        assertEquals(ProtocolId.ESP.value(), rekey.protocolId());
        assertEquals("12345678", toHex(rekey.spi()));
        TsPayload tsi = back.payloads(TsPayload.class).getFirst();
        assertEquals(InetAddress.getByName("10.244.1.255"), tsi.selectors().get(1).end());
        assertEquals(TrafficSelector.TS_IPV6_ADDR_RANGE, tsi.selectors().get(3).tsType());
        assertEquals(16, tsi.selectors().get(3).startAddress().length); // IPv4-mapped stays IPv6
        assertEquals(List.of(0xc0ffee01, 0x102), back.payloads(DeletePayload.class).getFirst().spis());
        assertEquals(256, back.payloads(SaPayload.class).getFirst().proposals().getFirst()
                .transformsOf(TransformType.ENCR).getFirst().keyLengthBits().orElseThrow());
        assertEquals("IDi[type 2, node-1.cluster.example]", back.payloads(IdPayload.class).getFirst().toString());
        // the body of an ID payload is the RestOfIDPayload that AUTH signs (§2.15)
        assertEquals("02000000" + toHex("node-1.cluster.example".getBytes()),
                toHex(back.payloads(IdPayload.class).getFirst().encodeBody()));

        // every strict prefix with a patched Length is rejected
        for (int len = IkeHeader.LENGTH; len < wire.length; len++) {
            byte[] cut = Arrays.copyOf(wire, len);
            ByteBuffer.wrap(cut).putInt(24, len);
            assertRejected(cut, "prefix of " + len);
        }
    }

    @Test
    void encryptedPayloadIsOpaqueLastAndItsInnerChainDecodes() throws IkeParseException {
        List<IkePayload> inner = List.of(IdPayload.fqdn(false, "node-2"),
                new AuthPayload(AuthPayload.SHARED_KEY_MIC, range(1, 32)));
        byte[] plain = PayloadChain.encode(inner);
        IkeMessage msg = new IkeMessage(header(ExchangeType.IKE_AUTH),
                List.of(new SkPayload(PayloadChain.firstType(inner), range(0x70, 64))));
        byte[] wire = msg.encode();
        assertEquals(PayloadType.ENCRYPTED.value(), wire[16]);
        assertEquals(PayloadType.IDR.value(), wire[28]); // SK's Next Payload names the first inner payload
        IkeMessage back = IkeMessage.decode(wire);
        assertEquals(msg, back);
        assertArrayEquals(wire, back.encode());
        assertEquals(inner, PayloadChain.decode(PayloadType.IDR.value(), plain, 0, plain.length));

        // SK must come last, on encode and on decode
        assertThrows(IllegalArgumentException.class, () -> new IkeMessage(header(ExchangeType.IKE_AUTH), List.of(
                new SkPayload(0, range(0, 16)), new VendorIdPayload(range(0, 4)))).encode());
        byte[] notLast = Arrays.copyOf(wire, wire.length + 8);
        ByteBuffer.wrap(notLast).putInt(24, notLast.length).putShort(wire.length + 2, (short) 8);
        assertTrue(assertRejected(notLast, "SK not last").getMessage().contains("last payload"));
        // and SK payloads do not nest
        byte[] nested = PayloadChain.encode(List.of(new SkPayload(0, range(0, 16))));
        assertThrows(IkeParseException.class, () -> PayloadChain.decode(46, nested, 0, nested.length));
        assertThrows(IkeParseException.class, () -> PayloadChain.decode(33, nested, 4, nested.length));
    }

    @Test
    void malformedPayloadBodiesAreRejected() throws Exception {
        // NAT detection must be a 20-byte hash
        assertPayloadRejected(41, "00004004" + "00".repeat(19));
        // nonce of 15 and 257 bytes
        assertPayloadRejected(40, "00".repeat(15));
        assertPayloadRejected(40, "00".repeat(257));
        // TS count larger than the selectors present, and a TS of unknown type
        String ts = "07000010" + "0000ffff" + "0a0000010a000001";
        assertPayloadRejected(44, "02000000" + ts);
        assertPayloadRejected(44, "01000000" + "09000010" + "0000ffff" + "0a0000010a000001");
        assertPayloadRejected(44, "01000000" + "07000011" + "0000ffff" + "0a0000010a00000100");
        // Delete of ESP SPIs whose count disagrees with the bytes
        assertPayloadRejected(42, "03040002" + "c0ffee01");
        assertPayloadRejected(42, "01000001");
        // IPv4 identity of 5 bytes, AUTH without data, KE without data
        assertPayloadRejected(35, "01000000" + "0a00000101");
        assertPayloadRejected(39, "0e000000");
        assertPayloadRejected(34, "00130000");
        // INVALID_KE_PAYLOAD without its group, odd SIGNATURE_HASH_ALGORITHMS
        assertPayloadRejected(41, "00000011");
        assertPayloadRejected(41, "0000402f" + "000203");
        // transform attribute running past its transform
        assertPayloadRejected(33, "0000001401010001" + "0000000c0100000c" + "000e0008");
        assertPayloadRejected(33, "0000001001010000" + "0000000c0100000c");
    }

    /** Random corruption of valid messages never escapes as anything but IkeParseException. */
    @Test
    void fuzzedInputOnlyEverFailsWithIkeParseException() throws Exception {
        Random random = new Random(7296);
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(AOSP_IKE_SA_INIT);
        seeds.add(new IkeMessage(header(ExchangeType.CREATE_CHILD_SA), List.of(
                new SaPayload(List.of(new Proposal(1, ProtocolId.ESP, range(1, 4),
                        List.of(Transform.encryption(EncryptionAlgorithm.AES_GCM_16_128))))),
                new NoncePayload(range(5, 32)), new KePayload(31, range(9, 32)),
                new TsPayload(true, List.of(TrafficSelector.host(InetAddress.getByName("fd00::1")))),
                DeletePayload.childSas(ProtocolId.ESP, List.of(7)))).encode());
        int decoded = 0;
        for (int i = 0; i < 20000; i++) {
            byte[] m = seeds.get(i % seeds.size()).clone();
            int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits; e++) {
                int at = IkeHeader.LENGTH - 4 + random.nextInt(m.length - IkeHeader.LENGTH + 4);
                m[at] = (byte) (random.nextInt(4) == 0 ? m[at] ^ (1 << random.nextInt(8)) : random.nextInt(256));
            }
            if (random.nextBoolean()) {
                m = Arrays.copyOf(m, IkeHeader.LENGTH + random.nextInt(m.length - IkeHeader.LENGTH + 1));
                ByteBuffer.wrap(m).putInt(24, m.length);
            }
            try {
                IkeMessage msg = IkeMessage.decode(m);
                decoded++;
                assertEquals(msg, IkeMessage.decode(msg.encode()), "re-encoding a decoded message is stable");
            } catch (IkeParseException expected) {
                assertFalse(expected.getMessage().isBlank());
            } catch (RuntimeException e) {
                fail("input " + toHex(m) + " escaped as " + e, e);
            }
        }
        assertTrue(decoded > 0, "some mutations (e.g. inside nonces) stay valid");
    }

    @Test
    void headerFlagsAndFactories() {
        IkeHeader h = IkeHeader.of(1, 2, ExchangeType.INFORMATIONAL, false, true, -1);
        assertFalse(h.isInitiator());
        assertTrue(h.isResponse());
        assertEquals(0xffffffffL, h.messageIdUnsigned());
        byte[] wire = new IkeMessage(h, List.of()).encode();
        assertEquals(IkeHeader.LENGTH, wire.length);
        assertEquals("0000000000000001000000000000000200202520ffffffff0000001c", toHex(wire));
        assertThrows(IllegalArgumentException.class, () -> new NoncePayload(new byte[15]));
        assertThrows(IllegalArgumentException.class, () -> NotifyPayload.of(NotifyType.NAT_DETECTION_SOURCE_IP));
        assertThrows(IllegalArgumentException.class, () -> new UnknownPayload(41, false, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> new TsPayload(true, List.of()));
        assertInstanceOf(IkeParseException.class, new IkeParseException("x"));
    }

    private static IkeHeader header(ExchangeType exchange) {
        return IkeHeader.of(0x0102030405060708L, 0x1112131415161718L, exchange, true, false, 1);
    }

    /** Wraps one payload body (hex) into a message whose first payload has this type. */
    private static void assertPayloadRejected(int type, String bodyHex) {
        byte[] body = hex(bodyHex);
        ByteBuffer b = ByteBuffer.allocate(IkeHeader.LENGTH + 4 + body.length);
        b.putLong(1).putLong(2).put((byte) type).put((byte) 0x20).put((byte) 35).put((byte) 8).putInt(1)
                .putInt(b.capacity());
        b.put((byte) 0).put((byte) 0).putShort((short) (4 + body.length)).put(body);
        assertRejected(b.array(), "payload " + type + " body " + bodyHex);
    }

    private static IkeParseException assertRejected(byte[] message, String what) {
        try {
            IkeMessage.decode(message);
        } catch (IkeParseException e) {
            assertFalse(e.getMessage() == null || e.getMessage().isBlank(), what);
            return e;
        } catch (RuntimeException e) {
            fail(what + ": escaped as " + e, e);
        }
        return fail(what + ": accepted " + toHex(message));
    }
}
