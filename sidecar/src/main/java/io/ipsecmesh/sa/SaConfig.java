package io.ipsecmesh.sa;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;

/**
 * Everything needed to install one SA (one direction), whether from a manual-keying file or
 * from IKE. Holds key material: {@link #toString()} never shows it. Installing it hands the key
 * arrays to the data plane, which zeroes them (and its own copies) when the SA dies.
 *
 * @param src         transport mode: the sending host; tunnel mode: the outer source (node)
 * @param dst         transport mode: the receiving host; tunnel mode: the outer destination
 * @param selectors   traffic selectors of the SA (RFC 4301 §4.4.2.1); inbound traffic must lie
 *                    within one of them after decapsulation (§5.2)
 * @param replayWindow inbound anti-replay window in packets; 0 disables the check
 * @param tfcPadding  pad tunnel-mode payloads to a multiple of this many bytes (RFC 4303 §2.7), 0 for none
 * @param allowLegacy whether a legacy algorithm (3DES) may be used
 */
public record SaConfig(String name, Direction direction, SecurityProtocol protocol, int spi, Mode mode,
                       InetAddress src, InetAddress dst,
                       EncryptionAlgorithm encryption, byte[] encryptionKey,
                       IntegrityAlgorithm integrity, byte[] integrityKey,
                       boolean esn, int replayWindow, UdpEncap udpEncap, int tfcPadding,
                       Lifetime lifetime, List<TrafficSelector> selectors, boolean allowLegacy) {

    /** Largest anti-replay window accepted, in packets. */
    public static final int MAX_REPLAY_WINDOW = 8192;
    public static final int DEFAULT_REPLAY_WINDOW = 128;

    public SaConfig {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("an SA needs a name");
        }
        String at = "SA '" + name + "': ";
        if (spi >= 0 && spi < 256) {
            throw new IllegalArgumentException(at + "SPI values 0-255 are reserved (RFC 4303 §2.1)");
        }
        if ((src instanceof Inet4Address) != (dst instanceof Inet4Address)) {
            throw new IllegalArgumentException(at + "src and dst must be of one address family");
        }
        if (replayWindow < 0 || replayWindow > MAX_REPLAY_WINDOW) {
            throw new IllegalArgumentException(at + "replay window must be 0.." + MAX_REPLAY_WINDOW);
        }
        if (tfcPadding < 0 || tfcPadding > 1024) {
            throw new IllegalArgumentException(at + "TFC padding must be 0..1024");
        }
        if (tfcPadding > 0 && mode != Mode.TUNNEL) {
            throw new IllegalArgumentException(at + "TFC padding needs tunnel mode, where the inner header tells the real length");
        }
        if (lifetime == null) {
            lifetime = Lifetime.UNLIMITED;
        }
        selectors = selectors == null ? List.of() : List.copyOf(selectors);
        if (integrity == null) {
            integrity = IntegrityAlgorithm.NONE;
        }
        if (protocol == SecurityProtocol.AH) {
            if (encryption != null) {
                throw new IllegalArgumentException(at + "AH has no encryption; give 'integ' only");
            }
            if (integrity == IntegrityAlgorithm.NONE) {
                throw new IllegalArgumentException(at + "AH needs an integrity algorithm");
            }
            if (udpEncap != null) {
                throw new IllegalArgumentException(at + "AH cannot be UDP-encapsulated (RFC 3948 covers ESP only)");
            }
        } else {
            if (encryption == null) {
                throw new IllegalArgumentException(at + "ESP needs an encryption algorithm ('null' for none)");
            }
            if (encryption.isAead() && integrity != IntegrityAlgorithm.NONE) {
                throw new IllegalArgumentException(at + encryption.keyword() + " is a combined-mode algorithm; it takes no 'integ'");
            }
            if (!encryption.isAead() && integrity == IntegrityAlgorithm.NONE) {
                throw new IllegalArgumentException(at + encryption.keyword() + " needs an integrity algorithm");
            }
            if (encryption.isLegacy() && !allowLegacy) {
                throw new IllegalArgumentException(at + encryption.keyword()
                        + " is a legacy algorithm, refused unless the SA is marked 'legacy'");
            }
            if (encryptionKey == null || encryptionKey.length != encryption.keyMaterialLength()) {
                throw new IllegalArgumentException(at + encryption.keyword() + " needs a key of "
                        + encryption.keyMaterialLength() + " bytes"
                        + (encryption.saltLength() > 0 ? " (including the " + encryption.saltLength() + "-byte salt)" : ""));
            }
        }
        if (integrity != IntegrityAlgorithm.NONE && (integrityKey == null || integrityKey.length != integrity.keyLength())) {
            throw new IllegalArgumentException(at + integrity.keyword() + " needs an integrity key of " + integrity.keyLength() + " bytes");
        }
    }

    /** One line a person can read: name, SPI, protocol, mode, endpoints, algorithms; never keys. */
    @Override
    public String toString() {
        return "SA " + name + " " + direction.name().toLowerCase(java.util.Locale.ROOT) + " " + protocol + " spi 0x" + Integer.toHexString(spi)
                + " " + mode.name().toLowerCase(java.util.Locale.ROOT) + " " + src.getHostAddress() + " -> " + dst.getHostAddress()
                + (encryption != null ? " " + encryption.keyword() : "")
                + (integrity != IntegrityAlgorithm.NONE ? " " + integrity.keyword() : "")
                + (esn ? " esn" : "") + (udpEncap != null ? " udp " + udpEncap.sourcePort() + ":" + udpEncap.destinationPort() : "")
                + (direction == Direction.IN ? " replay-window " + replayWindow : "");
    }
}
