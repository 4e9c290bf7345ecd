package io.ipsecmesh.ike.engine;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.sa.SaConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;

/**
 * The debug option that writes keys in the files Wireshark reads from its configuration
 * directory: {@code ikev2_decryption_table} (IKE SA keys, to decrypt SK payloads) and
 * {@code esp_sa} (ESP keys). Point tshark at the directory with
 * {@code WIRESHARK_CONFIG_DIR=DIR tshark ...}. Nothing is written unless the daemon is started
 * with {@code --keys-log DIR}; the files are created mode 0600. Keys are never logged otherwise.
 */
public class KeyLog {

    /** Writes nothing. */
    public static final KeyLog NONE = new KeyLog(null);

    private static final HexFormat HEX = HexFormat.of();
    private final Path dir;

    public KeyLog(Path dir) {
        this.dir = dir;
    }

    void ikeSa(IkeSa sa) {
        if (dir == null) {
            return;
        }
        String enc = ikeEncryptionName(sa.encryption);
        if (enc == null) {
            // tshark 4.0 cannot decrypt this cipher in IKE (ChaCha20-Poly1305): nothing to give it.
            return;
        }
        String row = String.join(",", String.format("%016x", sa.spiI), String.format("%016x", sa.spiR),
                HEX.formatHex(sa.keys.skEi()), HEX.formatHex(sa.keys.skEr()), quote(enc),
                HEX.formatHex(sa.keys.skAi()), HEX.formatHex(sa.keys.skAr()), quote(ikeIntegrityName(sa.integrity)));
        append("ikev2_decryption_table", row);
    }

    /** One direction of a CHILD_SA, written before the SA is installed (it takes over the keys). */
    void espSa(SaConfig sa) {
        if (dir == null) {
            return;
        }
        // Transport mode: the ESP packets carry the hosts' (pods') addresses, not the IKE
        // endpoints', so the SPI alone identifies the SA.
        boolean transport = sa.mode() == io.ipsecmesh.sa.Mode.TRANSPORT;
        String row = List.of(sa.src() instanceof Inet6Address ? "IPv6" : "IPv4",
                        transport ? "*" : address(sa.src()), transport ? "*" : address(sa.dst()),
                        String.format("0x%08x", sa.spi()), espEncryptionName(sa.encryption()), key(sa.encryptionKey()),
                        espIntegrityName(sa.integrity()), key(sa.integrityKey()))
                .stream().map(KeyLog::quote).reduce((a, b) -> a + "," + b).orElseThrow();
        append("esp_sa", row);
    }

    private synchronized void append(String file, String row) {
        try {
            Path p = dir.resolve(file);
            if (!Files.exists(p)) {
                Files.createDirectories(dir);
                Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(p, row + "\n", StandardCharsets.US_ASCII, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the key log " + dir, e);
        }
    }

    private static String quote(String s) {
        return '"' + s + '"';
    }

    private static String key(byte[] k) {
        return k == null || k.length == 0 ? "" : "0x" + HEX.formatHex(k);
    }

    /** Wireshark matches IPv6 literals written with all eight groups. */
    private static String address(InetAddress a) {
        if (!(a instanceof Inet6Address)) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(String.format("%x", ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff)));
        }
        return sb.toString();
    }

    static String ikeEncryptionName(EncryptionAlgorithm e) {
        return switch (e) {
            case AES_CBC_128 -> "AES-CBC-128 [RFC3602]";
            case AES_CBC_256 -> "AES-CBC-256 [RFC3602]";
            case TRIPLE_DES_CBC -> "3DES [RFC2451]";
            case AES_GCM_16_128 -> "AES-GCM-128 with 16 octet ICV [RFC5282]";
            case AES_GCM_16_256 -> "AES-GCM-256 with 16 octet ICV [RFC5282]";
            case NULL -> "NULL [RFC2410]";
            case CHACHA20_POLY1305 -> null;
        };
    }

    static String ikeIntegrityName(IntegrityAlgorithm i) {
        return switch (i) {
            case NONE -> "NONE [RFC4306]";
            case HMAC_SHA2_256_128 -> "HMAC_SHA2_256_128 [RFC4868]";
            case HMAC_SHA2_384_192 -> "HMAC_SHA2_384_192 [RFC4868]";
            case HMAC_SHA2_512_256 -> "HMAC_SHA2_512_256 [RFC4868]";
        };
    }

    static String espEncryptionName(EncryptionAlgorithm e) {
        return switch (e) {
            case NULL -> "NULL";
            case AES_CBC_128, AES_CBC_256 -> "AES-CBC [RFC3602]";
            case TRIPLE_DES_CBC -> "TripleDES-CBC [RFC2451]";
            case AES_GCM_16_128, AES_GCM_16_256 -> "AES-GCM with 16 octet ICV [RFC4106]";
            case CHACHA20_POLY1305 -> "ChaCha20 with Poly1305 [RFC7634]";
        };
    }

    static String espIntegrityName(IntegrityAlgorithm i) {
        return switch (i) {
            case NONE -> "NULL";
            case HMAC_SHA2_256_128 -> "HMAC-SHA-256-128 [RFC4868]";
            case HMAC_SHA2_384_192 -> "HMAC-SHA-384-192 [RFC4868]";
            case HMAC_SHA2_512_256 -> "HMAC-SHA-512-256 [RFC4868]";
        };
    }
}
