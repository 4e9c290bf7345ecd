package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.ChildProposal;
import io.ipsecmesh.ike.IkeProposal;
import io.ipsecmesh.ike.TrafficSelector;
import io.ipsecmesh.sa.Mode;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What the IKE engine is told to do: connections to peers, each with its CHILD_SAs. Parsed from
 * the daemon's config file by {@link IkeConfigFile}; built directly by tests and by the sidecar.
 */
public final class IkeConfig {

    private IkeConfig() {
    }

    /** How a side authenticates itself (and expects the peer to). */
    public enum AuthMethod {
        PSK, CERT;

        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Retransmission of requests: first timeout, growth factor, and how many retransmits. */
    public record Retransmit(Duration timeout, double base, int tries) {
        public static final Retransmit DEFAULT = new Retransmit(Duration.ofSeconds(2), 1.8, 5);

        public Retransmit {
            if (timeout.isNegative() || timeout.isZero() || base < 1.0 || tries < 0) {
                throw new IllegalArgumentException("retransmit: timeout > 0, base >= 1, tries >= 0");
            }
        }

        /** Delay before retransmit number {@code attempt} (0 = after the first send). */
        public long delayMillis(int attempt) {
            return Math.round(timeout.toMillis() * Math.pow(base, attempt));
        }

        /** From the first send until the sender gives up: every delay, the last one included. */
        public long totalMillis() {
            long total = 0;
            for (int i = 0; i <= tries; i++) {
                total += delayMillis(i);
            }
            return total;
        }
    }

    /**
     * IKE fragmentation (RFC 7383) for a connection, with swanctl's {@code fragmentation}
     * values: whether to announce support in IKE_SA_INIT and whether to send fragments.
     */
    public enum FragmentationMode {
        /** Neither announced nor accepted: fragments from the peer are dropped. */
        NO,
        /** Announced, and fragments are received, but our messages are never fragmented. */
        ACCEPT,
        /** Announced; messages larger than the fragment size are sent as fragments if the peer announced it too. */
        YES,
        /**
         * swanctl's {@code force} fragments even the first IKEv1 message; IKEv2 has nothing to
         * fragment before IKE_SA_INIT has negotiated it, so for IKEv2 it is the same as YES.
         */
        FORCE;

        /** Whether IKE_SA_INIT carries IKEV2_FRAGMENTATION_SUPPORTED. */
        public boolean announces() {
            return this != NO;
        }

        /** Whether our own messages may be fragmented (once both sides announced support). */
        public boolean sends() {
            return this == YES || this == FORCE;
        }

        public String keyword() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * IKE fragmentation settings.
     *
     * @param size the largest IP datagram an IKE message or fragment may make (IP and UDP
     *             headers, non-ESP marker and IKE message), as strongSwan's
     *             {@code charon.fragment_size} counts it; 1280 by default for IPv4 and IPv6
     *             alike, strongSwan's default, which is IPv6's minimum MTU
     */
    public record Fragmentation(FragmentationMode mode, int size) {
        public static final int DEFAULT_SIZE = 1280;
        /** Smallest allowed size: room for the headers plus a useful piece of content. */
        public static final int MIN_SIZE = 512;
        public static final Fragmentation DEFAULT = new Fragmentation(FragmentationMode.YES, DEFAULT_SIZE);

        public Fragmentation {
            if (mode == null) {
                throw new IllegalArgumentException("fragmentation mode missing");
            }
            if (size < MIN_SIZE || size > 0xffff) {
                throw new IllegalArgumentException("fragment-size " + size + ": must be " + MIN_SIZE + "..65535");
            }
        }

        /**
         * The largest IKE message (what {@code IkeMessage.encode} makes) that fits {@link #size}
         * on a path of this address family, with or without the 4-byte non-ESP marker of port 4500.
         */
        public int maxMessageLength(boolean ipv6, boolean nonEspMarker) {
            return size - (ipv6 ? 40 : 20) - 8 - (nonEspMarker ? 4 : 0);
        }
    }

    /**
     * One CHILD_SA to negotiate under a connection.
     *
     * @param localTs  traffic selectors of our side; empty means our IKE address ("dynamic")
     * @param remoteTs traffic selectors of the peer's side; empty means its IKE address
     * @param rekeyTime rekey this long after creation (zero: never); the hard limit is
     *                  {@code lifeTime}, by default 110 % of it, as strongSwan does
     */
    public record Child(String name, Mode mode, List<TrafficSelector> localTs, List<TrafficSelector> remoteTs,
                        List<ChildProposal> proposals, Duration rekeyTime, Duration lifeTime,
                        long rekeyPackets, long rekeyBytes, int replayWindow) {
        public Child {
            localTs = List.copyOf(localTs);
            remoteTs = List.copyOf(remoteTs);
            proposals = List.copyOf(proposals);
            if (proposals.isEmpty()) {
                throw new IllegalArgumentException("child '" + name + "' needs at least one ESP proposal");
            }
            if (lifeTime.compareTo(rekeyTime) < 0 && !lifeTime.isZero()) {
                throw new IllegalArgumentException("child '" + name + "': life-time must not be below rekey-time");
            }
        }
    }

    /**
     * One connection: the IKE SA with one peer and the children it carries.
     *
     * @param remote     the peer's address, or null to accept any (responder only)
     * @param start      true: we initiate (and re-initiate after the peer is lost)
     * @param trap       trap policies (strongSwan's start_action=trap): outbound traffic that a
     *                   child's selectors cover but no CHILD_SA carries is dropped, and starts
     *                   the negotiation; plaintext the peer sends there is dropped too
     * @param dpd        liveness check interval (zero: none)
     * @param rekeyTime  IKE SA rekey interval (zero: never)
     * @param psk        the pre-shared key when {@code auth} is PSK (zeroed by {@link #destroy})
     * @param fragmentation IKE fragmentation (RFC 7383): mode and fragment size
     */
    public record Conn(String name, InetAddress local, InetAddress remote, String localId, String remoteId,
                       AuthMethod auth, byte[] psk, Path cert, Path key, List<Path> cas, List<Path> crls,
                       List<IkeProposal> ikeProposals, boolean start, Duration dpd, Duration rekeyTime,
                       Retransmit retransmit, boolean allowLegacy, List<Child> children, Fragmentation fragmentation,
                       boolean trap) {

        /** A connection with the default fragmentation ({@link Fragmentation#DEFAULT}) and no traps. */
        public Conn(String name, InetAddress local, InetAddress remote, String localId, String remoteId,
                    AuthMethod auth, byte[] psk, Path cert, Path key, List<Path> cas, List<Path> crls,
                    List<IkeProposal> ikeProposals, boolean start, Duration dpd, Duration rekeyTime,
                    Retransmit retransmit, boolean allowLegacy, List<Child> children) {
            this(name, local, remote, localId, remoteId, auth, psk, cert, key, cas, crls, ikeProposals, start, dpd,
                    rekeyTime, retransmit, allowLegacy, children, Fragmentation.DEFAULT, false);
        }

        /** A connection without traps. */
        public Conn(String name, InetAddress local, InetAddress remote, String localId, String remoteId,
                    AuthMethod auth, byte[] psk, Path cert, Path key, List<Path> cas, List<Path> crls,
                    List<IkeProposal> ikeProposals, boolean start, Duration dpd, Duration rekeyTime,
                    Retransmit retransmit, boolean allowLegacy, List<Child> children, Fragmentation fragmentation) {
            this(name, local, remote, localId, remoteId, auth, psk, cert, key, cas, crls, ikeProposals, start, dpd,
                    rekeyTime, retransmit, allowLegacy, children, fragmentation, false);
        }

        public Conn {
            if (fragmentation == null) {
                throw new IllegalArgumentException("conn '" + name + "': fragmentation settings missing");
            }
            children = List.copyOf(children);
            cas = List.copyOf(cas);
            crls = List.copyOf(crls);
            ikeProposals = List.copyOf(ikeProposals);
            if (local == null) {
                throw new IllegalArgumentException("conn '" + name + "' needs 'local ADDRESS'");
            }
            if (remote == null && (start || trap)) {
                throw new IllegalArgumentException("conn '" + name + "' initiates ('start " + (trap ? "trap" : "yes")
                        + "') and needs 'remote ADDRESS'");
            }
            if (remote != null && (remote.getAddress().length != local.getAddress().length)) {
                throw new IllegalArgumentException("conn '" + name + "': local and remote must be of one address family");
            }
            if (ikeProposals.isEmpty()) {
                throw new IllegalArgumentException("conn '" + name + "' needs at least one IKE proposal");
            }
            if (auth == AuthMethod.PSK && (psk == null || psk.length == 0)) {
                throw new IllegalArgumentException("conn '" + name + "' uses 'auth psk' and needs 'psk'");
            }
            if (auth == AuthMethod.CERT && (cert == null || key == null || cas.isEmpty())) {
                throw new IllegalArgumentException("conn '" + name + "' uses 'auth cert' and needs 'cert', 'key' and 'ca'");
            }
            if (localId == null || remoteId == null) {
                throw new IllegalArgumentException("conn '" + name + "' needs 'local-id' and 'remote-id'");
            }
        }

        @Override
        public String toString() {
            return "conn " + name + " " + local.getHostAddress() + "..."
                    + (remote == null ? "%any" : remote.getHostAddress()) + " " + localId + "..." + remoteId
                    + " auth " + auth.keyword();
        }
    }
}
