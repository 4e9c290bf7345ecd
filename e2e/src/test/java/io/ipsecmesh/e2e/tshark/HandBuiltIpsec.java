package io.ipsecmesh.e2e.tshark;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * IPsec packets built by hand from the RFCs with JDK crypto only, independent of the sidecar's
 * codec: known-good (and deliberately broken) input for proving the tshark judge itself.
 *
 * <ul>
 *   <li>ESP (RFC 4303): SPI, seq, [IV], ciphertext of payload || padding 1,2,3.. || pad length ||
 *       next header, aligned to the cipher block (4 for AEAD/NULL), then the ICV.</li>
 *   <li>AES-GCM (RFC 4106): key material = key || 4-byte salt; nonce = salt || 8-byte IV;
 *       AAD = SPI || seq (|| with ESN: SPI || seq-hi || seq-lo); 16-byte tag = ICV.</li>
 *   <li>ChaCha20-Poly1305 (RFC 7634): the same layout with a 32-byte key.</li>
 *   <li>AES-CBC / 3DES-CBC (RFC 3602 / 2451) + HMAC-SHA-2 (RFC 4868): ICV = HMAC over
 *       SPI..next header (|| seq-hi with ESN, not sent), truncated to half the hash.</li>
 *   <li>ESP-in-UDP (RFC 3948): UDP 4500 header before SPI; checksum 0 over IPv4, computed over IPv6.</li>
 *   <li>AH (RFC 4302): ICV = HMAC over the IP header with mutable fields zeroed, AH with ICV zeroed,
 *       and the payload.</li>
 * </ul>
 */
public final class HandBuiltIpsec {

    public static final int PROTO_IPV4 = 4;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    public static final int PROTO_IPV6 = 41;
    public static final int PROTO_ESP = 50;
    public static final int PROTO_AH = 51;
    public static final int PROTO_ICMP = 1;
    public static final int PROTO_ICMPV6 = 58;

    private HandBuiltIpsec() {
    }

    // ----------------------------------------------------------------------------------- IP layer

    /** IPv4 header (no options, TTL 64, DF) + payload, with a correct header checksum. */
    public static byte[] ipv4(String src, String dst, int protocol, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + payload.length));
        b.putShort((short) 0x1234).putShort((short) 0x4000);
        b.put((byte) 64).put((byte) protocol).putShort((short) 0);
        b.put(addr(src, 4)).put(addr(dst, 4)).put(payload);
        byte[] p = b.array();
        int c = checksum(p, 0, 20, 0);
        p[10] = (byte) (c >>> 8);
        p[11] = (byte) c;
        return p;
    }

    /** IPv6 header (hop limit 64) + payload. */
    public static byte[] ipv6(String src, String dst, int nextHeader, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt(0x6000_0000).putShort((short) payload.length).put((byte) nextHeader).put((byte) 64);
        b.put(addr(src, 16)).put(addr(dst, 16)).put(payload);
        return b.array();
    }

    /** ICMP echo request (IPv4) with checksum. */
    public static byte[] icmpEcho(int id, int seq, String text) {
        byte[] data = text.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(8 + data.length);
        b.put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) seq).put(data);
        byte[] p = b.array();
        int c = checksum(p, 0, p.length, 0);
        p[2] = (byte) (c >>> 8);
        p[3] = (byte) c;
        return p;
    }

    /** ICMPv6 echo request with checksum over the IPv6 pseudo-header of {@code src -> dst}. */
    public static byte[] icmpv6Echo(String src, String dst, int id, int seq, String text) {
        byte[] data = text.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(8 + data.length);
        b.put((byte) 128).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) seq).put(data);
        byte[] p = b.array();
        int c = checksum(p, 0, p.length, pseudo6(src, dst, PROTO_ICMPV6, p.length));
        p[2] = (byte) (c >>> 8);
        p[3] = (byte) c;
        return p;
    }

    /** UDP header + payload; checksum 0 ("none"), as RFC 3948 allows for ESP-in-UDP over IPv4. */
    public static byte[] udpNoChecksum(int srcPort, int dstPort, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) (8 + payload.length)).putShort((short) 0);
        return b.put(payload).array();
    }

    /** UDP header + payload with the checksum over the IPv6 pseudo-header (mandatory over IPv6). */
    public static byte[] udp6(String src, String dst, int srcPort, int dstPort, byte[] payload) {
        byte[] p = udpNoChecksum(srcPort, dstPort, payload);
        int c = checksum(p, 0, p.length, pseudo6(src, dst, PROTO_UDP, p.length));
        if (c == 0) {
            c = 0xffff;
        }
        p[6] = (byte) (c >>> 8);
        p[7] = (byte) c;
        return p;
    }

    // ---------------------------------------------------------------------------------------- ESP

    /**
     * ESP with an AEAD cipher: {@code "AES/GCM/NoPadding"} (key 16/32 + salt 4) or
     * {@code "ChaCha20-Poly1305"} (key 32 + salt 4). With {@code esn}, {@code seq} is the full
     * 64-bit number: its low half is sent, the high half only enters the AAD.
     */
    public static byte[] espAead(String transformation, int spi, long seq, boolean esn,
                                 byte[] keyAndSalt, byte[] iv8, byte[] payload, int nextHeader) {
        check(iv8.length == 8, "IV must be 8 bytes");
        byte[] key = Arrays.copyOf(keyAndSalt, keyAndSalt.length - 4);
        byte[] nonce = concat(Arrays.copyOfRange(keyAndSalt, keyAndSalt.length - 4, keyAndSalt.length), iv8);
        byte[] aad = esn
                ? ByteBuffer.allocate(12).putInt(spi).putInt((int) (seq >>> 32)).putInt((int) seq).array()
                : ByteBuffer.allocate(8).putInt(spi).putInt((int) seq).array();
        byte[] plain = pad(payload, nextHeader, 4);
        try {
            Cipher c = Cipher.getInstance(transformation);
            if (transformation.startsWith("AES/GCM")) {
                c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            } else {
                c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
            }
            c.updateAAD(aad);
            byte[] ctAndTag = c.doFinal(plain);
            return concat(ByteBuffer.allocate(8).putInt(spi).putInt((int) seq).array(), iv8, ctAndTag);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * ESP with a CBC cipher ({@code "AES"} or {@code "DESede"}) or, with {@code cipher == null},
     * NULL encryption (RFC 2410, no IV), plus HMAC ({@code "HmacSHA256"}...) truncated to
     * {@code icvLength}. With {@code esn}, the HMAC also covers the high half of {@code seq} (not sent).
     */
    public static byte[] espCbcHmac(String cipher, int spi, long seq, boolean esn, byte[] encKey, byte[] iv,
                                    byte[] payload, int nextHeader, String hmac, byte[] authKey, int icvLength) {
        byte[] header = ByteBuffer.allocate(8).putInt(spi).putInt((int) seq).array();
        byte[] body;
        try {
            if (cipher == null) {
                body = concat(header, pad(payload, nextHeader, 4));
            } else {
                int block = cipher.equals("AES") ? 16 : 8;
                check(iv.length == block, "IV must be one block");
                Cipher c = Cipher.getInstance(cipher + "/CBC/NoPadding");
                c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(encKey, cipher), new IvParameterSpec(iv));
                body = concat(header, iv, c.doFinal(pad(payload, nextHeader, block)));
            }
            Mac mac = Mac.getInstance(hmac);
            mac.init(new SecretKeySpec(authKey, hmac));
            mac.update(body);
            if (esn) {
                mac.update(ByteBuffer.allocate(4).putInt((int) (seq >>> 32)).array());
            }
            return concat(body, Arrays.copyOf(mac.doFinal(), icvLength));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** payload || 1,2,3,.. || pad length || next header, the whole a multiple of {@code block}. */
    static byte[] pad(byte[] payload, int nextHeader, int block) {
        int padLen = Math.floorMod(-(payload.length + 2), block);
        byte[] p = Arrays.copyOf(payload, payload.length + padLen + 2);
        for (int i = 0; i < padLen; i++) {
            p[payload.length + i] = (byte) (i + 1);
        }
        p[p.length - 2] = (byte) padLen;
        p[p.length - 1] = (byte) nextHeader;
        return p;
    }

    // ----------------------------------------------------------------------------------------- AH

    /**
     * IPv4 transport-mode AH: outer header (protocol 51) + AH + {@code payload}, ICV = HMAC
     * ({@code hmac}, truncated to {@code icvLength}) over the header with TOS, flags/fragment
     * offset, TTL and checksum zeroed, the AH header with a zero ICV, and the payload.
     */
    public static byte[] ah4(String src, String dst, int spi, int seq, byte[] payload, int nextHeader,
                             String hmac, byte[] authKey, int icvLength) {
        check(icvLength % 4 == 0, "IPv4 AH ICV must be 32-bit aligned");
        int ahLen = 12 + icvLength;
        ByteBuffer ah = ByteBuffer.allocate(ahLen);
        ah.put((byte) nextHeader).put((byte) (ahLen / 4 - 2)).putShort((short) 0).putInt(spi).putInt(seq);
        byte[] packet = ipv4(src, dst, PROTO_AH, concat(ah.array(), payload));
        byte[] forIcv = packet.clone();
        forIcv[1] = 0;                 // TOS
        forIcv[6] = 0;                 // flags + fragment offset
        forIcv[7] = 0;
        forIcv[8] = 0;                 // TTL
        forIcv[10] = 0;                // header checksum
        forIcv[11] = 0;
        byte[] icv = hmac(hmac, authKey, forIcv, icvLength);
        System.arraycopy(icv, 0, packet, 20 + 12, icvLength);
        return packet;
    }

    /**
     * IPv6 transport-mode AH (no extension headers): ICV over the IPv6 header with the mutable
     * version/class/flow word reduced to version 6 and hop limit zeroed, AH with a zero ICV, payload.
     */
    public static byte[] ah6(String src, String dst, int spi, int seq, byte[] payload, int nextHeader,
                             String hmac, byte[] authKey, int icvLength) {
        int raw = 12 + icvLength;
        int ahLen = (raw + 7) / 8 * 8;   // IPv6: multiple of 8 bytes
        ByteBuffer ah = ByteBuffer.allocate(ahLen);
        ah.put((byte) nextHeader).put((byte) (ahLen / 4 - 2)).putShort((short) 0).putInt(spi).putInt(seq);
        byte[] packet = ipv6(src, dst, PROTO_AH, concat(ah.array(), payload));
        byte[] forIcv = packet.clone();
        forIcv[0] = 0x60;
        forIcv[1] = 0;
        forIcv[2] = 0;
        forIcv[3] = 0;
        forIcv[7] = 0;                 // hop limit
        byte[] icv = hmac(hmac, authKey, forIcv, icvLength);
        System.arraycopy(icv, 0, packet, 40 + 12, icvLength);
        return packet;
    }

    // -------------------------------------------------------------------------------------- tools

    /** A copy of {@code packet} with bit 0 of byte {@code offset} flipped. */
    public static byte[] flipBit(byte[] packet, int offset) {
        byte[] p = packet.clone();
        p[offset] ^= 1;
        return p;
    }

    /** Deterministic test bytes: {@code start, start+1, ...}. */
    public static byte[] bytes(int start, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (start + i);
        }
        return b;
    }

    public static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    private static byte[] hmac(String alg, byte[] key, byte[] data, int length) {
        try {
            Mac mac = Mac.getInstance(alg);
            mac.init(new SecretKeySpec(key, alg));
            return Arrays.copyOf(mac.doFinal(data), length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] addr(String literal, int length) {
        byte[] a = InetAddress.ofLiteral(literal).getAddress();
        check(a.length == length, literal + " is not an IPv" + (length == 4 ? 4 : 6) + " address");
        return a;
    }

    /** Ones'-complement sum of the IPv6 pseudo-header (RFC 8200 §8.1), to seed {@link #checksum}. */
    private static int pseudo6(String src, String dst, int nextHeader, int length) {
        byte[] ph = concat(addr(src, 16), addr(dst, 16),
                ByteBuffer.allocate(8).putInt(length).putInt(nextHeader).array());
        return sum(ph, 0, ph.length, 0);
    }

    /** RFC 1071 Internet checksum of {@code data[off, off+len)} with an initial ones'-complement sum. */
    private static int checksum(byte[] data, int off, int len, int initial) {
        return ~sum(data, off, len, initial) & 0xffff;
    }

    private static int sum(byte[] data, int off, int len, int initial) {
        long s = initial;
        for (int i = 0; i < len; i += 2) {
            int hi = data[off + i] & 0xff;
            int lo = i + 1 < len ? data[off + i + 1] & 0xff : 0;
            s += (hi << 8) | lo;
        }
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
