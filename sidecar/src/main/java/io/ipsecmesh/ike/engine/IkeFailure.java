package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.NotifyType;

import java.io.Serial;

/**
 * An exchange that cannot go on: the reason for the log, the counter it increments, and (for a
 * responder) the error notification RFC 7296 prescribes as the answer.
 */
public final class IkeFailure extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    private final transient NotifyType notify;
    private final String counter;

    public IkeFailure(String counter, NotifyType notify, String message) {
        super(message);
        this.counter = counter;
        this.notify = notify;
    }

    /** The error notify to answer with, or null to answer nothing. */
    public NotifyType errorNotify() {
        return notify;
    }

    /** The name of the drop/failure counter this failure increments. */
    public String counter() {
        return counter;
    }
}
