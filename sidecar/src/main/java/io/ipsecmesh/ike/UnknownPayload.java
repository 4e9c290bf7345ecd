package io.ipsecmesh.ike;

import java.util.Arrays;

/**
 * A payload of a type this codec does not interpret, with its critical bit clear: RFC 7296
 * §2.5 says to skip it. It is kept opaque only so that a decoded message re-encodes byte for
 * byte; the engine ignores it. (A critical unknown payload never gets here: decoding
 * rejects the message with UNSUPPORTED_CRITICAL_PAYLOAD.)
 */
public record UnknownPayload(int type, boolean critical, byte[] body) implements IkePayload {

    public UnknownPayload {
        if (type < 1 || type > 0xff) {
            throw new IllegalArgumentException("payload type " + type + " out of range 1..255");
        }
        if (PayloadType.of(type).isPresent()) {
            throw new IllegalArgumentException("payload type " + type + " is known: " + PayloadType.of(type).get());
        }
        body = body.clone();
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    @Override
    public byte[] encodeBody() {
        return body.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UnknownPayload u && u.type == type && u.critical == critical && Arrays.equals(u.body, body);
    }

    @Override
    public int hashCode() {
        return 31 * type + (critical ? 1 : 0) + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "Unknown[type " + type + (critical ? ", critical" : "") + ", " + body.length + " bytes]";
    }
}
