package io.ipsecmesh.manual;

import io.ipsecmesh.sa.Direction;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.PolicyAction;
import io.ipsecmesh.sa.SecurityProtocol;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ManualKeyingFileTest {
    static final String GCM_KEY = "0x00112233445566778899aabbccddeeff01020304";

    @Test
    void parsesSasAndPolicies() {
        var c = ManualKeyingFile.parse(List.of(
                "# pod1 <-> pod2",
                "sa out1 dir out proto esp spi 0x1001 mode transport src 198.18.1.2 dst 198.18.2.2 enc aes128gcm16 key " + GCM_KEY + " esn",
                "sa in1 dir in proto esp spi 0x2002 mode tunnel src 2001:db8:ff::2 dst 2001:db8:ff::1 enc aes256 key "
                        + "00".repeat(32) + " integ sha384 ikey " + "11".repeat(48) + " replay-window 4096 encap udp 4500 4500"
                        + " lifetime-packets 100:200 lifetime-seconds 30:60",
                "sa ah1 dir out proto ah spi 4096 mode transport src 198.18.1.2 dst 198.18.2.2 integ sha512 ikey " + "22".repeat(64),
                "",
                "policy out src 198.18.1.2/32 dst 198.18.2.2 proto tcp dport 5201 action protect sa out1   # iperf",
                "policy in src 2001:db8:2::/64 dst 2001:db8:1::/64 action protect sa in1 priority 10",
                "policy out src 198.18.0.0/15 dst 198.18.0.0/15 action discard"));
        assertEquals(3, c.sas().size());
        var in1 = c.sas().get(1);
        assertEquals(Direction.IN, in1.direction());
        assertEquals(Mode.TUNNEL, in1.mode());
        assertEquals(4096, in1.replayWindow());
        assertEquals(4500, in1.udpEncap().destinationPort());
        assertEquals(200, in1.lifetime().hardPackets());
        assertEquals(1, in1.selectors().size(), "selectors come from the policies naming the SA");
        assertTrue(c.sas().get(0).esn());
        assertEquals(SecurityProtocol.AH, c.sas().get(2).protocol());
        assertEquals(3, c.policies().size());
        assertEquals(5201, c.policies().get(0).selector().dstPortLow());
        assertEquals(PolicyAction.DISCARD, c.policies().get(2).action());
        assertTrue(c.sas().get(0).toString().indexOf("00112233") < 0, "keys never in toString");
    }

    @Test
    void errorsNameTheLineAndTheProblem() {
        assertError("line 1: unknown SA keyword 'colour'", "sa a dir out proto esp spi 0x1001 colour red");
        assertError("line 1: SA 'a' needs 'mode'", "sa a dir out proto esp spi 0x1001 src 198.18.1.2 dst 198.18.2.2 enc aes128gcm16 key " + GCM_KEY);
        assertError("needs a key of 20 bytes", "sa a dir out proto esp spi 0x1001 mode transport src 198.18.1.2 dst 198.18.2.2 enc aes128gcm16 key 0x0011");
        assertError("legacy", "sa a dir out proto esp spi 0x1001 mode transport src 198.18.1.2 dst 198.18.2.2 enc 3des key "
                + "01".repeat(8) + "02".repeat(8) + "03".repeat(8) + " integ sha256 ikey " + "00".repeat(32));
        assertError("not an IP address", "sa a dir out proto esp spi 0x1001 mode transport src pod1.example dst 198.18.2.2");
        assertError("names an SA that is not defined", "policy out src 198.18.1.2 dst 198.18.2.2 action protect sa nope");
        assertError("ports need", "policy out src 198.18.1.2 dst 198.18.2.2 dport 80 action bypass");
        assertError("different families", "policy out src 198.18.1.2 dst 2001:db8::1 action bypass");
        assertError("line 2: SA 'a' is defined twice", "sa a dir out proto ah spi 4096 mode transport src 198.18.1.2 dst 198.18.2.2 integ sha256 ikey " + "00".repeat(32),
                "sa a dir out proto ah spi 4097 mode transport src 198.18.1.2 dst 198.18.2.2 integ sha256 ikey " + "00".repeat(32));
        assertError("expected 'sa' or 'policy'", "state add src 1.2.3.4");
    }

    private static void assertError(String expected, String... lines) {
        var ex = assertThrows(IllegalArgumentException.class, () -> ManualKeyingFile.parse(List.of(lines)));
        assertTrue(ex.getMessage().contains(expected), "'" + ex.getMessage() + "' should contain '" + expected + "'");
    }
}
