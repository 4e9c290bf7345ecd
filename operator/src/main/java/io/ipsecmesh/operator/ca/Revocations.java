package io.ipsecmesh.operator.ca;

import java.math.BigInteger;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The node certificates issued and the ones revoked. A deleted node's certificates are
 * revoked until they expire; listeners (the snapshot streams) are told, so every node learns
 * the serials to refuse.
 */
public final class Revocations {

    private record Issued(String node, Instant notAfter) {
    }

    private final Clock clock;
    private final Map<BigInteger, Issued> issued = new HashMap<>();
    private final Map<BigInteger, Instant> revoked = new HashMap<>();
    private final List<Consumer<Set<BigInteger>>> listeners = new CopyOnWriteArrayList<>();

    public Revocations(Clock clock) {
        this.clock = clock;
    }

    public synchronized void issued(BigInteger serial, String node, Instant notAfter) {
        prune();
        issued.put(serial, new Issued(node, notAfter));
    }

    /** Revokes every unexpired certificate of the node; returns the serials with their expiry. */
    public Map<BigInteger, Instant> revokeNode(String node) {
        Map<BigInteger, Instant> out = new HashMap<>();
        synchronized (this) {
            prune();
            for (Map.Entry<BigInteger, Issued> e : issued.entrySet()) {
                if (e.getValue().node().equals(node) && !revoked.containsKey(e.getKey())) {
                    revoked.put(e.getKey(), e.getValue().notAfter());
                    out.put(e.getKey(), e.getValue().notAfter());
                }
            }
        }
        if (!out.isEmpty()) {
            for (Consumer<Set<BigInteger>> l : listeners) {
                l.accept(Set.copyOf(out.keySet()));
            }
        }
        return out;
    }

    public synchronized boolean isRevoked(BigInteger serial) {
        return revoked.containsKey(serial);
    }

    /** The revoked serials that have not expired yet. */
    public synchronized Set<BigInteger> revoked() {
        prune();
        return Set.copyOf(revoked.keySet());
    }

    public void addListener(Consumer<Set<BigInteger>> l) {
        listeners.add(l);
    }

    private void prune() {
        Instant now = clock.instant();
        issued.values().removeIf(i -> i.notAfter().isBefore(now));
        revoked.values().removeIf(t -> t.isBefore(now));
    }
}
