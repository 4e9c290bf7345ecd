package io.ipsecmesh.ike;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.EspProposal;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import java.util.Arrays;
import java.util.Objects;

/**
 * IKEv2 key derivation (RFC 7296 §2.14, §2.17, §2.18). Nonces are the Nonce payload bodies;
 * g^ir is the Diffie-Hellman shared secret as an octet string of the group's length (§2.14;
 * the key exchange provides it so). Intermediate secrets are wiped; callers own (and should
 * wipe) what is returned. Nothing here logs.
 */
public final class IkeKeyDerivation {

    private IkeKeyDerivation() {
    }

    /** SKEYSEED = prf(Ni | Nr, g^ir) (§2.14). */
    public static byte[] skeyseed(PrfAlgorithm prf, byte[] ni, byte[] nr, byte[] gir) {
        byte[] key = concat(ni, nr);
        try {
            return prf.prf(key, gir);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /**
     * SKEYSEED of an IKE SA rekeyed by CREATE_CHILD_SA (§2.18):
     * prf(SK_d (old), g^ir (new) | Ni | Nr), with the old IKE SA's PRF.
     */
    public static byte[] rekeySkeyseed(PrfAlgorithm oldPrf, byte[] oldSkD, byte[] girNew, byte[] ni, byte[] nr) {
        return oldPrf.prf(oldSkD, girNew, ni, nr);
    }

    /**
     * The seven IKE SA secrets: prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) split as §2.14 says.
     * For a rekeyed IKE SA, pass the new SA's PRF and the new nonces and SPIs (§2.18).
     */
    public static IkeSaKeys ikeSaKeys(PrfAlgorithm prf, EncryptionAlgorithm encryption, IntegrityAlgorithm integrity,
                                      byte[] skeyseed, byte[] ni, byte[] nr, long spiI, long spiR) {
        int length = IkeSaKeys.keyMaterialLength(prf, encryption, integrity);
        byte[] dkm = prf.prfPlus(skeyseed, length, ni, nr, spi(spiI), spi(spiR));
        try {
            return IkeSaKeys.split(dkm, prf, encryption, integrity);
        } finally {
            Arrays.fill(dkm, (byte) 0);
        }
    }

    /**
     * CHILD_SA KEYMAT = prf+(SK_d, Ni | Nr), or prf+(SK_d, g^ir (new) | Ni | Nr) when the
     * CREATE_CHILD_SA exchange carried KE payloads (§2.17).
     *
     * @param girNew the new shared secret, or null without a Diffie-Hellman exchange
     */
    public static byte[] childSaKeymat(PrfAlgorithm prf, byte[] skD, byte[] girNew, byte[] ni, byte[] nr, int length) {
        Objects.requireNonNull(ni, "ni");
        Objects.requireNonNull(nr, "nr");
        return girNew == null ? prf.prfPlus(skD, length, ni, nr) : prf.prfPlus(skD, length, girNew, ni, nr);
    }

    /** The ESP keys of a CHILD_SA pair with this proposal, split as §2.17 says. */
    public static ChildSaKeys childSaKeys(PrfAlgorithm prf, byte[] skD, byte[] girNew, byte[] ni, byte[] nr,
                                          EspProposal proposal) {
        byte[] keymat = childSaKeymat(prf, skD, girNew, ni, nr, ChildSaKeys.keyMaterialLength(proposal));
        try {
            return ChildSaKeys.split(proposal, keymat);
        } finally {
            Arrays.fill(keymat, (byte) 0);
        }
    }

    /** An IKE SPI as it appears in the header: 8 bytes, big-endian. */
    static byte[] spi(long spi) {
        return new ByteWriter().u64(spi).toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
