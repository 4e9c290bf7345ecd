package io.ipsecmesh.ike.engine;

import io.ipsecmesh.ike.ExchangeType;
import io.ipsecmesh.ike.IkeMessage;
import io.ipsecmesh.ike.IkePayload;

import java.util.List;

/**
 * One exchange we initiate, as libcharon models it: {@link #build} makes the request's
 * payloads, {@link #process} handles the response. Each task class also holds the responder's
 * side of its exchange as a static method, so both halves of a protocol step read together.
 * Tasks run on the engine thread only.
 */
interface IkeTask {

    /** What {@link #process} decided. */
    enum Outcome {
        /** The exchange is complete. */
        DONE,
        /** Send the request again, rebuilt (IKE_SA_INIT after COOKIE or INVALID_KE_PAYLOAD). */
        RETRY
    }

    ExchangeType exchange();

    List<IkePayload> build(IkeSa sa) throws IkeFailure;

    Outcome process(IkeSa sa, IkeMessage response) throws IkeFailure;

    /** The peer never answered (retransmissions exhausted) or the IKE SA died first. */
    default void abort(IkeSa sa) {
    }
}
