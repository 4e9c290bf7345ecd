package io.ipsecmesh.sa;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SecurityAssociationTest {

    static SaConfig config(boolean esn, Lifetime lifetime) {
        return new SaConfig("t", Direction.OUT, SecurityProtocol.ESP, 0x1234, Mode.TRANSPORT,
                Prefix.parseAddress("198.18.1.2"), Prefix.parseAddress("198.18.2.2"), EncryptionAlgorithm.AES_GCM_16_128,
                new byte[20], IntegrityAlgorithm.NONE, null, esn, 64, null, 0, lifetime, List.of(), false);
    }

    static final class Events implements SaListener {
        final List<String> log = new ArrayList<>();

        @Override
        public void softExpired(SecurityAssociation sa, Limit limit) {
            log.add("soft " + limit);
        }

        @Override
        public void hardExpired(SecurityAssociation sa, Limit limit) {
            log.add("hard " + limit);
        }
    }

    @Test
    void sequenceNumbersNeverWrapAndWarnEarly() {
        SecurityAssociation sa = new SecurityAssociation(config(false, Lifetime.UNLIMITED), 1, new Random(1));
        Events ev = new Events();
        sa.setListener(ev);
        sa.setNextSequenceNumber(SecurityAssociation.SEQ_SOFT_32 - 1);
        assertEquals(SecurityAssociation.SEQ_SOFT_32 - 1, sa.nextSequenceNumber());
        assertTrue(ev.log.isEmpty());
        sa.nextSequenceNumber();
        assertEquals(List.of("soft SEQUENCE_NUMBERS"), ev.log, "2^28 packets before the end: time to rekey");
        sa.setNextSequenceNumber(0xffff_ffffL);
        assertEquals(0xffff_ffffL, sa.nextSequenceNumber(), "the last number is used");
        assertEquals(-1, sa.nextSequenceNumber(), "then nothing: no wrap to 0");
        assertEquals(-1, sa.nextSequenceNumber());
        assertFalse(sa.isAlive());
        assertEquals(List.of("soft SEQUENCE_NUMBERS", "hard SEQUENCE_NUMBERS"), ev.log);
    }

    @Test
    void esnGoesPast32Bits() {
        SecurityAssociation sa = new SecurityAssociation(config(true, Lifetime.UNLIMITED), 1, new Random(1));
        sa.setNextSequenceNumber(0xffff_ffffL);
        assertEquals(0xffff_ffffL, sa.nextSequenceNumber());
        assertEquals(0x1_0000_0000L, sa.nextSequenceNumber());
        assertTrue(sa.isAlive());
    }

    @Test
    void packetAndByteLifetimes() {
        SecurityAssociation sa = new SecurityAssociation(config(false, Lifetime.UNLIMITED.withPackets(3, 5).withBytes(0, 10_000)),
                1, new Random(1));
        Events ev = new Events();
        sa.setListener(ev);
        assertTrue(sa.account(100));
        assertTrue(sa.account(100));
        assertTrue(ev.log.isEmpty());
        assertTrue(sa.account(100));
        assertEquals(List.of("soft PACKETS"), ev.log);
        assertTrue(sa.account(100));
        assertTrue(sa.account(100));
        assertFalse(sa.account(100), "the sixth packet is past the hard limit");
        assertEquals(List.of("soft PACKETS", "hard PACKETS"), ev.log);
        assertFalse(sa.isAlive());

        SecurityAssociation bytes = new SecurityAssociation(config(false, Lifetime.UNLIMITED.withBytes(1000, 2000)), 1, new Random(1));
        Events ev2 = new Events();
        bytes.setListener(ev2);
        assertTrue(bytes.account(999));
        assertTrue(bytes.account(1));
        assertEquals(List.of("soft BYTES"), ev2.log);
        assertTrue(bytes.account(1000));
        assertFalse(bytes.account(1));
        assertEquals(List.of("soft BYTES", "hard BYTES"), ev2.log);
    }

    @Test
    void timeLifetimes() {
        SecurityAssociation sa = new SecurityAssociation(config(false, Lifetime.UNLIMITED.withSeconds(10, 20)), 1, new Random(1));
        Events ev = new Events();
        sa.setListener(ev);
        long now = System.nanoTime();
        sa.checkTime(now + 5_000_000_000L);
        assertTrue(ev.log.isEmpty());
        sa.checkTime(now + 11_000_000_000L);
        sa.checkTime(now + 12_000_000_000L);
        assertEquals(List.of("soft SECONDS"), ev.log, "raised once");
        sa.checkTime(now + 21_000_000_000L);
        assertEquals(List.of("soft SECONDS", "hard SECONDS"), ev.log);
        assertFalse(sa.account(1));
    }

    @Test
    void destroyZeroesTheKeys() {
        byte[] key = new byte[20];
        java.util.Arrays.fill(key, (byte) 7);
        SaConfig c = new SaConfig("t", Direction.OUT, SecurityProtocol.ESP, 0x1234, Mode.TRANSPORT,
                Prefix.parseAddress("198.18.1.2"), Prefix.parseAddress("198.18.2.2"), EncryptionAlgorithm.AES_GCM_16_128,
                key, IntegrityAlgorithm.NONE, null, false, 64, null, 0, Lifetime.UNLIMITED, List.of(), false);
        SecurityAssociation sa = new SecurityAssociation(c, 2, new Random(1));
        sa.destroy();
        assertArrayEquals(new byte[20], key);
        assertFalse(sa.isAlive());
    }

    @Test
    void badConfigurationsAreRefusedWithReasons() {
        var ex = assertThrows(IllegalArgumentException.class, () -> new SaConfig("x", Direction.OUT, SecurityProtocol.ESP, 0x1234,
                Mode.TRANSPORT, Prefix.parseAddress("198.18.1.2"), Prefix.parseAddress("198.18.2.2"),
                EncryptionAlgorithm.TRIPLE_DES_CBC, new byte[24], IntegrityAlgorithm.HMAC_SHA2_256_128, new byte[32],
                false, 64, null, 0, null, null, false));
        assertTrue(ex.getMessage().contains("legacy"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> config(false, Lifetime.UNLIMITED.withBytes(10, 5)));
        assertTrue(ex.getMessage().contains("exceeds"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> new SaConfig("x", Direction.OUT, SecurityProtocol.ESP, 5,
                Mode.TRANSPORT, Prefix.parseAddress("198.18.1.2"), Prefix.parseAddress("198.18.2.2"),
                EncryptionAlgorithm.AES_GCM_16_128, new byte[20], null, null, false, 64, null, 0, null, null, false));
        assertTrue(ex.getMessage().contains("reserved"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> new SaConfig("x", Direction.OUT, SecurityProtocol.ESP, 0x1234,
                Mode.TRANSPORT, Prefix.parseAddress("198.18.1.2"), Prefix.parseAddress("198.18.2.2"),
                EncryptionAlgorithm.AES_GCM_16_128, new byte[16], null, null, false, 64, null, 0, null, null, false));
        assertTrue(ex.getMessage().contains("20 bytes"), ex.getMessage());
    }
}
