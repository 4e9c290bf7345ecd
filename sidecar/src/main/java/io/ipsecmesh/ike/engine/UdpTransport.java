package io.ipsecmesh.ike.engine;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * IKE over UDP: sockets on port 500 and 4500 of each local address, read on the engine's
 * selector. On 4500 every IKE message carries the four-zero-byte non-ESP marker (RFC 3948 §2.2);
 * one-byte 0xFF datagrams are NAT keepalives (§2.3). ESP in UDP never reaches these sockets: the
 * node's packet steering sends it into the TUN (see docs/ike.md).
 */
public final class UdpTransport implements IkeEngine.Transport, AutoCloseable {

    private static final int BUFFER = 65536;
    private final IkeEngine engine;
    private final Map<InetSocketAddress, DatagramChannel> channels = new HashMap<>();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);

    public UdpTransport(IkeEngine engine) {
        this.engine = engine;
    }

    /** Binds port 500 and 4500 of {@code address}; call before the engine starts. */
    public void bind(InetAddress address) throws IOException {
        for (int port : new int[] {IkeEngine.IKE_PORT, IkeEngine.NATT_PORT}) {
            InetSocketAddress local = new InetSocketAddress(address, port);
            if (channels.containsKey(local)) {
                continue;
            }
            DatagramChannel ch = DatagramChannel.open(address.getAddress().length == 4
                    ? java.net.StandardProtocolFamily.INET : java.net.StandardProtocolFamily.INET6);
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            try {
                ch.bind(local);
            } catch (IOException e) {
                ch.close();
                throw new IOException("cannot bind IKE socket " + local + ": " + e.getMessage(), e);
            }
            ch.configureBlocking(false);
            ch.register(engine.selector(), SelectionKey.OP_READ, (Runnable) () -> drain(ch, local));
            channels.put(local, ch);
        }
    }

    private void drain(DatagramChannel ch, InetSocketAddress local) {
        while (true) {
            buffer.clear();
            InetSocketAddress from;
            try {
                from = (InetSocketAddress) ch.receive(buffer);
            } catch (IOException e) {
                engine.count("receive_errors");
                return;
            }
            if (from == null) {
                return;
            }
            buffer.flip();
            byte[] data = new byte[buffer.remaining()];
            buffer.get(data);
            if (local.getPort() == IkeEngine.NATT_PORT) {
                if (data.length == 1 && data[0] == (byte) 0xff) {
                    engine.count("natt_keepalives");
                    continue;
                }
                if (data.length < 4 || data[0] != 0 || data[1] != 0 || data[2] != 0 || data[3] != 0) {
                    engine.count("esp_on_ike_socket");
                    continue;
                }
                data = Arrays.copyOfRange(data, 4, data.length);
            }
            engine.count("messages_received");
            engine.receive(data, from, local);
        }
    }

    @Override
    public void send(InetSocketAddress from, InetSocketAddress to, byte[] message) {
        DatagramChannel ch = channels.get(from);
        if (ch == null) {
            engine.count("send_errors");
            engine.log("no IKE socket on " + from);
            return;
        }
        ByteBuffer out;
        if (from.getPort() == IkeEngine.NATT_PORT) {
            out = ByteBuffer.allocate(message.length + 4);
            out.putInt(0).put(message).flip();
        } else {
            out = ByteBuffer.wrap(message);
        }
        try {
            ch.send(out, to);
        } catch (IOException e) {
            engine.count("send_errors");
            engine.log("cannot send to " + to + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        for (DatagramChannel ch : channels.values()) {
            try {
                ch.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
