package io.ipsecmesh.ike;

import java.util.ArrayList;
import java.util.List;

/** Security Association payload (RFC 7296 §3.3): one or more proposals. */
public record SaPayload(List<Proposal> proposals) implements IkePayload {

    public SaPayload {
        proposals = List.copyOf(proposals);
        if (proposals.isEmpty()) {
            throw new IllegalArgumentException("an SA payload holds at least one proposal");
        }
    }

    static SaPayload decode(ByteReader r) throws IkeParseException {
        if (r.remaining() == 0) {
            throw new IkeParseException("SA payload without proposals");
        }
        List<Proposal> proposals = new ArrayList<>();
        boolean[] more = {true};
        while (more[0]) {
            if (r.remaining() == 0) {
                throw new IkeParseException("SA payload ends after " + proposals.size()
                        + " proposals, though the last one is marked as followed by more");
            }
            proposals.add(Proposal.decode(r, more));
        }
        if (r.remaining() != 0) {
            throw new IkeParseException("SA payload has " + r.remaining() + " bytes after its last proposal");
        }
        return new SaPayload(proposals);
    }

    @Override
    public int type() {
        return PayloadType.SA.value();
    }

    @Override
    public byte[] encodeBody() {
        ByteWriter w = new ByteWriter();
        for (int i = 0; i < proposals.size(); i++) {
            proposals.get(i).encode(w, i == proposals.size() - 1);
        }
        return w.toByteArray();
    }

    @Override
    public String toString() {
        return "SA" + proposals;
    }
}
