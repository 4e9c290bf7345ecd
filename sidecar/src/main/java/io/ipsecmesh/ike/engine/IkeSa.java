package io.ipsecmesh.ike.engine;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import io.ipsecmesh.ike.ExchangeType;
import io.ipsecmesh.ike.IkeFragments;
import io.ipsecmesh.ike.IkeHeader;
import io.ipsecmesh.ike.IkeKeyDerivation;
import io.ipsecmesh.ike.IkeMessage;
import io.ipsecmesh.ike.IkeParseException;
import io.ipsecmesh.ike.IkePayload;
import io.ipsecmesh.ike.IkeProposal;
import io.ipsecmesh.ike.IkeSaKeys;
import io.ipsecmesh.ike.KeyExchangeGroup;
import io.ipsecmesh.ike.NotifyPayload;
import io.ipsecmesh.ike.NotifyType;
import io.ipsecmesh.ike.PayloadChain;
import io.ipsecmesh.ike.PrfAlgorithm;
import io.ipsecmesh.ike.SignatureHashAlgorithm;
import io.ipsecmesh.ike.SkCrypto;
import io.ipsecmesh.ike.SkIntegrityException;
import io.ipsecmesh.ike.SkfPayload;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One IKE SA (RFC 7296): its SPIs, keys, endpoints, message-ID windows (size one each way),
 * the request in flight with its retransmissions, the responder's retransmit cache, and its
 * CHILD_SAs. Lives on the engine thread only; the engine checks it out by SPI.
 *
 * <p>A message travels as one datagram, or, once both sides announced IKE fragmentation
 * (RFC 7383), as several IKE Fragment messages when it would not fit the fragment size. The
 * request in flight and the cached response are therefore lists of datagrams, always sent
 * (and retransmitted) whole; fragments that arrive are collected per direction by a
 * {@link FragmentReassembly} and handled as one message once complete.
 */
public final class IkeSa {

    /**
     * CONNECTING: IKE_SA_INIT/IKE_AUTH under way. ESTABLISHED: carries the CHILD_SAs. REKEYED: a
     * new SA took over (this one is deleted next). UNDECIDED: made by the peer's rekey while ours
     * of the same SA was in flight (RFC 7296 §2.8.2); nothing runs on it until our exchange ends
     * and the nonces decide. REDUNDANT: the losing new SA of such a collision, carrying nothing,
     * waiting for the DELETE of the peer that made it (or sending ours). DELETING: our DELETE is
     * under way. DEAD: gone, keys zeroed.
     */
    public enum State { CONNECTING, ESTABLISHED, REKEYED, UNDECIDED, REDUNDANT, DELETING, DEAD }

    final IkeEngine engine;
    final IkeEngine.Connection connection;
    /** Whether we were the original initiator (the I flag of our messages, §3.1). */
    final boolean initiator;
    final int uniqueId;
    long spiI;
    long spiR;
    State state = State.CONNECTING;

    InetSocketAddress local;
    InetSocketAddress remote;
    /** NAT between us (§2.23): IKE moves to 4500 and ESP goes in UDP. */
    boolean natDetected;
    /**
     * Both sides announced IKEV2_FRAGMENTATION_SUPPORTED in IKE_SA_INIT (RFC 7383 §2.3): fragments
     * may be received, and sent if our config says so. A rekeyed SA inherits it.
     */
    boolean fragmentation;

    IkeProposal chosen;
    EncryptionAlgorithm encryption;
    IntegrityAlgorithm integrity;
    PrfAlgorithm prf;
    KeyExchangeGroup group;
    IkeSaKeys keys;
    SkCrypto skOut;
    SkCrypto skIn;
    byte[] nonceI;
    byte[] nonceR;
    /** IKE_SA_INIT request and response as sent (RealMessage1/2 of §2.15). */
    byte[] initRequest;
    byte[] initResponse;
    Set<SignatureHashAlgorithm> peerHashes = EnumSet.noneOf(SignatureHashAlgorithm.class);
    /** The identity the peer proved in IKE_AUTH (for INITIAL_CONTACT and logs). */
    String peerIdentity;
    /** The datagram being processed (IKE_SA_INIT's RealMessage2 for the initiator's AUTH check). */
    byte[] currentDatagram;

    // Our requests: one in flight (window size 1, §2.3).
    private final Deque<IkeTask> pending = new ArrayDeque<>();
    private IkeTask active;
    private int activeId;
    /** The request in flight as sent: one datagram or its fragments. */
    private List<byte[]> activeMessage;
    private int retransmits;
    private IkeEngine.Timer retransmitTimer;
    int nextRequestId;

    // The peer's requests.
    int expectedRequestId;
    /** Our answer to the peer's last request, as sent (one datagram or its fragments). */
    private List<byte[]> lastResponse;
    private byte[] lastRequestDigest;
    private final FragmentReassembly requestFragments = new FragmentReassembly(this, "request");
    private final FragmentReassembly responseFragments = new FragmentReassembly(this, "response");

    final List<ChildSa> children = new ArrayList<>();
    long lastInboundNanos = System.nanoTime();
    IkeEngine.Timer dpdTimer;
    IkeEngine.Timer rekeyTimer;
    /** After an IKE SA rekey: the SA that took over this one's children. */
    IkeSa successor;
    /**
     * An IKE SA rekey collision (RFC 7296 §2.8.2): while our rekey of this SA was in flight, the
     * peer rekeyed it too and we answered; this is the (UNDECIDED) SA that answer created. Which
     * new SA survives is decided by the nonces once our own exchange ends.
     */
    IkeSa collision;
    /** On an UNDECIDED SA: the SA whose {@link #collision} it is, which it may replace. */
    IkeSa replaces;

    IkeSa(IkeEngine engine, IkeEngine.Connection connection, boolean initiator, long spiI, long spiR,
          InetSocketAddress local, InetSocketAddress remote) {
        this.engine = engine;
        this.connection = connection;
        this.initiator = initiator;
        this.spiI = spiI;
        this.spiR = spiR;
        this.local = local;
        this.remote = remote;
        this.uniqueId = engine.nextUniqueId();
    }

    /**
     * The IKE SA that holds this one's CHILD_SAs now: itself, or the newest SA that replaced it
     * in rekeys. An exchange that was under way on this SA while it was rekeyed (both peers
     * busy at once) hands its results there, or they would die with this SA.
     */
    IkeSa current() {
        IkeSa s = this;
        while (s.successor != null) {
            s = s.successor;
        }
        return s;
    }

    /** Our SPI: the one the engine files this SA under. */
    long localSpi() {
        return initiator ? spiI : spiR;
    }

    public State state() {
        return state;
    }

    public List<ChildSa> children() {
        return List.copyOf(children);
    }

    public String name() {
        return connection.conn().name() + "[" + uniqueId + "]";
    }

    // ---------------------------------------------------------------- keys

    /**
     * Derives SK_* from the negotiated transforms (§2.14) and sets up SK payload protection.
     * {@code skeyseed} is zeroed here.
     */
    void deriveKeys(byte[] skeyseed) {
        try {
            keys = IkeKeyDerivation.ikeSaKeys(prf, encryption, integrity, skeyseed, nonceI, nonceR, spiI, spiR);
        } finally {
            Arrays.fill(skeyseed, (byte) 0);
        }
        skOut = SkCrypto.forSender(keys, initiator, encryption, integrity, engine.random());
        skIn = SkCrypto.forSender(keys, !initiator, encryption, integrity, engine.random());
        engine.keyLog().ikeSa(this);
    }

    void adopt(IkeProposal proposal) {
        chosen = proposal;
        encryption = proposal.encryption().getFirst();
        integrity = proposal.integrity().isEmpty() ? IntegrityAlgorithm.NONE : proposal.integrity().getFirst();
        prf = proposal.prf().getFirst();
        group = proposal.groups().getFirst();
    }

    String algorithms() {
        return chosen == null ? "-" : chosen.toString();
    }

    // ---------------------------------------------------------------- our requests

    void queue(IkeTask task) {
        pending.add(task);
        kick();
    }

    boolean busy() {
        return active != null || !pending.isEmpty();
    }

    boolean hasQueued(Class<? extends IkeTask> type) {
        return type.isInstance(active) || pending.stream().anyMatch(type::isInstance);
    }

    /** Whether our request of this type is on the wire (sent, its response not yet handled). */
    boolean inFlight(Class<? extends IkeTask> type) {
        return type.isInstance(active);
    }

    /**
     * Whether our CREATE_CHILD_SA (new pair or rekey) or a DELETE of a CHILD_SA is on the wire:
     * its response must come back on this IKE SA.
     */
    boolean childExchangeInFlight() {
        return active instanceof ChildCreateTask || active instanceof InformationalTask i && i.deletesChild();
    }

    private void kick() {
        if (active != null || pending.isEmpty() || state == State.DEAD) {
            return;
        }
        active = pending.poll();
        activeId = nextRequestId;
        sendActive();
    }

    private void sendActive() {
        List<IkePayload> payloads;
        try {
            payloads = active.build(this);
        } catch (IkeFailure f) {
            engine.count(f.counter());
            engine.log(name() + " " + active.exchange() + " not sent: " + f.getMessage());
            IkeTask t = active;
            active = null;
            t.abort(this);
            if (state == State.CONNECTING) {
                engine.destroy(this, "could not start: " + f.getMessage());
            }
            kick();
            return;
        }
        IkeHeader header = IkeHeader.of(spiI, spiR, active.exchange(), initiator, false, activeId);
        activeMessage = datagrams(header, payloads);
        if (active.exchange() == ExchangeType.IKE_SA_INIT) {
            initRequest = activeMessage.getFirst();
        }
        // Fragments of an answer to an earlier attempt do not belong to this one.
        responseFragments.clear();
        retransmits = 0;
        engine.send(this, activeMessage);
        scheduleRetransmit();
    }

    private void scheduleRetransmit() {
        IkeConfig.Retransmit rt = connection.conn().retransmit();
        retransmitTimer = engine.schedule(rt.delayMillis(retransmits), this::retransmit);
    }

    private void retransmit() {
        if (active == null || state == State.DEAD) {
            return;
        }
        IkeConfig.Retransmit rt = connection.conn().retransmit();
        if (retransmits >= rt.tries()) {
            engine.count("retransmit_giveup");
            IkeTask t = active;
            active = null;
            engine.log(name() + " peer " + remote + " did not answer " + t.exchange() + " after " + retransmits
                    + " retransmits: giving up");
            t.abort(this);
            if (state == State.DEAD) {
                // The exchange was this SA's own DELETE, and the SA went with it. Unanswered, it
                // says nothing of the peer: after a rekey the peer may have removed the old SA
                // already (its DELETE crossed ours, or never came), and the new SA lives on.
                engine.count("delete_unconfirmed");
                return;
            }
            engine.peerLost(this);
            return;
        }
        retransmits++;
        engine.count("retransmits");
        engine.send(this, activeMessage);
        scheduleRetransmit();
    }

    /** One message as one datagram: IKE_SA_INIT in the clear, everything else in an SK payload. */
    byte[] encode(IkeHeader header, List<IkePayload> payloads) {
        if (header.exchange().orElseThrow() == ExchangeType.IKE_SA_INIT) {
            return new IkeMessage(header, payloads).encode();
        }
        return skOut.encrypt(header, List.of(), payloads);
    }

    /**
     * The datagrams that carry a message: the message itself, or its IKE Fragment messages
     * (RFC 7383 §2.5) when fragmentation was negotiated, our config sends fragments
     * ({@code fragmentation yes|force}) and the message would exceed what the fragment size
     * leaves for it on this path (IP version, non-ESP marker on port 4500). IKE_SA_INIT has
     * no SK payload and is never fragmented.
     */
    List<byte[]> datagrams(IkeHeader header, List<IkePayload> payloads) {
        IkeConfig.Fragmentation f = connection.conn().fragmentation();
        if (header.exchange().orElseThrow() == ExchangeType.IKE_SA_INIT || !fragmentation || !f.mode().sends()) {
            return List.of(encode(header, payloads));
        }
        int limit = f.maxMessageLength(remote.getAddress() instanceof Inet6Address,
                local.getPort() == IkeEngine.NATT_PORT);
        int length = IkeHeader.LENGTH + PayloadChain.GENERIC_HEADER_LENGTH
                + skOut.protectedLength(PayloadChain.encode(payloads).length);
        if (length <= limit) {
            return List.of(encode(header, payloads));
        }
        return IkeFragments.split(skOut, header, payloads, limit);
    }

    // ---------------------------------------------------------------- receiving

    /**
     * A message for this SA, already decoded once by the engine (outer payloads only): a whole
     * message, or one IKE Fragment message (an SKF payload last), which passes the same
     * message-ID checks and then waits in its direction's {@link FragmentReassembly} until
     * the message is complete.
     */
    void receive(IkeMessage outer, byte[] datagram, InetSocketAddress from, InetSocketAddress to) {
        if (state == State.DEAD) {
            return;
        }
        IkeHeader h = outer.header();
        SkfPayload skf = !outer.payloads().isEmpty() && outer.payloads().getLast() instanceof SkfPayload f ? f : null;
        if (skf != null && !fragmentation) {
            // RFC 7383 §2.3: fragments are only for peers that negotiated them.
            dropFragment("malformed");
            return;
        }
        if (h.isResponse()) {
            if (active == null || h.messageId() != activeId) {
                engine.count("unexpected_response");
                if (skf != null) {
                    engine.count("fragments_dropped");
                }
                return;
            }
            IkeMessage msg = skf == null ? open(outer, datagram) : reassemble(responseFragments, h, skf, datagram);
            if (msg == null) {
                return;
            }
            inbound(from, to);
            currentDatagram = datagram;
            handleResponse(msg);
            currentDatagram = null;
        } else {
            int id = h.messageId();
            if (lastResponse != null && id == expectedRequestId - 1) {
                if (skf != null) {
                    retransmittedFragment(skf, datagram);
                } else if (Arrays.equals(lastRequestDigest, IkeEngine.digest(datagram))) {
                    engine.count("request_retransmits");
                    engine.send(this, lastResponse);
                } else {
                    engine.count("bad_message_id");
                }
                return;
            }
            if (id != expectedRequestId) {
                engine.count("bad_message_id");
                if (skf != null) {
                    engine.count("fragments_dropped");
                }
                return;
            }
            IkeMessage msg;
            try {
                msg = skf == null ? openOrThrow(outer, datagram) : requestFragments.offer(skIn, h, skf, datagram);
            } catch (IkeParseException e) {
                if (e.errorNotify() == NotifyType.UNSUPPORTED_CRITICAL_PAYLOAD) {
                    engine.count("unsupported_critical_payload");
                    respond(h, datagram, List.of(NotifyPayload.of(e.errorNotify(), e.errorNotifyData())), null);
                } else {
                    engine.count("malformed");
                }
                return;
            } catch (SkIntegrityException e) {
                engine.count("integrity");
                return;
            }
            if (msg == null) {
                return;
            }
            inbound(from, to);
            handleRequest(msg, datagram);
        }
    }

    /** A response fragment: the whole response once complete, else null. */
    private IkeMessage reassemble(FragmentReassembly set, IkeHeader h, SkfPayload skf, byte[] datagram) {
        try {
            return set.offer(skIn, h, skf, datagram);
        } catch (IkeParseException e) {
            engine.count("malformed");
            return null;
        }
    }

    /**
     * A fragment of the request we answered last (RFC 7383 §2.6.1): only fragment 1 makes us
     * send our whole response again, so that a request retransmitted as n fragments draws one
     * response, not n; the other fragments are ignored. Fragment 1 must verify first: nobody
     * but the peer can make us send (it may even have fragmented the request anew, so a digest
     * of the first copy would not do).
     */
    private void retransmittedFragment(SkfPayload skf, byte[] datagram) {
        if (skf.fragmentNumber() != 1) {
            engine.count("fragment_retransmits_ignored");
            return;
        }
        try {
            skIn.decryptFragment(datagram);
        } catch (IkeParseException e) {
            dropFragment("malformed");
            return;
        } catch (SkIntegrityException e) {
            dropFragment("integrity");
            return;
        }
        engine.count("request_retransmits");
        engine.send(this, lastResponse);
    }

    private void dropFragment(String reason) {
        engine.count(reason);
        engine.count("fragments_dropped");
    }

    private IkeMessage open(IkeMessage outer, byte[] datagram) {
        try {
            return openOrThrow(outer, datagram);
        } catch (IkeParseException e) {
            engine.count("malformed");
        } catch (SkIntegrityException e) {
            engine.count("integrity");
        }
        return null;
    }

    private IkeMessage openOrThrow(IkeMessage outer, byte[] datagram) throws IkeParseException, SkIntegrityException {
        if (outer.header().exchange().orElse(null) == ExchangeType.IKE_SA_INIT) {
            return outer;
        }
        if (skIn == null) {
            throw new IkeParseException("encrypted message before keys exist");
        }
        return skIn.decrypt(datagram);
    }

    /** An authenticated message arrived: liveness, and NAT port floating (§2.23). */
    private void inbound(InetSocketAddress from, InetSocketAddress to) {
        lastInboundNanos = System.nanoTime();
        if (!from.equals(remote) && (natDetected || from.getPort() == IkeEngine.NATT_PORT)) {
            engine.log(name() + " peer moved from " + remote + " to " + from);
            remote = from;
        }
        if (to.getPort() != local.getPort()) {
            local = to;
        }
    }

    private void handleResponse(IkeMessage msg) {
        retransmitTimer.cancel();
        IkeTask task = active;
        IkeTask.Outcome outcome;
        try {
            outcome = task.process(this, msg);
        } catch (IkeFailure f) {
            engine.count(f.counter());
            active = null;
            nextRequestId++;
            engine.log(name() + " " + task.exchange() + " failed: " + f.getMessage());
            task.abort(this);
            if (state == State.CONNECTING) {
                engine.destroy(this, f.getMessage());
            }
            kick();
            return;
        }
        if (outcome == IkeTask.Outcome.RETRY) {
            sendActive();
            return;
        }
        active = null;
        nextRequestId++;
        kick();
    }

    private void handleRequest(IkeMessage msg, byte[] datagram) {
        ExchangeType type = msg.header().exchange().orElse(null);
        if (state == State.UNDECIDED && !(type == ExchangeType.INFORMATIONAL && InformationalTask.deletesIke(msg))) {
            // Made by the peer's rekey while ours was in flight, and not yet known to survive
            // (§2.8.2): left unanswered, so the peer retransmits it, by when our own exchange
            // has decided. Only the peer's DELETE of it (it lost) is taken at once.
            engine.count("ike_rekey_collision_deferred");
            return;
        }
        Responder.Reply reply;
        try {
            if (type == null) {
                throw new IkeFailure("malformed", NotifyType.INVALID_SYNTAX,
                        "unknown exchange type " + msg.header().exchangeType());
            }
            reply = switch (type) {
                case IKE_SA_INIT -> throw new IkeFailure("bad_message_id", null, "IKE_SA_INIT on an existing SA");
                case IKE_AUTH -> IkeAuthTask.respond(this, msg);
                case CREATE_CHILD_SA -> Responder.createChildSa(this, msg);
                case INFORMATIONAL -> InformationalTask.respond(this, msg);
            };
        } catch (IkeFailure f) {
            engine.count(f.counter());
            engine.log(name() + " " + (type == null ? "request" : type) + " refused: " + f.getMessage());
            if (f.errorNotify() == null) {
                return;
            }
            reply = new Responder.Reply(List.of(NotifyPayload.of(f.errorNotify())),
                    type == ExchangeType.IKE_AUTH ? () -> engine.destroy(this, "authentication failed") : null);
        }
        respond(msg.header(), datagram, reply.payloads(), reply.after());
    }

    private void respond(IkeHeader request, byte[] datagram, List<IkePayload> payloads, Runnable after) {
        ExchangeType type = request.exchange().orElse(ExchangeType.INFORMATIONAL);
        IkeHeader h = IkeHeader.of(spiI, spiR, type, initiator, true, request.messageId());
        lastResponse = datagrams(h, payloads);
        lastRequestDigest = IkeEngine.digest(datagram);
        expectedRequestId = request.messageId() + 1;
        requestFragments.clear();
        engine.send(this, lastResponse);
        if (after != null) {
            after.run();
        }
    }

    /** The responder side of IKE_SA_INIT has answered: remember the answer for retransmits. */
    void initResponded(byte[] request, byte[] response) {
        lastResponse = List.of(response);
        lastRequestDigest = IkeEngine.digest(request);
        expectedRequestId = 1;
    }

    // ---------------------------------------------------------------- life cycle

    /**
     * The CHILD_SA whose outbound SPI is {@code spi} (the peer's inbound SPI, as in its REKEY_SA
     * and DELETE payloads). After an IKE SA rekey the peer may still name a child on the old IKE
     * SA for a moment; the children moved to the successor, so it is searched too.
     */
    ChildSa childByOutSpi(int spi) {
        for (IkeSa s = this; s != null; s = s.successor) {
            for (ChildSa c : s.children) {
                if (c.outSpi == spi) {
                    return c;
                }
            }
        }
        return null;
    }

    /** Takes {@code child} into this SA's list (it was created here, or moved in an IKE SA rekey). */
    void addChild(ChildSa child) {
        children.add(child);
        child.owner = this;
    }

    /** Hands the queued exchanges that concern CHILD_SAs to the SA that replaced this one. */
    void migrateTasks(IkeSa next) {
        for (java.util.Iterator<IkeTask> it = pending.iterator(); it.hasNext(); ) {
            IkeTask t = it.next();
            if (t instanceof ChildCreateTask || t instanceof InformationalTask i && i.kind() == InformationalTask.Kind.DELETE_CHILD) {
                it.remove();
                next.queue(t);
            }
        }
    }

    /** Called by the engine when the SA dies: stops timers, fails queued tasks, zeroes keys. */
    void terminate() {
        state = State.DEAD;
        requestFragments.clear();
        responseFragments.clear();
        for (IkeEngine.Timer t : new IkeEngine.Timer[] {retransmitTimer, dpdTimer, rekeyTimer}) {
            if (t != null) {
                t.cancel();
            }
        }
        IkeTask t = active;
        active = null;
        if (t != null) {
            t.abort(this);
        }
        for (IkeTask p : pending) {
            p.abort(this);
        }
        pending.clear();
        if (keys != null) {
            keys.destroy();
        }
        if (skOut != null) {
            skOut.destroy();
            skIn.destroy();
        }
        if (nonceI != null) {
            Arrays.fill(nonceI, (byte) 0);
        }
        if (nonceR != null) {
            Arrays.fill(nonceR, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return name() + " " + local + "..." + remote + " spis " + String.format("%016x_i %016x_r", spiI, spiR);
    }
}
