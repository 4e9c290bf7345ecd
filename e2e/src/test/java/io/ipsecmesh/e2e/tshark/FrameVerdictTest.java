package io.ipsecmesh.e2e.tshark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Parsing of tshark's -T fields output and the clean/problem rules (needs no tshark). */
class FrameVerdictTest {

    private static final String RS = "\u001e";
    private static final String US = "\u001f";

    private static String line(String... fields) {
        return String.join(RS, fields);
    }

    @Test
    void parsesTshark40Output() {
        String out = line("1", "raw:ip:udp:udpencap:esp:ip:icmp:data", "0x00001003", "7", "4", "1", "0", "", "", "",
                "", "", "", "Echo (ping) request") + "\n"
                + line("2", "raw:ip:esp", "0x00001002", "1", "", "", "", "", "", "[Malformed Packet: ESP]" + US + "_ws.malformed",
                "8388608" + US + "6291456", "150994944" + US + "33554432",
                "IPv4 total length exceeds packet length (30 bytes)" + US + "Wrong Sequence, Number", "ESP") + "\n";
        List<FrameVerdict> v = TsharkJudge.parse(out);
        assertEquals(2, v.size());

        FrameVerdict a = v.getFirst();
        assertEquals(0x1003L, a.espSpi());
        assertEquals(7L, a.espSequence());
        assertEquals(4, a.espNextHeader());
        assertEquals(FrameVerdict.Icv.GOOD, a.icv());
        assertTrue(a.decrypted());
        assertTrue(a.isUdpEncapsulated());
        assertEquals(List.of("ip", "icmp", "data"), a.innerLayers());
        assertTrue(a.clean(), a::toString);

        FrameVerdict b = v.get(1);
        assertTrue(b.malformed());
        assertNull(b.espNextHeader());
        assertEquals(FrameVerdict.Icv.UNCHECKED, b.icv());
        assertEquals(2, b.experts().size());
        assertEquals(FrameVerdict.Severity.ERROR, b.experts().get(0).severity());
        assertEquals(FrameVerdict.Group.PROTOCOL, b.experts().get(0).group());
        assertEquals(FrameVerdict.Group.SEQUENCE, b.experts().get(1).group());
        assertEquals("Wrong Sequence, Number", b.experts().get(1).message());
        assertEquals(List.of("malformed", "expert ERROR/PROTOCOL: IPv4 total length exceeds packet length (30 bytes)",
                "ESP not decrypted/dissected (layers after esp: [])", "ESP ICV not checked"), b.problems(true));
        assertThrows(AssertionError.class, () -> TsharkJudge.assertAllClean(v));
    }

    @Test
    void acceptsNewerBooleanAndSeverityRendering() {
        FrameVerdict f = TsharkJudge.parse(line("3", "raw:ipv6:esp:icmpv6", "0x00000001", "1", "58", "False", "True",
                "", "", "", "Warning", "Checksum", "Bad checksum", "x")).getFirst();
        assertEquals(FrameVerdict.Icv.BAD, f.icv());
        assertEquals(FrameVerdict.Severity.WARN, f.experts().getFirst().severity());
        assertTrue(f.experts().getFirst().disqualifies(), "a checksum warning disqualifies");
        assertFalse(f.clean());
    }

    @Test
    void sequenceWarningsDoNotDisqualifyButAreVisible() {
        FrameVerdict f = TsharkJudge.parse(line("1", "raw:ip:esp:tcp", "0x00000001", "1", "6", "1", "0",
                "", "", "", "6291456", "33554432", "Wrong Sequence Number", "x")).getFirst();
        assertTrue(f.clean());
        assertEquals(1, f.warnings().size());
        assertThrows(AssertionError.class, () -> TsharkJudge.assertNoWarnings(List.of(f)));
    }

    @Test
    void rejectsUnexpectedFieldCount() {
        assertThrows(IllegalStateException.class, () -> TsharkJudge.parse(line("1", "raw:ip")));
    }
}
