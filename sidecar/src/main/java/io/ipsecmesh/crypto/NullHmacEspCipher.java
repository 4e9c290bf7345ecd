package io.ipsecmesh.crypto;

/**
 * ESP with NULL encryption (RFC 2410): no IV, no confidentiality, the payload is sent as is;
 * an integrity algorithm is mandatory (RFC 4303 §3.2 forbids NULL encryption without
 * integrity). Alignment is the ESP minimum of 4 bytes (RFC 2410 gives NULL a block size of 1; RFC 4303
 * §2.4: the trailer still ends on a 4-byte boundary). The ICV covers SPI || sequence number ||
 * payload and trailer, then the implicit ESN high bits (RFC 4303 §2.2.1, §3.3.2.1).
 */
final class NullHmacEspCipher extends AbstractEspCipher {

    private final HmacIntegrityMac mac;

    NullHmacEspCipher(IntegrityAlgorithm integ, byte[] integKey) {
        super(EncryptionAlgorithm.NULL.keyword() + "-" + integ.keyword(), 0, integ.icvLength(),
                EncryptionAlgorithm.NULL.blockSize());
        this.mac = new HmacIntegrityMac(integ, integKey);
    }

    @Override
    void writeIv(byte[] buf, int ivOff, long seq) {
        // RFC 2410: NULL has no IV.
    }

    @Override
    int sealWithIvInPlace(byte[] buf, int off, int ptLen, long seq, boolean esn) {
        int authLen = HEADER_LENGTH + ptLen;
        CbcHmacEspCipher.authenticate(mac, buf, off, authLen, seq, esn);
        mac.doFinal(buf, off + authLen);
        return authLen + icvLength();
    }

    @Override
    int openAligned(byte[] buf, int off, int ctLen, long seq, boolean esn) {
        int authLen = HEADER_LENGTH + ctLen;
        CbcHmacEspCipher.authenticate(mac, buf, off, authLen, seq, esn);
        return mac.verify(buf, off + authLen) ? ctLen : -1;
    }

    @Override
    boolean keysDestroyed() {
        return mac.keyDestroyed();
    }

    @Override
    void destroyKeys() {
        mac.close();
    }
}
