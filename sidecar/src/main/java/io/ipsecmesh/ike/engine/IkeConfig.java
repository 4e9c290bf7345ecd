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
     */
    public record Conn(String name, InetAddress local, InetAddress remote, String localId, String remoteId,
                       AuthMethod auth, byte[] psk, Path cert, Path key, List<Path> cas, List<Path> crls,
                       List<IkeProposal> ikeProposals, boolean start, Duration dpd, Duration rekeyTime,
                       Retransmit retransmit, boolean allowLegacy, List<Child> children, boolean trap) {

        public Conn(String name, InetAddress local, InetAddress remote, String localId, String remoteId,
                    AuthMethod auth, byte[] psk, Path cert, Path key, List<Path> cas, List<Path> crls,
                    List<IkeProposal> ikeProposals, boolean start, Duration dpd, Duration rekeyTime,
                    Retransmit retransmit, boolean allowLegacy, List<Child> children) {
            this(name, local, remote, localId, remoteId, auth, psk, cert, key, cas, crls, ikeProposals, start, dpd,
                    rekeyTime, retransmit, allowLegacy, children, false);
        }

        public Conn {
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
