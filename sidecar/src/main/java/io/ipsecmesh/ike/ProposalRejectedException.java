package io.ipsecmesh.ike;

/**
 * The responder's SA payload does not fit what was offered (RFC 7296 §2.7: the initiator MUST
 * reject such a response).
 */
public final class ProposalRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    public ProposalRejectedException(String message) {
        super(message);
    }
}
