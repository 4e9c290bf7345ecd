package io.ipsecmesh.ike.engine;

import io.ipsecmesh.crypto.EspProposal;
import io.ipsecmesh.ike.ChildProposal;
import io.ipsecmesh.ike.ChildSaKeys;
import io.ipsecmesh.ike.TrafficSelector;
import io.ipsecmesh.sa.Direction;
import io.ipsecmesh.sa.Lifetime;
import io.ipsecmesh.sa.Mode;
import io.ipsecmesh.sa.Policy;
import io.ipsecmesh.sa.PolicyAction;
import io.ipsecmesh.sa.SaConfig;
import io.ipsecmesh.sa.SecurityProtocol;
import io.ipsecmesh.sa.UdpEncap;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One negotiated CHILD_SA pair (RFC 7296 §1.3) and what it installed in the data plane: an
 * inbound SA under our SPI, an outbound SA under the peer's, and the policies between the
 * negotiated traffic selectors. Installation is split in two so that a rekey can be
 * make-before-break: {@link #installInbound} first, {@link #installOutbound} when the peer can
 * decrypt what we send.
 */
public final class ChildSa {

    /**
     * INSTALLED: carries traffic. REKEYING: our rekey of it is in flight. REKEYED: a successor
     * replaced it (its inbound half lingers until it is deleted). REDUNDANT: the losing pair of a
     * rekey collision, never used for traffic, waiting for its DELETE. DELETING: a DELETE for it is
     * under way, or its inbound half is in its grace time. DELETED: gone from the data plane.
     */
    public enum State { INSTALLING, INSTALLED, REKEYING, REKEYED, REDUNDANT, DELETING, DELETED }

    final IkeConfig.Child config;
    final Mode mode;
    final ChildProposal proposal;
    final boolean esn;
    final int inSpi;
    final int outSpi;
    final List<TrafficSelector> localTs;
    final List<TrafficSelector> remoteTs;
    final long createdNanos;
    State state = State.INSTALLING;
    /** The IKE SA whose list holds this pair (see {@link IkeSa#addChild}). */
    IkeSa owner;
    /** The SA that replaced this one in a rekey, or this one's predecessor while it is rekeyed. */
    ChildSa successor;
    IkeEngine.Timer rekeyTimer;
    IkeEngine.Timer expireTimer;
    /** Rekey responder: the keys of our outbound half, held until the old pair is deleted. */
    ChildSaKeys deferredKeys;
    /**
     * A rekey collision (RFC 7296 §2.8.1): while our rekey of this pair was in flight, the peer
     * rekeyed it too and we answered; this is the pair that answer created. Which of the two
     * new pairs survives is decided by the nonces once our own exchange ends.
     */
    ChildSa collision;
    /** The lower of the two nonces of the exchange that created this pair (for §2.8.1). */
    byte[] lowerNonce;
    private final String inName;
    private final String outName;
    private final List<Policy> inPolicies = new ArrayList<>();
    private final List<Policy> outPolicies = new ArrayList<>();
    private boolean inInstalled;
    private boolean outInstalled;

    ChildSa(IkeConfig.Child config, Mode mode, ChildProposal proposal, int inSpi, int outSpi,
            List<TrafficSelector> localTs, List<TrafficSelector> remoteTs, String connName) {
        this.config = config;
        this.mode = mode;
        this.proposal = proposal;
        this.esn = proposal.esn().getFirst() == ChildProposal.Esn.ESN;
        this.inSpi = inSpi;
        this.outSpi = outSpi;
        this.localTs = List.copyOf(localTs);
        this.remoteTs = List.copyOf(remoteTs);
        this.createdNanos = System.nanoTime();
        String base = connName + "/" + config.name() + "/";
        this.inName = base + String.format("%08x", inSpi) + "-in";
        this.outName = base + String.format("%08x", outSpi) + "-out";
    }

    public String inName() {
        return inName;
    }

    public String outName() {
        return outName;
    }

    public int inSpi() {
        return inSpi;
    }

    public int outSpi() {
        return outSpi;
    }

    public State state() {
        return state;
    }

    public IkeConfig.Child config() {
        return config;
    }

    public Mode mode() {
        return mode;
    }

    /**
     * Installs the inbound SA and its policies.
     *
     * @param keys         the pair's keys; {@code weInitiated} tells which half is inbound
     * @param weInitiated  whether we initiated the exchange that created this CHILD_SA (§2.17)
     * @param local        our IKE endpoint; {@code remote} the peer's (tunnel endpoints, and
     *                     UDP ports when {@code udpEncap})
     */
    void installInbound(IkeEngine engine, ChildSaKeys keys, boolean weInitiated, InetSocketAddress local,
                        InetSocketAddress remote, boolean udpEncap) {
        byte[] enc = weInitiated ? keys.responderToInitiatorEncryption() : keys.initiatorToResponderEncryption();
        byte[] integ = weInitiated ? keys.responderToInitiatorIntegrity() : keys.initiatorToResponderIntegrity();
        install(engine, Direction.IN, keys.proposal(), enc, integ, remote, local, udpEncap, inPolicies);
        inInstalled = true;
    }

    /** Installs the outbound SA and its policies (outbound traffic moves to this SA). */
    void installOutbound(IkeEngine engine, ChildSaKeys keys, boolean weInitiated, InetSocketAddress local,
                         InetSocketAddress remote, boolean udpEncap) {
        byte[] enc = weInitiated ? keys.initiatorToResponderEncryption() : keys.responderToInitiatorEncryption();
        byte[] integ = weInitiated ? keys.initiatorToResponderIntegrity() : keys.responderToInitiatorIntegrity();
        install(engine, Direction.OUT, keys.proposal(), enc, integ, local, remote, udpEncap, outPolicies);
        outInstalled = true;
    }

    /**
     * One half as one data-plane snapshot: the SA from {@code src} to {@code dst} and the
     * policies between the selectors in its direction (recorded in {@code installed}).
     */
    private void install(IkeEngine engine, Direction dir, EspProposal esp, byte[] enc, byte[] integ,
                         InetSocketAddress src, InetSocketAddress dst, boolean udpEncap, List<Policy> installed) {
        boolean in = dir == Direction.IN;
        String name = in ? inName : outName;
        List<io.ipsecmesh.sa.TrafficSelector> selectors = selectors(dir, localTs, remoteTs);
        SaConfig sa = new SaConfig(name, dir, SecurityProtocol.ESP, in ? inSpi : outSpi, mode,
                src.getAddress(), dst.getAddress(), esp.encryption(), enc, esp.integrity(), integ, esn,
                in ? config.replayWindow() : 0, udpEncap ? new UdpEncap(src.getPort(), dst.getPort()) : null, 0,
                lifetime(), selectors, esp.encryption().isLegacy());
        List<Policy> policies = protect(dir, selectors, name, Policy.DEFAULT_PRIORITY);
        engine.keyLog().espSa(sa);
        engine.dataPlane().update(List.of(sa), policies, List.of(), List.of());
        installed.addAll(policies);
    }

    /** Installs the outbound half held back by a rekey responder; true if there was one. */
    boolean installDeferredOutbound(IkeEngine engine, IkeSa ike) {
        if (deferredKeys == null) {
            return false;
        }
        try {
            installOutbound(engine, deferredKeys, false, ike.local, ike.remote, ike.natDetected);
        } finally {
            deferredKeys.destroy();
            deferredKeys = null;
        }
        return true;
    }

    /** Removes the outbound half (policies first, so traffic moves to a successor or is held). */
    void removeOutbound(IkeEngine engine) {
        if (deferredKeys != null) {
            // Never installed (a rekey responder waiting for the DELETE): it never will be.
            deferredKeys.destroy();
            deferredKeys = null;
        }
        engine.dataPlane().update(List.of(), List.of(), outPolicies, outInstalled ? List.of(outName) : List.of());
        outPolicies.clear();
        outInstalled = false;
    }

    /** Removes everything this CHILD_SA installed; the data plane zeroes the keys. */
    void uninstall(IkeEngine engine) {
        List<Policy> policies = new ArrayList<>(outPolicies);
        policies.addAll(inPolicies);
        List<String> names = new ArrayList<>();
        if (outInstalled) {
            names.add(outName);
        }
        if (inInstalled) {
            names.add(inName);
        }
        engine.dataPlane().update(List.of(), List.of(), policies, names);
        outPolicies.clear();
        inPolicies.clear();
        outInstalled = false;
        inInstalled = false;
        cancelTimers();
        if (deferredKeys != null) {
            deferredKeys.destroy();
            deferredKeys = null;
        }
        if (lowerNonce != null) {
            java.util.Arrays.fill(lowerNonce, (byte) 0);
        }
        state = State.DELETED;
    }

    /**
     * Byte and packet lifetimes go to the data plane (it raises the soft event that starts a
     * rekey); time is kept by the engine's timers, which also cover idle SAs.
     */
    private Lifetime lifetime() {
        Lifetime l = Lifetime.UNLIMITED;
        if (config.rekeyBytes() > 0) {
            l = l.withBytes(config.rekeyBytes(), config.rekeyBytes() + config.rekeyBytes() / 10);
        }
        if (config.rekeyPackets() > 0) {
            l = l.withPackets(config.rekeyPackets(), config.rekeyPackets() + config.rekeyPackets() / 10);
        }
        return l;
    }

    /** The data-plane selectors of one direction between our selectors and the peer's. */
    static List<io.ipsecmesh.sa.TrafficSelector> selectors(Direction dir, List<TrafficSelector> local,
                                                         List<TrafficSelector> remote) {
        return dir == Direction.IN ? dataPlaneSelectors(remote, local) : dataPlaneSelectors(local, remote);
    }

    /** Protect policies for {@code selectors} that point at the SA named {@code saName}. */
    static List<Policy> protect(Direction dir, List<io.ipsecmesh.sa.TrafficSelector> selectors, String saName,
                                int priority) {
        List<Policy> policies = new ArrayList<>();
        for (io.ipsecmesh.sa.TrafficSelector ts : selectors) {
            policies.add(new Policy(dir, ts, PolicyAction.PROTECT, saName, priority));
        }
        return policies;
    }

    /**
     * Our rekey of this pair collided with the peer's, and the peer's new pair replaces it
     * (§2.8.1: it won on the nonces, or our exchange failed after the peer's went through).
     * The peer deletes this pair; our outbound half moves then ({@link Responder#finishRekey}).
     */
    void replacedByCollision() {
        successor = collision;
        state = State.REKEYED;
    }

    private static List<io.ipsecmesh.sa.TrafficSelector> dataPlaneSelectors(List<TrafficSelector> from,
                                                                          List<TrafficSelector> to) {
        List<io.ipsecmesh.sa.TrafficSelector> out = new ArrayList<>();
        for (TrafficSelector s : from) {
            for (TrafficSelector d : to) {
                if (s.tsType() == d.tsType()) {
                    out.addAll(Selectors.toDataPlane(s, d));
                }
            }
        }
        return out;
    }

    /**
     * The lower of an exchange's two nonces (a copy), kept for collision resolution: of two
     * pairs created by colliding rekeys, the one made with the lowest of the four nonces is
     * redundant (§2.8.1).
     */
    static byte[] lowerOf(byte[] ni, byte[] nr) {
        return (java.util.Arrays.compareUnsigned(ni, nr) <= 0 ? ni : nr).clone();
    }

    /** Stops the rekey and life-time timers (a pair that will not carry traffic). */
    void cancelTimers() {
        if (rekeyTimer != null) {
            rekeyTimer.cancel();
        }
        if (expireTimer != null) {
            expireTimer.cancel();
        }
    }

    /** One line: name, SPIs, algorithms, mode, selectors (never keys). */
    String describe() {
        return "spis in " + String.format("0x%08x", inSpi) + " out " + String.format("0x%08x", outSpi)
                + " " + proposal + " " + mode.name().toLowerCase() + " " + Selectors.format(localTs) + " === "
                + Selectors.format(remoteTs);
    }
}
