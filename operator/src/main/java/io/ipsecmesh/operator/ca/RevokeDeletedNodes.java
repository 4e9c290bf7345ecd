package io.ipsecmesh.operator.ca;

import io.ipsecmesh.operator.compiler.PolicyCompiler;
import java.math.BigInteger;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * When the compiler drops a deleted node, revokes that node's certificates and puts the
 * serials into every remaining node's snapshot, so peers refuse them.
 */
public final class RevokeDeletedNodes implements PolicyCompiler.Listener {

    private final PolicyCompiler compiler;
    private final Revocations revocations;

    public RevokeDeletedNodes(PolicyCompiler compiler, Revocations revocations) {
        this.compiler = compiler;
        this.revocations = revocations;
        compiler.addListener(this);
    }

    @Override
    public void delta(io.ipsecmesh.operator.compiler.NodeDelta delta) {
    }

    @Override
    public void nodeRemoved(String node) {
        Map<BigInteger, Instant> revoked = revocations.revokeNode(node);
        if (!revoked.isEmpty()) {
            Map<String, Instant> hex = new HashMap<>();
            revoked.forEach((serial, notAfter) -> hex.put(serial.toString(16), notAfter));
            compiler.revoke(hex);
        }
    }
}
