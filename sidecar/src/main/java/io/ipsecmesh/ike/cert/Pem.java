package io.ipsecmesh.ike.cert;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.util.io.pem.PemHeader;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/** PEM or DER, as strongSwan's {@code pki} writes them (DER unless {@code --outform pem}). */
final class Pem {

    /** One object read from a file: its PEM label ({@code null} for DER) and its DER bytes. */
    record Block(String label, byte[] der, boolean encrypted) {
    }

    private Pem() {
    }

    static boolean looksLikePem(byte[] content) {
        String head = new String(content, 0, Math.min(content.length, 4096), StandardCharsets.ISO_8859_1);
        return head.contains("-----BEGIN ");
    }

    /**
     * The objects in {@code content}: every PEM block if it is PEM (text around the blocks, as
     * openssl writes it, is skipped), else the whole content as one DER object.
     */
    static List<Block> read(byte[] content, String what) throws CredentialException {
        if (!looksLikePem(content)) {
            return List.of(new Block(null, content, false));
        }
        List<Block> blocks = new ArrayList<>();
        try (PemReader reader = new PemReader(new StringReader(new String(content, StandardCharsets.US_ASCII)))) {
            PemObject o;
            while ((o = reader.readPemObject()) != null) {
                boolean encrypted = false;
                for (Object h : o.getHeaders()) {
                    if (h instanceof PemHeader ph && "Proc-Type".equalsIgnoreCase(ph.getName())
                            && ph.getValue() != null && ph.getValue().contains("ENCRYPTED")) {
                        encrypted = true;
                    }
                }
                blocks.add(new Block(o.getType(), o.getContent(), encrypted));
            }
        } catch (IOException | RuntimeException e) {
            // PemReader's messages name the problem (bad base64, missing END line), not content.
            throw new CredentialException(what + ": malformed PEM (" + e.getMessage() + ")");
        }
        if (blocks.isEmpty()) {
            throw new CredentialException(what + ": no PEM block found");
        }
        return blocks;
    }
}
