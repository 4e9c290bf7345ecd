package io.ipsecmesh.dataplane;

import io.ipsecmesh.packet.PacketBuffer;
import io.ipsecmesh.sa.DropReason;
import io.ipsecmesh.sa.WorkerContext;
import io.ipsecmesh.tun.TunDevice;

import java.io.IOException;

/**
 * One data-plane thread: reads packets from its own TUN queue, runs the pipeline and writes
 * the result back into the same queue. With a multi-queue TUN the kernel spreads flows over the
 * queues, so each core works on its own flows.
 */
public final class TunWorker implements Runnable {
    private final TunDevice queue;
    private final UserspaceDataPlane dataPlane;
    private final WorkerContext context;
    private final PacketBuffer packet = new PacketBuffer();
    private volatile long writeErrors;

    public TunWorker(TunDevice queue, UserspaceDataPlane dataPlane, int index) {
        this.queue = queue;
        this.dataPlane = dataPlane;
        this.context = new WorkerContext(index);
    }

    @Override
    public void run() {
        byte[] buf = packet.buf;
        while (true) {
            int n;
            try {
                n = queue.read(buf, PacketBuffer.HEADROOM, PacketBuffer.MAX_PACKET);
            } catch (IOException e) {
                System.err.println("ipsec-mesh: worker " + context.index + " stops: " + e.getMessage());
                return;
            }
            if (n < 0) {
                return; // closed
            }
            packet.off = PacketBuffer.HEADROOM;
            packet.len = n;
            if (dataPlane.process(context, packet) == DropReason.NONE) {
                try {
                    queue.write(buf, packet.off, packet.len);
                } catch (IOException e) {
                    if (queue.isClosed()) {
                        return;
                    }
                    if (writeErrors++ == 0) {
                        System.err.println("ipsec-mesh: worker " + context.index + ": TUN write failed: " + e.getMessage());
                    }
                }
            }
        }
    }

    public long writeErrors() {
        return writeErrors;
    }
}
