package io.ipsecmesh.ike.engine;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The config file's fragmentation keys (docs/ike.md). */
class IkeConfigFileTest {

    private static List<String> file(String... extra) {
        List<String> lines = new ArrayList<>(List.of(
                "conn peer",
                "  local 198.19.0.1",
                "  remote 198.19.0.2",
                "  local-id a.ipsm.test",
                "  remote-id b.ipsm.test",
                "  auth psk",
                "  psk \"a pre-shared key of ipsec-mesh tests\""));
        lines.addAll(List.of(extra));
        return lines;
    }

    @Test
    void fragmentationDefaultsToYesWith1280Bytes() {
        IkeConfig.Conn c = IkeConfigFile.parse(file()).getFirst();
        assertEquals(IkeConfig.FragmentationMode.YES, c.fragmentation().mode());
        assertEquals(1280, c.fragmentation().size());
        assertEquals(1280 - 20 - 8, c.fragmentation().maxMessageLength(false, false));
        assertEquals(1280 - 40 - 8 - 4, c.fragmentation().maxMessageLength(true, true));
    }

    @Test
    void fragmentationKeysAreRead() {
        for (String mode : List.of("yes", "no", "accept", "force")) {
            IkeConfig.Conn c = IkeConfigFile.parse(file("  fragmentation " + mode, "  fragment-size 576")).getFirst();
            assertEquals(mode, c.fragmentation().mode().keyword());
            assertEquals(576, c.fragmentation().size());
        }
        assertTrue(IkeConfig.FragmentationMode.FORCE.sends() && IkeConfig.FragmentationMode.YES.sends());
        assertTrue(!IkeConfig.FragmentationMode.ACCEPT.sends() && IkeConfig.FragmentationMode.ACCEPT.announces());
        assertTrue(!IkeConfig.FragmentationMode.NO.announces());
    }

    @Test
    void badFragmentationValuesNameTheLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IkeConfigFile.parse(file("  fragmentation maybe")));
        assertTrue(e.getMessage().startsWith("line 8: fragmentation: yes, no, accept or force"), e.getMessage());
        for (String size : List.of("511", "65536", "-1", "big")) {
            e = assertThrows(IllegalArgumentException.class, () -> IkeConfigFile.parse(file("  fragment-size " + size)));
            assertTrue(e.getMessage().startsWith("line 8: "), e.getMessage());
        }
    }
}
