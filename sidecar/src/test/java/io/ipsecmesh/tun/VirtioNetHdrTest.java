package io.ipsecmesh.tun;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtioNetHdrTest {

    @Test
    void encodesLittleEndianInKernelFieldOrder() {
        // flags NEEDS_CSUM, TCPV4|ECN, hdr_len 52, gso_size 1448, csum_start 20, csum_offset 16
        VirtioNetHdr h = new VirtioNetHdr().set(1, 0x81, 52, 1448, 20, 16);
        byte[] b = new byte[12];
        h.encode(b, 1);
        assertArrayEquals(new byte[] {0, 1, (byte) 0x81, 52, 0, (byte) 0xa8, 0x05, 20, 0, 16, 0, 0}, b);
    }

    @Test
    void decodesWhatItEncodes() {
        byte[] b = {2, 5, (byte) 0xff, (byte) 0xff, 0x34, 0x12, 0x28, 0, 6, 0};
        VirtioNetHdr h = new VirtioNetHdr().decode(b, 0);
        assertEquals(2, h.flags());
        assertEquals(VirtioNetHdr.GSO_UDP_L4, h.gsoType());
        assertEquals(0xffff, h.hdrLen());
        assertEquals(0x1234, h.gsoSize());
        assertEquals(40, h.csumStart());
        assertEquals(6, h.csumOffset());
        assertFalse(h.needsCsum());
        assertTrue(h.isGso());
        byte[] again = new byte[10];
        h.encode(again, 0);
        assertArrayEquals(b, again);
        assertEquals(h, new VirtioNetHdr().decode(again, 0));
    }

    @Test
    void ecnBitAloneIsNotGso() {
        assertFalse(new VirtioNetHdr().set(0, VirtioNetHdr.GSO_ECN, 0, 0, 0, 0).isGso());
        assertTrue(new VirtioNetHdr().set(1, 0, 0, 0, 0, 0).needsCsum());
    }

    @Test
    void plainHeaderIsZeroExceptFlags() {
        byte[] b = new byte[10];
        java.util.Arrays.fill(b, (byte) 0x77);
        VirtioNetHdr.encodePlain(b, 0, VirtioNetHdr.F_DATA_VALID);
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 0, 0, 0, 0, 0}, b);
        assertEquals(new VirtioNetHdr().set(2, 0, 0, 0, 0, 0), new VirtioNetHdr().decode(b, 0));
    }

    @Test
    void boundsAreChecked() {
        assertThrows(IndexOutOfBoundsException.class, () -> new VirtioNetHdr().decode(new byte[9], 0));
        assertThrows(IndexOutOfBoundsException.class, () -> new VirtioNetHdr().encode(new byte[12], 3));
    }
}
