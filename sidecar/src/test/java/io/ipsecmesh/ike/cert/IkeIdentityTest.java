package io.ipsecmesh.ike.cert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ipsecmesh.ike.IdPayload;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** strongSwan-style identity strings, ID payload round trips and comparison of {@link IkeIdentity}. */
class IkeIdentityTest {

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void ipv4() {
        IkeIdentity id = IkeIdentity.parse("198.18.1.1");
        assertEquals(IdPayload.ID_IPV4_ADDR, id.type());
        assertArrayEquals(new byte[] {(byte) 198, 18, 1, 1}, id.data());
        assertEquals("198.18.1.1", id.toString());
    }

    @Test
    void ipv6() {
        IkeIdentity id = IkeIdentity.parse("2001:DB8:0:0:0:0:0:1");
        assertEquals(IdPayload.ID_IPV6_ADDR, id.type());
        assertArrayEquals(HexFormat.of().parseHex("20010db8000000000000000000000001"), id.data());
        assertEquals("2001:db8::1", id.toString());
        assertEquals("::", IkeIdentity.parse("::").toString());
        assertEquals("2001:db8:0:1:1:1:1:1", IkeIdentity.parse("2001:db8:0:1:1:1:1:1").toString());
        assertEquals("2001:db8::1:0:0:1", IkeIdentity.parse("2001:db8:0:0:1:0:0:1").toString());
        IkeIdentity mapped = IkeIdentity.parse("::ffff:198.18.1.1");
        assertEquals(IdPayload.ID_IPV6_ADDR, mapped.type());
        assertArrayEquals(HexFormat.of().parseHex("00000000000000000000ffffc6120101"), mapped.data());
    }

    @Test
    void fqdn() {
        IkeIdentity id = IkeIdentity.parse("moon.strongswan.org");
        assertEquals(IdPayload.ID_FQDN, id.type());
        assertArrayEquals(ascii("moon.strongswan.org"), id.data());
        assertEquals("moon.strongswan.org", id.toString());
        // Not a dotted quad, so a name, as inet_pton sees it.
        assertEquals(IdPayload.ID_FQDN, IkeIdentity.parse("1234").type());
        assertEquals(IdPayload.ID_FQDN, IkeIdentity.parse("198.18.1").type());
        assertEquals(IdPayload.ID_FQDN, IkeIdentity.parse("198.18.1.256").type());
        assertEquals(IdPayload.ID_FQDN, IkeIdentity.parse("not:an:address").type());
    }

    @Test
    void atForcesFqdn() {
        IkeIdentity id = IkeIdentity.parse("@198.18.1.1");
        assertEquals(IdPayload.ID_FQDN, id.type());
        assertArrayEquals(ascii("198.18.1.1"), id.data());
        assertEquals("@198.18.1.1", id.toString());
        assertEquals(IkeIdentity.parse("moon"), IkeIdentity.parse("@moon"));
    }

    @Test
    void rfc822() {
        IkeIdentity id = IkeIdentity.parse("carol@strongswan.org");
        assertEquals(IdPayload.ID_RFC822_ADDR, id.type());
        assertArrayEquals(ascii("carol@strongswan.org"), id.data());
        assertEquals("carol@strongswan.org", id.toString());
        IkeIdentity forced = IkeIdentity.parse("@@strongswan.org");
        assertEquals(IdPayload.ID_RFC822_ADDR, forced.type());
        assertArrayEquals(ascii("strongswan.org"), forced.data());
        assertEquals("@@strongswan.org", forced.toString());
    }

    @Test
    void keyId() {
        IkeIdentity id = IkeIdentity.parse("@#0a1B");
        assertEquals(IdPayload.ID_KEY_ID, id.type());
        assertArrayEquals(new byte[] {0x0a, 0x1b}, id.data());
        assertEquals("@#0a1b", id.toString());
    }

    @Test
    void dnIsEncodedInWrittenOrderWithStrongSwansStringTypes() {
        IkeIdentity id = IkeIdentity.parse("C=CH, O=strongSwan, CN=moon, E=moon@strongswan.org, OU=Zürich");
        assertEquals(IdPayload.ID_DER_ASN1_DN, id.type());
        RDN[] rdns = X500Name.getInstance(id.data()).getRDNs();
        assertEquals(5, rdns.length);
        assertEquals(BCStyle.C, rdns[0].getFirst().getType());
        assertEquals(BCStyle.O, rdns[1].getFirst().getType());
        assertEquals(BCStyle.CN, rdns[2].getFirst().getType());
        assertEquals(BCStyle.EmailAddress, rdns[3].getFirst().getType());
        ASN1Encodable cn = rdns[2].getFirst().getValue();
        assertTrue(cn instanceof DERPrintableString, cn.getClass().getName());
        assertTrue(rdns[3].getFirst().getValue() instanceof DERIA5String);
        assertTrue(rdns[4].getFirst().getValue() instanceof DERUTF8String);
        assertEquals("C=CH, O=strongSwan, CN=moon, E=moon@strongswan.org, OU=Zürich", id.toString());
    }

    @Test
    void dnEqualityIgnoresFormattingButNotOrder() {
        IkeIdentity a = IkeIdentity.parse("C=CH, O=strongSwan, CN=moon");
        IkeIdentity b = IkeIdentity.parse("C=CH,O=strongSwan,CN=moon");
        IkeIdentity c = IkeIdentity.parse("c=ch,  o=STRONGSWAN,   cn=Moon");
        IkeIdentity utf8 = IkeIdentity.of(new X500Principal(utf8Encoded()));
        assertEquals(a, b);
        assertEquals(a, c);
        assertEquals(a, utf8);
        assertEquals(a.hashCode(), c.hashCode());
        assertEquals(a.hashCode(), utf8.hashCode());
        assertNotEquals(a, IkeIdentity.parse("CN=moon, O=strongSwan, C=CH"));
        assertNotEquals(a, IkeIdentity.parse("C=CH, O=strongSwan, CN=sun"));
        assertNotEquals(a, IkeIdentity.parse("C=CH, O=strongSwan"));
        assertTrue(a.matches(c.toIdPayload(true)));
        assertFalse(a.matches(IkeIdentity.parse("CN=moon").toIdPayload(true)));
    }

    /** C=CH, O=strongSwan, CN=moon with O and CN as UTF8String, as Bouncy Castle's default style writes it. */
    private static byte[] utf8Encoded() {
        try {
            byte[] der = new X500Name(BCStyle.INSTANCE, "C=CH, O=strongSwan, CN=moon").getEncoded();
            RDN[] rdns = X500Name.getInstance(der).getRDNs();
            assertTrue(rdns[2].getFirst().getValue() instanceof DERUTF8String);
            return der;
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void textComparisonIgnoresAsciiCase() {
        assertEquals(IkeIdentity.parse("Moon.StrongSwan.org"), IkeIdentity.parse("moon.strongswan.org"));
        assertEquals(IkeIdentity.parse("Carol@StrongSwan.org"), IkeIdentity.parse("carol@strongswan.org"));
        assertEquals(IkeIdentity.parse("Moon.StrongSwan.org").hashCode(), IkeIdentity.parse("moon.strongswan.org").hashCode());
        assertNotEquals(IkeIdentity.parse("moon"), IkeIdentity.parse("moon."));
        // Same text, different types.
        assertNotEquals(IkeIdentity.parse("@@moon"), IkeIdentity.parse("@moon"));
        assertNotEquals(IkeIdentity.parse("198.18.1.1"), IkeIdentity.parse("@198.18.1.1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"198.18.1.1", "2001:db8::1", "::ffff:c612:101", "moon.strongswan.org", "@198.18.1.1",
            "carol@strongswan.org", "@@strongswan.org", "C=CH, O=strongSwan, CN=moon", "@#00ff", "@a=b", "@x@y"})
    void payloadAndStringRoundTrips(String s) {
        IkeIdentity id = IkeIdentity.parse(s);
        IdPayload p = id.toIdPayload(false);
        assertFalse(p.initiator());
        assertEquals(id.type(), p.idType());
        assertArrayEquals(id.data(), p.data());
        assertEquals(id, IkeIdentity.from(p));
        assertTrue(id.matches(p));
        assertTrue(id.matches(id.toIdPayload(true)));
        assertEquals(id, IkeIdentity.parse(id.toString()), id.toString());
    }

    @Test
    void matchesNeedsTheSameTypeAndValue() {
        IkeIdentity v4 = IkeIdentity.parse("198.18.1.1");
        assertTrue(v4.matches(new IdPayload(true, IdPayload.ID_IPV4_ADDR, new byte[] {(byte) 198, 18, 1, 1})));
        assertFalse(v4.matches(new IdPayload(true, IdPayload.ID_IPV4_ADDR, new byte[] {(byte) 198, 18, 1, 2})));
        assertFalse(v4.matches(IdPayload.fqdn(true, "198.18.1.1")));
        assertFalse(v4.matches(null));
    }

    @Test
    void peerIdentitiesOfAnyTypeAreShownSafely() {
        IkeIdentity odd = IkeIdentity.from(new IdPayload(true, IdPayload.ID_FQDN, new byte[] {'a', '\n', 'b', (byte) 0xff}));
        assertEquals("@a?b?", odd.toString());
        IkeIdentity gn = IkeIdentity.from(new IdPayload(true, IdPayload.ID_DER_ASN1_GN, new byte[] {1, 2}));
        assertEquals("type 10: 0102", gn.toString());
        IkeIdentity badDn = IkeIdentity.from(new IdPayload(true, IdPayload.ID_DER_ASN1_DN, new byte[] {0x30, 0x09}));
        assertTrue(badDn.toString().startsWith("malformed DN"), badDn.toString());
        assertNotEquals(badDn, IkeIdentity.parse("CN=x"));
        assertEquals(badDn, IkeIdentity.from(new IdPayload(false, IdPayload.ID_DER_ASN1_DN, new byte[] {0x30, 0x09})));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "@", "@@", "@#", "@#abc", "@#zz", "C=CH, XYZZY=foo", "=", "node a", "bad\tname"})
    void invalidStrings(String s) {
        assertThrows(IllegalArgumentException.class, () -> IkeIdentity.parse(s));
    }
}
