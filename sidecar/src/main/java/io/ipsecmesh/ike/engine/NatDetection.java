package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.NotifyPayload;
import io.ipsecmesh.ike.NotifyType;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * NAT detection (RFC 7296 §2.23): each side sends SHA-1(SPIi | SPIr | IP | port) of the source
 * and of the destination it used; a receiver whose own computation differs knows a NAT (or, with
 * strongSwan's userspace ESP, a peer faking one) sits in between, and both float to UDP 4500 and
 * encapsulate ESP in UDP (RFC 3948).
 */
public final class NatDetection {

    private NatDetection() {
    }

    public static byte[] hash(long spiI, long spiR, InetSocketAddress endpoint) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            ByteBuffer b = ByteBuffer.allocate(16 + endpoint.getAddress().getAddress().length + 2);
            b.putLong(spiI).putLong(spiR).put(endpoint.getAddress().getAddress()).putShort((short) endpoint.getPort());
            return sha1.digest(b.array());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 missing from the JDK", e);
        }
    }

    /** The two notifies a sender adds to IKE_SA_INIT. */
    public static List<NotifyPayload> notifies(long spiI, long spiR, InetSocketAddress source,
                                               InetSocketAddress destination) {
        return List.of(NotifyPayload.of(NotifyType.NAT_DETECTION_SOURCE_IP, hash(spiI, spiR, source)),
                NotifyPayload.of(NotifyType.NAT_DETECTION_DESTINATION_IP, hash(spiI, spiR, destination)));
    }

    /** What the receiver of a message learned; {@code present} false when the peer sent none. */
    public record Result(boolean present, boolean peerBehindNat, boolean localBehindNat) {
        public boolean any() {
            return peerBehindNat || localBehindNat;
        }
    }

    /**
     * Checks the peer's notifies against the addresses the message really travelled between
     * ({@code from}: its source as we saw it; {@code to}: our address it reached).
     */
    public static Result check(long spiI, long spiR, List<NotifyPayload> sources, List<NotifyPayload> destinations,
                               InetSocketAddress from, InetSocketAddress to) {
        if (sources.isEmpty() || destinations.isEmpty()) {
            return new Result(false, false, false);
        }
        byte[] fromHash = hash(spiI, spiR, from);
        byte[] toHash = hash(spiI, spiR, to);
        boolean srcMatch = sources.stream().anyMatch(n -> MessageDigest.isEqual(n.data(), fromHash));
        boolean dstMatch = destinations.stream().anyMatch(n -> MessageDigest.isEqual(n.data(), toHash));
        return new Result(true, !srcMatch, !dstMatch);
    }
}
