package io.ipsecmesh.ike;

import static io.ipsecmesh.ike.IkeTestBytes.range;
import static io.ipsecmesh.ike.IkeTestBytes.repeat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ipsecmesh.crypto.EncryptionAlgorithm;
import io.ipsecmesh.crypto.IntegrityAlgorithm;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** RFC 7296 §2.15 signed octets and the shared key MIC, recomputed with plain javax.crypto.Mac. */
class IkeAuthTest {

    private static final byte[] MSG1 = range(0x10, 300);
    private static final byte[] NONCE_R = range(0x80, 32);
    private static final byte[] SK_PI = repeat(0x5a, 32);
    private static final IdPayload IDI = IdPayload.fqdn(true, "node-1.cluster.example");
    private static final IdPayload IDR = IdPayload.fqdn(false, "node-2.cluster.example");
    private static final byte[] PSK = "correct horse battery staple".getBytes(StandardCharsets.US_ASCII);

    private static byte[] hmac(String alg, byte[] key, byte[]... data) throws Exception {
        Mac m = Mac.getInstance(alg);
        m.init(new SecretKeySpec(key, alg));
        for (byte[] d : data) {
            m.update(d);
        }
        return m.doFinal();
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    private static byte[] flip(byte[] b, int index) {
        byte[] c = b.clone();
        c[index] ^= 0x01;
        return c;
    }

    @Test
    void signedOctetsLayout() throws Exception {
        byte[] octets = IkeAuth.signedOctets(PrfAlgorithm.HMAC_SHA2_256, SK_PI, MSG1, NONCE_R, IDI, true);
        // RestOfInitIDPayload: ID type 2 (FQDN), 3 reserved zero octets, the name.
        byte[] rest = concat(new byte[] {2, 0, 0, 0}, "node-1.cluster.example".getBytes(StandardCharsets.US_ASCII));
        byte[] expected = concat(MSG1, NONCE_R, hmac("HmacSHA256", SK_PI, rest));
        assertArrayEquals(expected, octets);
    }

    @Test
    void signedOctetsRefuseTheWrongIdPayload() {
        assertThrows(IllegalArgumentException.class,
                () -> IkeAuth.signedOctets(PrfAlgorithm.HMAC_SHA2_256, SK_PI, MSG1, NONCE_R, IDR, true));
        assertThrows(IllegalArgumentException.class,
                () -> IkeAuth.signedOctets(PrfAlgorithm.HMAC_SHA2_256, SK_PI, MSG1, NONCE_R, IDI, false));
    }

    @Test
    void initiatorAndResponderUseSkPiAndSkPr() throws Exception {
        IkeSaKeys keys = IkeKeyDerivation.ikeSaKeys(PrfAlgorithm.HMAC_SHA2_256, EncryptionAlgorithm.AES_GCM_16_256,
                IntegrityAlgorithm.NONE, repeat(7, 32), range(1, 32), range(2, 32), 1L, 2L);
        byte[] i = IkeAuth.initiatorSignedOctets(PrfAlgorithm.HMAC_SHA2_256, keys, MSG1, NONCE_R, IDI);
        byte[] r = IkeAuth.responderSignedOctets(PrfAlgorithm.HMAC_SHA2_256, keys, MSG1, NONCE_R, IDR);
        assertArrayEquals(concat(MSG1, NONCE_R, hmac("HmacSHA256", keys.skPi(), IDI.encodeBody())), i);
        assertArrayEquals(concat(MSG1, NONCE_R, hmac("HmacSHA256", keys.skPr(), IDR.encodeBody())), r);
    }

    @ParameterizedTest
    @EnumSource(PrfAlgorithm.class)
    void pskMicMatchesRfc7296Formula(PrfAlgorithm prf) throws Exception {
        byte[] octets = IkeAuth.signedOctets(prf, range(3, prf.keyLength()), MSG1, NONCE_R, IDI, true);
        byte[] pad = "Key Pad for IKEv2".getBytes(StandardCharsets.US_ASCII);
        assertEquals(17, pad.length);
        byte[] expected = hmac(prf.jceName(), hmac(prf.jceName(), PSK, pad), octets);
        AuthPayload auth = IkeAuth.pskAuth(prf, PSK, octets);
        assertEquals(AuthPayload.SHARED_KEY_MIC, auth.method());
        assertArrayEquals(expected, auth.authenticationData());
        assertDoesNotThrow(() -> IkeAuth.verifyPsk(prf, PSK, octets, auth));
    }

    @Test
    void pskTamperingAnyInputFails() {
        PrfAlgorithm prf = PrfAlgorithm.HMAC_SHA2_256;
        AuthPayload good = IkeAuth.pskAuth(prf, PSK,
                IkeAuth.signedOctets(prf, SK_PI, MSG1, NONCE_R, IDI, true));
        // every bit position of a sample of octets in each input
        for (int i : new int[] {0, 17, MSG1.length - 1}) {
            byte[] octets = IkeAuth.signedOctets(prf, SK_PI, flip(MSG1, i), NONCE_R, IDI, true);
            assertThrows(IkeAuthException.class, () -> IkeAuth.verifyPsk(prf, PSK, octets, good), "message " + i);
        }
        for (int i : new int[] {0, NONCE_R.length - 1}) {
            byte[] octets = IkeAuth.signedOctets(prf, SK_PI, MSG1, flip(NONCE_R, i), IDI, true);
            assertThrows(IkeAuthException.class, () -> IkeAuth.verifyPsk(prf, PSK, octets, good), "nonce " + i);
        }
        for (int i : new int[] {0, SK_PI.length - 1}) {
            byte[] octets = IkeAuth.signedOctets(prf, flip(SK_PI, i), MSG1, NONCE_R, IDI, true);
            assertThrows(IkeAuthException.class, () -> IkeAuth.verifyPsk(prf, PSK, octets, good), "SK_pi " + i);
        }
        IdPayload otherId = new IdPayload(true, IdPayload.ID_FQDN, flip(IDI.data(), 3));
        byte[] otherIdOctets = IkeAuth.signedOctets(prf, SK_PI, MSG1, NONCE_R, otherId, true);
        assertThrows(IkeAuthException.class, () -> IkeAuth.verifyPsk(prf, PSK, otherIdOctets, good));
        IdPayload otherType = new IdPayload(true, IdPayload.ID_KEY_ID, IDI.data());
        byte[] otherTypeOctets = IkeAuth.signedOctets(prf, SK_PI, MSG1, NONCE_R, otherType, true);
        assertThrows(IkeAuthException.class, () -> IkeAuth.verifyPsk(prf, PSK, otherTypeOctets, good));

        byte[] octets = IkeAuth.signedOctets(prf, SK_PI, MSG1, NONCE_R, IDI, true);
        assertThrows(IkeAuthException.class, () -> IkeAuth.verifyPsk(prf, flip(PSK, 0), octets, good));
        assertThrows(IkeAuthException.class, () -> IkeAuth.verifyPsk(PrfAlgorithm.HMAC_SHA2_384, PSK, octets, good));
        byte[] mic = good.authenticationData();
        for (int i = 0; i < mic.length * 8; i++) {
            byte[] t = mic.clone();
            t[i / 8] ^= (byte) (1 << (i % 8));
            AuthPayload bad = new AuthPayload(AuthPayload.SHARED_KEY_MIC, t);
            assertThrows(IkeAuthException.class, () -> IkeAuth.verifyPsk(prf, PSK, octets, bad), "MIC bit " + i);
        }
        AuthPayload truncated = new AuthPayload(AuthPayload.SHARED_KEY_MIC, Arrays.copyOf(mic, mic.length - 1));
        assertThrows(IkeAuthException.class, () -> IkeAuth.verifyPsk(prf, PSK, octets, truncated));
        AuthPayload wrongMethod = new AuthPayload(AuthPayload.DIGITAL_SIGNATURE, mic);
        assertThrows(IkeAuthException.class, () -> IkeAuth.verifyPsk(prf, PSK, octets, wrongMethod));
        assertDoesNotThrow(() -> IkeAuth.verifyPsk(prf, PSK, octets, good));
    }

    @Test
    void emptySharedSecretRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> IkeAuth.pskAuthData(PrfAlgorithm.HMAC_SHA2_256, new byte[0], MSG1));
    }
}
