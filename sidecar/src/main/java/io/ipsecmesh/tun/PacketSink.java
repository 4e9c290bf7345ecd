package io.ipsecmesh.tun;

import java.io.IOException;

/**
 * Receives packets that {@link Gso} or {@link Coalescer} produce, as a slice of a buffer that
 * the producer reuses: the sink must consume (copy, encrypt, write) the bytes before it
 * returns. {@code TunDevice::write} is a valid sink for a {@link Coalescer}.
 */
@FunctionalInterface
public interface PacketSink {
    /** Consumes {@code buf[off, off+len)}. */
    void accept(byte[] buf, int off, int len) throws IOException;
}
