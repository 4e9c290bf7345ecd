package io.ipsecmesh.ike;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import org.junit.jupiter.api.Test;

class EcProviderTest {

    @Test
    void aJdkEcKeyBecomesTheProvidersOwnWithTheSameSecretAndItsSignaturesVerify() throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC"); // the JDK's, as a key file gives
        kpg.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair jdk = kpg.generateKeyPair();
        PrivateKey own = EcProvider.own(jdk.getPrivate());
        assertTrue(own.getClass().getName().startsWith("org.bouncycastle."), own.getClass().getName());
        assertEquals(((ECPrivateKey) jdk.getPrivate()).getS(), ((ECPrivateKey) own).getS());
        byte[] data = "IKE_AUTH signed octets".getBytes();
        Signature s = Signature.getInstance("SHA256withECDSA", EcProvider.get());
        s.initSign(own);
        s.update(data);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance("SHA256withECDSA"); // verified by the JDK with the JDK's public key
        v.initVerify(jdk.getPublic());
        v.update(data);
        assertTrue(v.verify(sig));
        assertSame(own, EcProvider.own(own), "a key of the provider stays as it is");
    }

    @Test
    void otherKeysStayAsTheyAre() throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("RSA");
        kpg.initialize(2048);
        PrivateKey rsa = kpg.generateKeyPair().getPrivate();
        assertSame(rsa, EcProvider.own(rsa));
    }

    @Test
    void namedCurvesAreLookedUpOnce() {
        ECParameterSpec p256 = EcProvider.namedCurve("secp256r1");
        assertSame(p256, EcProvider.namedCurve("secp256r1"));
        assertEquals(256, p256.getCurve().getField().getFieldSize());
        assertEquals(384, EcProvider.namedCurve("secp384r1").getCurve().getField().getFieldSize());
    }
}
