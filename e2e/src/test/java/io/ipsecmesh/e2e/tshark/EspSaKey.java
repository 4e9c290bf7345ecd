package io.ipsecmesh.e2e.tshark;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One row of Wireshark's ESP SA table (the {@code esp_sa} UAT, "Preferences &gt; Protocols &gt; ESP &gt;
 * ESP SAs"), i.e. what tshark needs to decrypt and authenticate one direction of one ESP SA.
 *
 * <h2>Row format, as tshark reads it</h2>
 * A UAT row is a line of comma-separated, double-quoted fields, given either in a file named
 * {@code esp_sa} in the (personal) configuration directory or on the command line as
 * {@code -o "uat:esp_sa:<row>"} (one {@code -o} per row). The fields, in order:
 * <ol>
 *   <li>Protocol: {@code "IPv4"} or {@code "IPv6"} (Wireshark &ge; 4.2 also has {@code "Any"});</li>
 *   <li>Src IP, 3. Dest IP: address literals, or {@code "*"} as wildcard; {@link #uatRow()} writes
 *       IPv6 with all eight groups in full (tshark 4.0 also matches the compressed form; the full
 *       form is the one its wildcard syntax is defined on);</li>
 *   <li value="4">SPI: {@code "0x0000abcd"} (or {@code "*"});</li>
 *   <li>Encryption: the algorithm's <em>display name</em>, see below;</li>
 *   <li>Encryption Key: {@code "0x"} + hex; for AES-GCM and ChaCha20-Poly1305 the 4-byte salt is
 *       <em>included</em>, appended after the cipher key (RFC 4106 &sect;8.1, RFC 7634 &sect;4), exactly like
 *       a Linux {@code rfc4106(gcm(aes))} key: 20 bytes for AES-128-GCM, 36 for AES-256-GCM, 36 for
 *       ChaCha20-Poly1305; empty ({@code ""}) for NULL;</li>
 *   <li>Authentication: display name, see below ({@code "NULL"} for AEAD: tshark refuses AES-GCM
 *       with anything but NULL authentication, the AEAD tag is the ICV);</li>
 *   <li>Authentication Key: {@code "0x"} + hex, or {@code ""} for NULL;</li>
 *   <li>SN: {@code "32-bit"} or {@code "64-bit"} (ESN) &mdash; <b>only Wireshark &ge; 4.2</b>;</li>
 *   <li>ESN High Bits: the upper 32 bits of the 64-bit sequence number, hex &mdash; <b>only &ge; 4.2</b>.
 *       tshark cannot infer them (they are never sent), so one row fixes them for the whole capture.</li>
 * </ol>
 * {@link #uatRow()} always writes all ten fields: tshark 4.0 (Debian 12) parses the first eight
 * and discards the last two with a "More fields than required" UAT warning on stderr (checked).
 * An unknown algorithm name makes tshark exit with {@code invalid value: <name>}.
 *
 * <h2>Algorithm names (Wireshark's {@code esp_encryption_type_vals} / {@code esp_authentication_type_vals})</h2>
 * <table>
 *   <caption>our enum constant &rarr; tshark esp_sa name</caption>
 *   <tr><td>{@link EncryptionAlgorithm#NULL}</td><td>{@value #ENCR_NULL}</td></tr>
 *   <tr><td>{@link EncryptionAlgorithm#AES_CBC_128}, {@link EncryptionAlgorithm#AES_CBC_256}</td><td>{@value #ENCR_AES_CBC} (key size from the key length)</td></tr>
 *   <tr><td>{@link EncryptionAlgorithm#TRIPLE_DES_CBC}</td><td>{@value #ENCR_3DES_CBC}</td></tr>
 *   <tr><td>{@link EncryptionAlgorithm#AES_GCM_16_128}, {@link EncryptionAlgorithm#AES_GCM_16_256}</td><td>{@value #ENCR_AES_GCM_16}</td></tr>
 *   <tr><td>{@link EncryptionAlgorithm#CHACHA20_POLY1305}</td><td>{@value #ENCR_CHACHA20_POLY1305} &mdash; <b>not in tshark 4.0</b>
 *       (Debian 12 ships 4.0.17, whose table has no ChaCha20 entry and rejects the name; newer
 *       Wireshark has it). Ask {@link TsharkJudge#supports(EspSaKey)}.</td></tr>
 *   <tr><td>{@link IntegrityAlgorithm#NONE}</td><td>{@value #AUTH_NULL}</td></tr>
 *   <tr><td>{@link IntegrityAlgorithm#HMAC_SHA2_256_128}</td><td>{@value #AUTH_HMAC_SHA256_128}</td></tr>
 *   <tr><td>{@link IntegrityAlgorithm#HMAC_SHA2_384_192}</td><td>{@value #AUTH_HMAC_SHA384_192}</td></tr>
 *   <tr><td>{@link IntegrityAlgorithm#HMAC_SHA2_512_256}</td><td>{@value #AUTH_HMAC_SHA512_256}</td></tr>
 * </table>
 * Beware {@code "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]"}: a pre-RFC 4868 96-bit
 * truncation (old KAME/USAGI), not what we send.
 *
 * <h2>AH</h2>
 * There is no AH counterpart: the table is ESP-only, tshark dissects AH (SPI, sequence, ICV bytes)
 * but never verifies an AH ICV.
 *
 * @param protocol       {@code "IPv4"} or {@code "IPv6"}: the outer header carrying the ESP
 * @param src            outer source address literal, or {@code "*"}
 * @param dst            outer destination address literal, or {@code "*"}
 * @param spi            the SPI as sent on the wire
 * @param encryption     tshark's encryption name (one of the {@code ENCR_*} constants)
 * @param encKey         cipher key (+ salt for AEAD), empty for NULL
 * @param authentication tshark's authentication name (one of the {@code AUTH_*} constants)
 * @param authKey        integrity key, empty for NULL
 * @param esn            whether the SA uses 64-bit extended sequence numbers (RFC 4303 &sect;2.2.1)
 * @param esnHighBits    the upper 32 sequence-number bits assumed for every packet when {@code esn}
 */
public record EspSaKey(String protocol, String src, String dst, int spi,
                       String encryption, byte[] encKey, String authentication, byte[] authKey,
                       boolean esn, int esnHighBits) {

    public static final String ENCR_NULL = "NULL";
    public static final String ENCR_AES_CBC = "AES-CBC [RFC3602]";
    public static final String ENCR_3DES_CBC = "TripleDES-CBC [RFC2451]";
    public static final String ENCR_AES_GCM_16 = "AES-GCM with 16 octet ICV [RFC4106]";
    public static final String ENCR_CHACHA20_POLY1305 = "ChaCha20 with Poly1305 [RFC7634]";

    public static final String AUTH_NULL = "NULL";
    public static final String AUTH_HMAC_SHA256_128 = "HMAC-SHA-256-128 [RFC4868]";
    public static final String AUTH_HMAC_SHA384_192 = "HMAC-SHA-384-192 [RFC4868]";
    public static final String AUTH_HMAC_SHA512_256 = "HMAC-SHA-512-256 [RFC4868]";

    private static final HexFormat HEX = HexFormat.of();

    public EspSaKey {
        if (!"IPv4".equals(protocol) && !"IPv6".equals(protocol)) {
            throw new IllegalArgumentException("protocol must be \"IPv4\" or \"IPv6\", was " + protocol);
        }
        src = checkUatText("src", src);
        dst = checkUatText("dst", dst);
        encryption = checkUatText("encryption", encryption);
        authentication = checkUatText("authentication", authentication);
        encKey = encKey == null ? new byte[0] : encKey.clone();
        authKey = authKey == null ? new byte[0] : authKey.clone();
        if (!esn && esnHighBits != 0) {
            throw new IllegalArgumentException("esnHighBits without esn");
        }
    }

    /** A 32-bit-sequence-number SA (the common case). */
    public EspSaKey(String protocol, String src, String dst, int spi,
                    String encryption, byte[] encKey, String authentication, byte[] authKey) {
        this(protocol, src, dst, spi, encryption, encKey, authentication, authKey, false, 0);
    }

    /**
     * Maps our algorithm enums to tshark's names (see the class comment) and checks the key
     * lengths against the enums: {@code encKey} must hold {@link EncryptionAlgorithm#keyMaterialLength()}
     * bytes (key then salt, as our SAs store it), {@code authKey} {@link IntegrityAlgorithm#keyLength()}.
     *
     * @param ipVersion {@code "IPv4"} or {@code "IPv6"} (also accepted: {@code "4"}, {@code "6"}, {@code "ipv4"}...)
     */
    public static EspSaKey of(String ipVersion, String src, String dst, int spi,
                              EncryptionAlgorithm encryption, byte[] encKey,
                              IntegrityAlgorithm integrity, byte[] authKey) {
        Objects.requireNonNull(encryption, "encryption");
        Objects.requireNonNull(integrity, "integrity");
        byte[] ek = encKey == null ? new byte[0] : encKey;
        byte[] ak = authKey == null ? new byte[0] : authKey;
        if (ek.length != encryption.keyMaterialLength()) {
            throw new IllegalArgumentException(encryption + " needs " + encryption.keyMaterialLength()
                    + " key bytes (key" + (encryption.saltLength() > 0 ? " + " + encryption.saltLength() + "-byte salt" : "")
                    + "), got " + ek.length);
        }
        if (encryption.isAead() && integrity != IntegrityAlgorithm.NONE) {
            throw new IllegalArgumentException(encryption + " is AEAD: integrity must be NONE, was " + integrity);
        }
        if (ak.length != integrity.keyLength()) {
            throw new IllegalArgumentException(integrity + " needs " + integrity.keyLength() + " key bytes, got " + ak.length);
        }
        return new EspSaKey(normalizeIpVersion(ipVersion), src, dst, spi,
                tsharkName(encryption), ek, tsharkName(integrity), ak);
    }

    /** The same SA with 64-bit ESN, tshark assuming {@code highBits} as the upper half for every packet. */
    public EspSaKey withEsn(int highBits) {
        return new EspSaKey(protocol, src, dst, spi, encryption, encKey, authentication, authKey, true, highBits);
    }

    /** tshark's esp_sa encryption name for one of our algorithms. */
    public static String tsharkName(EncryptionAlgorithm a) {
        return switch (a) {
            case NULL -> ENCR_NULL;
            case AES_CBC_128, AES_CBC_256 -> ENCR_AES_CBC;
            case TRIPLE_DES_CBC -> ENCR_3DES_CBC;
            case AES_GCM_16_128, AES_GCM_16_256 -> ENCR_AES_GCM_16;
            case CHACHA20_POLY1305 -> ENCR_CHACHA20_POLY1305;
        };
    }

    /** tshark's esp_sa authentication name for one of our algorithms. */
    public static String tsharkName(IntegrityAlgorithm a) {
        return switch (a) {
            case NONE -> AUTH_NULL;
            case HMAC_SHA2_256_128 -> AUTH_HMAC_SHA256_128;
            case HMAC_SHA2_384_192 -> AUTH_HMAC_SHA384_192;
            case HMAC_SHA2_512_256 -> AUTH_HMAC_SHA512_256;
        };
    }

    @Override
    public byte[] encKey() {
        return encKey.clone();
    }

    @Override
    public byte[] authKey() {
        return authKey.clone();
    }

    /** Whether tshark will check an ICV for this SA (an HMAC, or the AEAD tag). */
    public boolean hasIcv() {
        return !AUTH_NULL.equals(authentication) || isAeadName(encryption);
    }

    static boolean isAeadName(String encryptionName) {
        return encryptionName.startsWith("AES-GCM") || encryptionName.startsWith("ChaCha20");
    }

    /** The ten-field UAT row, e.g. {@code "IPv4","10.0.0.1","10.0.0.2","0x00001001","AES-CBC [RFC3602]","0x..","HMAC-SHA-256-128 [RFC4868]","0x..","32-bit","0"}. */
    public String uatRow() {
        return uatRow(10);
    }

    /** The first eight fields only: the row format of Wireshark &lt; 4.2 (no ESN columns). */
    public String uatRowWithoutEsn() {
        return uatRow(8);
    }

    private String uatRow(int fields) {
        List<String> f = List.of(
                protocol,
                uatAddress(src),
                uatAddress(dst),
                String.format("0x%08x", spi),
                encryption,
                hexKey(encKey),
                authentication,
                hexKey(authKey),
                esn ? "64-bit" : "32-bit",
                Integer.toHexString(esnHighBits));
        return f.subList(0, fields).stream().map(v -> '"' + v + '"').collect(Collectors.joining(","));
    }

    @Override
    public String toString() {
        return "EspSaKey[" + protocol + " " + src + " -> " + dst + " spi=" + String.format("0x%08x", spi)
                + " enc=" + encryption + " key=" + hexKey(encKey) + " auth=" + authentication + " key=" + hexKey(authKey)
                + (esn ? " esn high=0x" + Integer.toHexString(esnHighBits) : "") + "]";
    }

    private static String hexKey(byte[] key) {
        return key.length == 0 ? "" : "0x" + HEX.formatHex(key);
    }

    /** IPv6 literals are written with all eight groups in full (the form Wireshark's address wildcards are defined on). */
    static String uatAddress(String a) {
        if (a.indexOf(':') < 0 || a.indexOf('*') >= 0) {
            return a;
        }
        InetAddress parsed;
        try {
            parsed = InetAddress.ofLiteral(a);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an IPv6 literal: " + a, e);
        }
        if (!(parsed instanceof Inet6Address)) {
            return parsed.getHostAddress();
        }
        byte[] b = parsed.getAddress();
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(String.format("%02x%02x", b[i], b[i + 1]));
        }
        return sb.toString();
    }

    private static String normalizeIpVersion(String v) {
        return switch (Objects.requireNonNull(v, "ipVersion").toLowerCase(java.util.Locale.ROOT)) {
            case "ipv4", "4", "v4", "inet" -> "IPv4";
            case "ipv6", "6", "v6", "inet6" -> "IPv6";
            default -> throw new IllegalArgumentException("ipVersion must be IPv4 or IPv6, was " + v);
        };
    }

    private static String checkUatText(String what, String s) {
        Objects.requireNonNull(s, what);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException(what + " holds a character a UAT row cannot carry unescaped: " + s);
            }
        }
        return s;
    }
}
