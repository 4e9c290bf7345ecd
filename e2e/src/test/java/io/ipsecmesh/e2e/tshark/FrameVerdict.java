package io.ipsecmesh.e2e.tshark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * What tshark made of one frame.
 *
 * @param number       tshark's frame number (1-based, capture order)
 * @param protocols    {@code frame.protocols}, e.g. {@code raw:ip:udp:udpencap:esp:ip:icmp:data}
 * @param espSpi       {@code esp.spi} (first ESP header of the frame), or null if none
 * @param espSequence  {@code esp.sequence}, or null
 * @param espNextHeader {@code esp.protocol}: the decrypted Next Header, or null if not decrypted
 * @param ahSpi        {@code ah.spi}, or null if no AH header
 * @param ahSequence   {@code ah.sequence}, or null
 * @param icv          ESP ICV status from {@code esp.icv_good} / {@code esp.icv_bad}
 * @param malformed    {@code _ws.malformed} present: a dissector hit a malformed-packet exception
 * @param experts      every expert-info item of the frame (severity + message)
 * @param info         the Info column, for messages
 */
public record FrameVerdict(int number, String protocols,
                           Long espSpi, Long espSequence, Integer espNextHeader,
                           Long ahSpi, Long ahSequence,
                           Icv icv, boolean malformed, List<Expert> experts, String info) {

    /** ESP integrity verdict. */
    public enum Icv {
        /** tshark recomputed the ICV (HMAC or AEAD tag) and it matches. */
        GOOD,
        /** tshark recomputed the ICV and it does not match. */
        BAD,
        /** no ICV status: not ESP, no matching SA, NULL authentication without AEAD, or the check could not run. */
        UNCHECKED
    }

    /** Expert-info severities as tshark encodes them ({@code PI_CHAT} ... {@code PI_ERROR} in epan/proto.h). */
    public enum Severity {
        COMMENT(0x00100000), CHAT(0x00200000), NOTE(0x00400000), WARN(0x00600000), ERROR(0x00800000), UNKNOWN(0);

        private final int code;

        Severity(int code) {
            this.code = code;
        }

        /** Parses {@code _ws.expert.severity} output: the number (tshark 4.0) or a name (some newer builds). */
        static Severity parse(String s) {
            String t = s.trim();
            try {
                int v = Integer.decode(t);
                for (Severity sev : values()) {
                    if (sev.code == v) {
                        return sev;
                    }
                }
                return UNKNOWN;
            } catch (NumberFormatException e) {
                return switch (t.toLowerCase(java.util.Locale.ROOT)) {
                    case "comment" -> COMMENT;
                    case "chat" -> CHAT;
                    case "note" -> NOTE;
                    case "warn", "warning" -> WARN;
                    case "error" -> ERROR;
                    default -> UNKNOWN;
                };
            }
        }
    }

    /** Expert-info groups ({@code PI_CHECKSUM} ... in epan/proto.h); only those the judge tells apart. */
    public enum Group {
        CHECKSUM(0x01000000), SEQUENCE(0x02000000), MALFORMED(0x07000000), PROTOCOL(0x09000000),
        SECURITY(0x0a000000), DECRYPTION(0x0c000000), OTHER(-1);

        private final int code;

        Group(int code) {
            this.code = code;
        }

        static Group parse(String s) {
            String t = s.trim();
            try {
                int v = Integer.decode(t);
                for (Group g : values()) {
                    if (g.code == v) {
                        return g;
                    }
                }
                return OTHER;
            } catch (NumberFormatException e) {
                for (Group g : values()) {
                    if (g.name().equalsIgnoreCase(t)) {
                        return g;
                    }
                }
                return OTHER;
            }
        }
    }

    /** One expert-info item. */
    public record Expert(Severity severity, Group group, String message) {
        /**
         * Whether this item disqualifies a frame: any error, and any checksum complaint (tshark
         * rates a bad ICMP checksum only a warning, a bad IPv4/UDP/TCP one an error).
         */
        public boolean disqualifies() {
            return severity == Severity.ERROR || (group == Group.CHECKSUM && severity == Severity.WARN);
        }

        @Override
        public String toString() {
            return severity + "/" + group + ": " + message;
        }
    }

    /**
     * Layers that prove tshark decrypted an ESP payload and recognised what is inside: the
     * inner IP header (tunnel mode) or the transport header (transport mode).
     */
    public static final Set<String> PLAINTEXT_LAYERS =
            Set.of("ip", "ipv6", "icmp", "icmpv6", "tcp", "udp", "sctp", "igmp", "gre");

    public FrameVerdict {
        experts = List.copyOf(experts);
    }

    /** {@code frame.protocols} split on {@code ':'}. */
    public List<String> layers() {
        return protocols.isEmpty() ? List.of() : Arrays.asList(protocols.split(":"));
    }

    public boolean isEsp() {
        return layers().contains("esp");
    }

    public boolean isAh() {
        return layers().contains("ah");
    }

    /** ESP carried in UDP (RFC 3948), i.e. tshark went udp &rarr; udpencap &rarr; esp. */
    public boolean isUdpEncapsulated() {
        List<String> l = layers();
        int u = l.indexOf("udpencap");
        return u >= 0 && u + 1 < l.size() && l.get(u + 1).equals("esp");
    }

    /** The layers after the first {@code esp} (after {@code ah} for AH frames), empty if none. */
    public List<String> innerLayers() {
        List<String> l = layers();
        int i = l.indexOf("esp");
        if (i < 0) {
            i = l.indexOf("ah");
        }
        return i < 0 ? List.of() : l.subList(i + 1, l.size());
    }

    /** ESP whose payload tshark decrypted and dissected: a {@link #PLAINTEXT_LAYERS} layer follows {@code esp}. */
    public boolean decrypted() {
        if (!isEsp()) {
            return false;
        }
        for (String layer : innerLayers()) {
            if (PLAINTEXT_LAYERS.contains(layer)) {
                return true;
            }
        }
        return false;
    }

    public List<Expert> errors() {
        return experts.stream().filter(e -> e.severity() == Severity.ERROR).toList();
    }

    public List<Expert> warnings() {
        return experts.stream().filter(e -> e.severity() == Severity.WARN).toList();
    }

    /**
     * Why this frame is not a clean IPsec frame; empty if it is. Clean means: not malformed, no
     * {@linkplain Expert#disqualifies() disqualifying} expert item (error, or checksum warning), and either ESP that tshark decrypted and dissected with ICV {@link Icv#GOOD}
     * (when {@code icvRequired}), or AH whose payload tshark dissected (tshark never checks AH ICVs).
     * Anything else (a frame that is neither ESP nor AH) is a problem too: the judge expects only
     * IPsec on the wire.
     */
    public List<String> problems(boolean icvRequired) {
        List<String> p = new ArrayList<>();
        if (malformed) {
            p.add("malformed");
        }
        for (Expert e : experts) {
            if (e.disqualifies()) {
                p.add("expert " + e);
            }
        }
        if (isEsp()) {
            if (!decrypted()) {
                p.add("ESP not decrypted/dissected (layers after esp: " + innerLayers() + ")");
            }
            if (icv == Icv.BAD) {
                p.add("ESP ICV BAD");
            } else if (icvRequired && icv != Icv.GOOD) {
                p.add("ESP ICV not checked");
            }
        } else if (isAh()) {
            if (innerLayers().stream().noneMatch(PLAINTEXT_LAYERS::contains)) {
                p.add("AH payload not dissected (layers after ah: " + innerLayers() + ")");
            }
        } else {
            p.add("neither ESP nor AH");
        }
        return p;
    }

    /** {@link #problems(boolean) problems(true)} is empty. */
    public boolean clean() {
        return problems(true).isEmpty();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("#").append(number).append(' ').append(protocols);
        if (espSpi != null) {
            sb.append(String.format(" esp spi=0x%08x seq=%s", espSpi, espSequence));
            sb.append(decrypted() ? " decrypted nh=" + espNextHeader : " NOT-decrypted");
            sb.append(" icv=").append(icv);
        }
        if (ahSpi != null) {
            sb.append(String.format(" ah spi=0x%08x seq=%s", ahSpi, ahSequence));
        }
        if (malformed) {
            sb.append(" MALFORMED");
        }
        if (!experts.isEmpty()) {
            sb.append(" experts=").append(experts);
        }
        return sb.append(" | ").append(info).toString();
    }
}
