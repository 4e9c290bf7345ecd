package io.ipsecmesh.ike.cert;

import io.ipsecmesh.ike.IdPayload;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * An IKEv2 identity (RFC 7296 §3.5): an Identification type and its data, written and read
 * the way strongSwan writes identities in its configuration.
 *
 * <p>{@link #parse(String)} follows strongSwan's rules: a string containing {@code =} is a
 * distinguished name such as {@code C=CH, O=strongSwan, CN=moon}, encoded with its RDNs in the
 * order written (ID_DER_ASN1_DN); without {@code @}, a dotted-quad IPv4 or an IPv6 literal is an
 * address (ID_IPV4_ADDR, ID_IPV6_ADDR) and anything else a name (ID_FQDN); {@code user@host} is
 * ID_RFC822_ADDR; a leading {@code @} forces ID_FQDN ({@code @moon}), {@code @@} forces
 * ID_RFC822_ADDR and {@code @#} introduces a hex ID_KEY_ID.
 *
 * <p>Comparison ({@link #matches(IdPayload)}, {@link #equals(Object)}) is by type and value:
 * addresses and key IDs byte for byte, FQDN and RFC 822 names ignoring ASCII case (as
 * strongSwan and RFC 4343 do), distinguished names as X.500 names (RFC 5280 §7.1 canonical
 * form: RDN order matters, string type, case and surplus white space do not).
 */
public final class IkeIdentity {

    private static final Pattern DOTTED_QUAD =
            Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    private final int type;
    private final byte[] data;
    /** For ID_DER_ASN1_DN only: the canonical X.500 name used for comparison; null if malformed. */
    private final X500Principal dn;

    private IkeIdentity(int type, byte[] data) {
        if (type < 0 || type > 0xff) {
            throw new IllegalArgumentException("ID type " + type + " out of range 0..255");
        }
        if (data.length == 0) {
            throw new IllegalArgumentException("empty identification data");
        }
        if ((type == IdPayload.ID_IPV4_ADDR && data.length != 4) || (type == IdPayload.ID_IPV6_ADDR && data.length != 16)) {
            throw new IllegalArgumentException("ID type " + type + " with " + data.length + " address bytes");
        }
        this.type = type;
        this.data = data.clone();
        this.dn = type == IdPayload.ID_DER_ASN1_DN ? principalOrNull(this.data) : null;
    }

    /**
     * Parses a strongSwan-style identity string (see the class description).
     *
     * @throws IllegalArgumentException if the string is empty, a DN that does not parse, or a
     *     malformed key ID
     */
    public static IkeIdentity parse(String s) {
        Objects.requireNonNull(s, "identity");
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty identity");
        }
        if (s.startsWith("@#")) {
            String hex = s.substring(2);
            if (hex.isEmpty() || hex.length() % 2 != 0) {
                throw new IllegalArgumentException("key ID '" + s + "' needs an even, non-zero number of hex digits");
            }
            try {
                return new IkeIdentity(IdPayload.ID_KEY_ID, HexFormat.of().parseHex(hex));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("key ID '" + s + "' is not hexadecimal", e);
            }
        }
        if (s.startsWith("@@")) {
            return text(IdPayload.ID_RFC822_ADDR, s.substring(2), s);
        }
        if (s.startsWith("@")) {
            return text(IdPayload.ID_FQDN, s.substring(1), s);
        }
        if (s.indexOf('=') >= 0) {
            return new IkeIdentity(IdPayload.ID_DER_ASN1_DN, encodeDn(s));
        }
        if (s.indexOf('@') < 0) {
            if (DOTTED_QUAD.matcher(s).matches()) {
                return of(Inet4Address.ofLiteral(s));
            }
            if (s.indexOf(':') >= 0) {
                byte[] v6 = ipv6Literal(s);
                if (v6 != null) {
                    return new IkeIdentity(IdPayload.ID_IPV6_ADDR, v6);
                }
            }
            return text(IdPayload.ID_FQDN, s, s);
        }
        return text(IdPayload.ID_RFC822_ADDR, s, s);
    }

    /** The identity of an ID payload, whatever its type. */
    public static IkeIdentity from(IdPayload id) {
        return new IkeIdentity(id.idType(), id.data());
    }

    /** An ID_IPV4_ADDR or ID_IPV6_ADDR identity. */
    public static IkeIdentity of(InetAddress address) {
        return address instanceof Inet4Address
                ? new IkeIdentity(IdPayload.ID_IPV4_ADDR, address.getAddress())
                : new IkeIdentity(IdPayload.ID_IPV6_ADDR, address.getAddress());
    }

    /** An ID_DER_ASN1_DN identity carrying exactly the DER encoding of {@code name}. */
    public static IkeIdentity of(X500Principal name) {
        return new IkeIdentity(IdPayload.ID_DER_ASN1_DN, name.getEncoded());
    }

    /** An identity of the given type whose data is {@code value} as US-ASCII (ID_FQDN, ID_RFC822_ADDR). */
    static IkeIdentity ofText(int type, String value) {
        return text(type, value, value);
    }

    private static IkeIdentity text(int type, String value, String original) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException("identity '" + original + "' has an empty name");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException("identity '" + original + "' has a character that is not printable US-ASCII");
            }
        }
        return new IkeIdentity(type, value.getBytes(StandardCharsets.US_ASCII));
    }

    /** The Identification type: {@link IdPayload#ID_FQDN} and so on. */
    public int type() {
        return type;
    }

    /** The identification data as it goes into the ID payload. */
    public byte[] data() {
        return data.clone();
    }

    /** This identity as IDi ({@code initiator}) or IDr. */
    public IdPayload toIdPayload(boolean initiator) {
        return new IdPayload(initiator, type, data);
    }

    /** The X.500 name of an ID_DER_ASN1_DN identity; null for other types or malformed DER. */
    X500Principal distinguishedName() {
        return dn;
    }

    /** Whether the peer's ID payload names this identity (type and value; see the class description). */
    public boolean matches(IdPayload id) {
        return id != null && equals(from(id));
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof IkeIdentity other) || other.type != type) {
            return false;
        }
        return switch (type) {
            case IdPayload.ID_FQDN, IdPayload.ID_RFC822_ADDR -> asciiEqualsIgnoreCase(data, other.data);
            case IdPayload.ID_DER_ASN1_DN -> dn != null && other.dn != null
                    ? dn.equals(other.dn) : Arrays.equals(data, other.data);
            default -> Arrays.equals(data, other.data);
        };
    }

    @Override
    public int hashCode() {
        return switch (type) {
            case IdPayload.ID_FQDN, IdPayload.ID_RFC822_ADDR ->
                    31 * type + new String(data, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT).hashCode();
            case IdPayload.ID_DER_ASN1_DN -> 31 * type + (dn != null ? dn.hashCode() : Arrays.hashCode(data));
            default -> 31 * type + Arrays.hashCode(data);
        };
    }

    /**
     * The identity as strongSwan would write it: {@code 198.18.1.1}, {@code 2001:db8::1},
     * {@code node-a}, {@code user@example.org}, {@code C=CH, O=strongSwan, CN=moon},
     * {@code @#0a1b}; for other types {@code type N: hex}. Control characters are shown as
     * {@code ?}, so a peer's identity is safe to log.
     */
    @Override
    public String toString() {
        return switch (type) {
            case IdPayload.ID_IPV4_ADDR -> {
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < 4; i++) {
                    b.append(i == 0 ? "" : ".").append(data[i] & 0xff);
                }
                yield b.toString();
            }
            case IdPayload.ID_IPV6_ADDR -> formatIpv6(data);
            case IdPayload.ID_FQDN -> {
                String name = printable(data);
                yield parsesAsFqdn(name) ? name : "@" + name;
            }
            case IdPayload.ID_RFC822_ADDR -> {
                String name = printable(data);
                yield name.startsWith("@") || name.indexOf('=') >= 0 || name.indexOf('@') < 0 ? "@@" + name : name;
            }
            case IdPayload.ID_DER_ASN1_DN -> formatDn(data);
            case IdPayload.ID_KEY_ID -> "@#" + HexFormat.of().formatHex(data);
            default -> "type " + type + ": " + HexFormat.of().formatHex(data);
        };
    }

    // ---- distinguished names ----

    /** strongSwan's string types: IA5String for e-mail and DC, PrintableString where it fits, else UTF8String. */
    private static final class StrongSwanStyle extends BCStyle {
        static final StrongSwanStyle INSTANCE = new StrongSwanStyle();

        @Override
        public ASN1ObjectIdentifier attrNameToOID(String name) {
            return switch (name.trim().toUpperCase(Locale.ROOT)) {
                case "S" -> BCStyle.SURNAME;
                case "G" -> BCStyle.GIVENNAME;
                case "I" -> BCStyle.INITIALS;
                case "N" -> BCStyle.NAME;
                case "D" -> new ASN1ObjectIdentifier("2.5.4.13"); // description
                case "EMAIL" -> BCStyle.EmailAddress;
                default -> super.attrNameToOID(name);
            };
        }

        @Override
        protected ASN1Encodable encodeStringValue(ASN1ObjectIdentifier oid, String value) {
            if (oid.equals(BCStyle.EmailAddress) || oid.equals(BCStyle.DC)) {
                return new DERIA5String(value);
            }
            return DERPrintableString.isPrintableString(value) ? new DERPrintableString(value) : new DERUTF8String(value);
        }
    }

    private static byte[] encodeDn(String s) {
        try {
            X500Name name = new X500Name(StrongSwanStyle.INSTANCE, s);
            if (name.getRDNs().length == 0) {
                throw new IllegalArgumentException("distinguished name '" + s + "' has no RDN");
            }
            return name.getEncoded(ASN1Encoding.DER);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + s + "' is not a distinguished name such as "
                    + "'C=CH, O=strongSwan, CN=moon': " + e.getMessage(), e);
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("'" + s + "' is not a distinguished name such as "
                    + "'C=CH, O=strongSwan, CN=moon'", e);
        }
    }

    static X500Principal principalOrNull(byte[] der) {
        try {
            X500Principal p = new X500Principal(der);
            // X500Principal tolerates trailing bytes; a DN ID is exactly one Name.
            return Arrays.equals(p.getEncoded(), der) ? p : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** A DN as strongSwan prints it: RDNs in encoded order, separated by ", ". */
    static String formatDn(byte[] der) {
        try {
            X500Name name = X500Name.getInstance(der);
            StringBuilder b = new StringBuilder();
            for (RDN rdn : name.getRDNs()) {
                if (!b.isEmpty()) {
                    b.append(", ");
                }
                AttributeTypeAndValue[] avas = rdn.getTypesAndValues();
                for (int i = 0; i < avas.length; i++) {
                    if (i > 0) {
                        b.append('+');
                    }
                    String label = BCStyle.INSTANCE.oidToDisplayName(avas[i].getType());
                    b.append(label != null ? label : avas[i].getType().getId()).append('=')
                            .append(IETFUtils.valueToString(avas[i].getValue()));
                }
            }
            return sanitize(b.toString());
        } catch (RuntimeException e) {
            return "malformed DN " + HexFormat.of().formatHex(der, 0, Math.min(der.length, 32))
                    + (der.length > 32 ? "..." : "");
        }
    }

    // ---- helpers ----

    private static boolean parsesAsFqdn(String name) {
        if (name.isEmpty() || name.startsWith("@") || name.indexOf('=') >= 0 || name.indexOf('@') >= 0
                || name.indexOf('?') >= 0) {
            return false;
        }
        return !DOTTED_QUAD.matcher(name).matches() && (name.indexOf(':') < 0 || ipv6Literal(name) == null);
    }

    /** The 16 bytes of an IPv6 literal (an IPv4-mapped literal stays 16 bytes), or null. */
    private static byte[] ipv6Literal(String s) {
        if (s.indexOf('%') >= 0 || s.indexOf('[') >= 0) {
            return null;
        }
        try {
            InetAddress a = Inet6Address.ofLiteral(s);
            if (a instanceof Inet4Address v4) {
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(v4.getAddress(), 0, mapped, 12, 4);
                return mapped;
            }
            return a.getAddress();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** RFC 5952 text form: lower case, longest run of two or more zero groups as "::". */
    static String formatIpv6(byte[] a) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((a[2 * i] & 0xff) << 8) | (a[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                b.append("::");
                i += bestLen - 1;
                continue;
            }
            if (!b.isEmpty() && b.charAt(b.length() - 1) != ':') {
                b.append(':');
            }
            b.append(Integer.toHexString(g[i]));
        }
        return b.toString();
    }

    private static boolean asciiEqualsIgnoreCase(byte[] x, byte[] y) {
        if (x.length != y.length) {
            return false;
        }
        for (int i = 0; i < x.length; i++) {
            if (lower(x[i]) != lower(y[i])) {
                return false;
            }
        }
        return true;
    }

    private static int lower(byte b) {
        int c = b & 0xff;
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    }

    private static String printable(byte[] bytes) {
        StringBuilder b = new StringBuilder(bytes.length);
        for (byte x : bytes) {
            int c = x & 0xff;
            b.append(c >= 0x20 && c < 0x7f ? (char) c : '?');
        }
        return b.toString();
    }

    private static String sanitize(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }
}
