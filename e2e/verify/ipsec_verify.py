#!/usr/bin/env python3
"""Independent verifier of ESP, ESP-in-UDP and AH packets in a capture.

Written from the RFCs (not from ipsec-mesh's Java code), for what tshark 4.0 cannot judge:
ChaCha20-Poly1305, extended sequence numbers (ESN) and AH ICVs. It judges every other
transform too, so the two judges cross-check each other on the algorithms they share.

    ipsec_verify.py CAPTURE.pcap SAS.json

CAPTURE: classic libpcap (either byte order, micro- or nanosecond magic), link type
LINKTYPE_RAW (101): every record is one whole IPv4 or IPv6 packet.

SAS: a JSON list, one object per SA (one direction):
    {"proto": "esp"|"ah", "spi": 4097, "src": "198.19.0.1", "dst": "198.19.0.2",
     "mode": "transport"|"tunnel",
     "encr": "null"|"aes-cbc"|"3des-cbc"|"aes-gcm-16"|"chacha20-poly1305"   (ESP only),
     "encr_key": "hex, for AEAD key || 4-byte salt",
     "integ": "none"|"hmac-sha2-256-128"|"hmac-sha2-384-192"|"hmac-sha2-512-256",
     "integ_key": "hex",
     "esn": false, "esn_start": 1,           first 64-bit sequence number the sender uses
     "replay_window": 64,                    W of the RFC 4303 Appendix A inference
     "udp_encap": null | [4500, 4500]}       ESP-in-UDP source and destination port

Per frame it prints one line
    frame N OK   esp|ah spi=0x... seq=S nh=X inner=udp|tcp|icmp|icmpv6|ipv4/udp|... payload_sha256=...
    frame N FAIL esp|ah|udp|? [spi=0x... seq=S ...] reason=free text (always last)
then "summary frames=N ok=N fail=N", and exits 1 if any frame failed (or there is none),
2 on bad input, 3 without python3-cryptography, 4 on an internal error of the verifier.
"payload_sha256" is over the protected payload: the inner IP packet (tunnel mode) or the
transport-layer segment (transport mode), so a caller can compare it with what it sent.

What is checked:
  outer IPv4 header checksum and total length, IPv6 payload length; no fragments;
  ESP-in-UDP (RFC 3948): UDP length, checksum (0 allowed over IPv4 only, RFC 8200 §8.1),
    ports, the SA must be a UDP-encapsulated one (and vice versa), no non-ESP marker;
  ESP (RFC 4303): SA known for (SPI, outer src, outer dst); the ICV:
    AES-GCM (RFC 4106) and ChaCha20-Poly1305 (RFC 7634): nonce = salt || 8-byte IV,
      AAD = SPI || seq (32-bit SN) or SPI || seq-hi || seq-lo (ESN), 16-byte tag;
    HMAC-SHA2 (RFC 4868) truncated to half the hash, over SPI .. Next Header, with seq-hi
      appended when ESN is on (RFC 4303 §2.2.1), with NULL (RFC 2410), AES-CBC (RFC 3602),
      3DES-CBC (RFC 2451);
    ciphertext a whole number of cipher blocks (4 bytes for NULL/AEAD), Pad Length and
    Next Header right-aligned in a 4-byte word; padding bytes 1, 2, 3, ... (RFC 4303 §2.4);
    IV unique per SA (RFC 4106 §3.1 for AEAD; a repeat would be a broken generator for CBC);
  AH (RFC 4302): SA known; Payload Length consistent with the ICV length and the minimal
    padding to 32 bits (IPv4) / 64 bits (IPv6), reserved zero; ICV = HMAC over the IP header
    with the mutable fields zeroed (§3.3.3.1: IPv4 TOS, flags + fragment offset, TTL,
    header checksum; IPv6 traffic class, flow label, hop limit), the AH header with the ICV
    zeroed (alignment padding as sent), the payload, and with ESN the high 32 bits of the
    sequence number appended (§2.5.1);
  sequence numbers: never 0, strictly increasing per SA (no reuse); with ESN the high half
    is inferred as a receiver does (RFC 4303 Appendix A, window W), starting from esn_start;
  Next Header / payload: tunnel mode carries a whole IPv4 (4) or IPv6 (41) packet whose
    length matches, with a good IPv4 header checksum; transport mode carries ICMP (1),
    TCP (6), UDP (17) or ICMPv6 (58); every TCP/UDP/ICMP/ICMPv6 checksum verifies (over
    the inner addresses in tunnel mode, the outer ones in transport mode).
"""

import hashlib
import hmac
import ipaddress
import json
import struct
import sys
import warnings

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
except ImportError as e:  # pragma: no cover
    print("ipsec_verify: python3-cryptography is missing: %s" % e, file=sys.stderr)
    sys.exit(3)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    try:  # cryptography >= 43 moved 3DES to "decrepit"
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    except ImportError:
        TripleDES = algorithms.TripleDES

PROTO_ICMP, PROTO_TCP, PROTO_UDP, PROTO_IPV4, PROTO_IPV6 = 1, 6, 17, 4, 41
PROTO_ESP, PROTO_AH, PROTO_ICMPV6, PROTO_NONE = 50, 51, 58, 59
L4_NAMES = {PROTO_ICMP: "icmp", PROTO_TCP: "tcp", PROTO_UDP: "udp", PROTO_ICMPV6: "icmpv6"}

# integrity: (hash, ICV length in bytes, key length)   RFC 4868 §2.1 - 2.3
INTEG = {
    "none": None,
    "hmac-sha2-256-128": (hashlib.sha256, 16, 32),
    "hmac-sha2-384-192": (hashlib.sha384, 24, 48),
    "hmac-sha2-512-256": (hashlib.sha512, 32, 64),
}
# encryption: (kind, block/alignment size, IV length, salt length)
ENCR = {
    "null": ("null", 4, 0, 0),                  # RFC 2410
    "aes-cbc": ("cbc", 16, 16, 0),              # RFC 3602
    "3des-cbc": ("cbc", 8, 8, 0),               # RFC 2451
    "aes-gcm-16": ("aead", 4, 8, 4),            # RFC 4106, 16-byte ICV
    "chacha20-poly1305": ("aead", 4, 8, 4),     # RFC 7634
}
AEAD_ICV = 16


class Fail(Exception):
    pass


def check(cond, reason):
    if not cond:
        raise Fail(reason)


# ------------------------------------------------------------------------------------ checksums

def ones_sum(data, initial=0):
    if len(data) % 2:
        data = data + b"\0"
    s = initial
    for (w,) in struct.iter_unpack("!H", data):
        s += w
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def inet_checksum_ok(data, initial=0):
    """RFC 1071: the ones'-complement sum over data including its checksum field is 0xffff."""
    return ones_sum(data, initial) == 0xFFFF


def pseudo_header(src, dst, proto, length):
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, length)
    return src + dst + struct.pack("!IxxxB", length, proto)  # RFC 8200 §8.1


def check_l4(proto, segment, src, dst, where):
    """Header sanity and checksum of a TCP/UDP/ICMP/ICMPv6 segment."""
    if proto == PROTO_UDP:
        check(len(segment) >= 8, where + ": UDP shorter than its header")
        (ulen, csum) = struct.unpack("!HH", segment[4:8])
        check(ulen == len(segment), where + ": UDP length %d != %d" % (ulen, len(segment)))
        if csum == 0:
            check(len(src) == 4, where + ": UDP checksum 0 over IPv6")
        else:
            check(inet_checksum_ok(segment, ones_sum(pseudo_header(src, dst, proto, len(segment)))),
                  where + ": bad UDP checksum")
    elif proto == PROTO_TCP:
        check(len(segment) >= 20, where + ": TCP shorter than its header")
        doff = (segment[12] >> 4) * 4
        check(20 <= doff <= len(segment), where + ": bad TCP data offset")
        check(inet_checksum_ok(segment, ones_sum(pseudo_header(src, dst, proto, len(segment)))),
              where + ": bad TCP checksum")
    elif proto == PROTO_ICMP:
        check(len(segment) >= 8, where + ": ICMP too short")
        check(inet_checksum_ok(segment), where + ": bad ICMP checksum")
    elif proto == PROTO_ICMPV6:
        check(len(src) == 16, where + ": ICMPv6 in IPv4")
        check(len(segment) >= 8, where + ": ICMPv6 too short")
        check(inet_checksum_ok(segment, ones_sum(pseudo_header(src, dst, proto, len(segment)))),
              where + ": bad ICMPv6 checksum")
    else:
        raise Fail(where + ": unexpected transport protocol %d" % proto)


# ------------------------------------------------------------------------------------ IP layer

class Ip:
    """A parsed IP header: version, header length, upper protocol, addresses."""

    def __init__(self, pkt, where, whole=True):
        check(len(pkt) >= 1, where + ": empty")
        self.version = pkt[0] >> 4
        if self.version == 4:
            check(len(pkt) >= 20, where + ": IPv4 header truncated")
            self.hlen = (pkt[0] & 0x0F) * 4
            check(self.hlen == 20, where + ": IPv4 options are not expected (IHL %d)" % self.hlen)
            total = struct.unpack("!H", pkt[2:4])[0]
            check(total == len(pkt) if whole else total <= len(pkt),
                  where + ": IPv4 total length %d, packet %d bytes" % (total, len(pkt)))
            check(inet_checksum_ok(pkt[:20]), where + ": bad IPv4 header checksum")
            flags_frag = struct.unpack("!H", pkt[6:8])[0]
            check(flags_frag & 0x3FFF == 0, where + ": IPv4 fragment")
            self.proto = pkt[9]
            self.src, self.dst = bytes(pkt[12:16]), bytes(pkt[16:20])
            self.length = total
        elif self.version == 6:
            check(len(pkt) >= 40, where + ": IPv6 header truncated")
            self.hlen = 40
            plen = struct.unpack("!H", pkt[4:6])[0]
            check(plen + 40 == len(pkt) if whole else plen + 40 <= len(pkt),
                  where + ": IPv6 payload length %d, packet %d bytes" % (plen, len(pkt)))
            self.proto = pkt[6]
            check(self.proto not in (0, 43, 44, 60), where + ": IPv6 extension header %d not expected" % self.proto)
            self.src, self.dst = bytes(pkt[8:24]), bytes(pkt[24:40])
            self.length = plen + 40
        else:
            raise Fail(where + ": IP version %d" % self.version)


def describe_payload(sa, nh, payload, outer):
    """Checks what the protected payload is; returns e.g. 'udp' or 'ipv6/icmpv6'."""
    if nh == PROTO_NONE:
        raise Fail("next header 59 (dummy packet) not expected")
    if sa.mode == "tunnel":
        check(nh in (PROTO_IPV4, PROTO_IPV6), "tunnel mode with next header %d" % nh)
        inner = Ip(payload, "inner packet")
        check(inner.version == (4 if nh == PROTO_IPV4 else 6),
              "next header %d but inner IP version %d" % (nh, inner.version))
        check_l4(inner.proto, payload[inner.hlen:], inner.src, inner.dst, "inner packet")
        return "ipv%d/%s" % (inner.version, L4_NAMES[inner.proto])
    check(nh not in (PROTO_IPV4, PROTO_IPV6), "transport mode with next header %d (an IP packet)" % nh)
    check(nh in L4_NAMES, "transport mode with unexpected next header %d" % nh)
    check_l4(nh, payload, outer.src, outer.dst, "transport payload")
    return L4_NAMES[nh]


# ------------------------------------------------------------------------------------ SAs

class Sa:
    def __init__(self, d):
        self.d = d
        self.proto = d["proto"]
        check(self.proto in ("esp", "ah"), "SA proto %r" % self.proto)
        self.spi = int(d["spi"])
        self.src = ipaddress.ip_address(d["src"]).packed
        self.dst = ipaddress.ip_address(d["dst"]).packed
        self.mode = d["mode"]
        check(self.mode in ("transport", "tunnel"), "SA mode %r" % self.mode)
        self.integ = INTEG[d.get("integ", "none")]
        self.integ_key = bytes.fromhex(d.get("integ_key", "") or "")
        if self.integ:
            check(len(self.integ_key) == self.integ[2], "SA 0x%08x: integrity key length" % self.spi)
        if self.proto == "esp":
            self.encr_name = d["encr"]
            self.kind, self.block, self.ivlen, self.saltlen = ENCR[self.encr_name]
            key = bytes.fromhex(d.get("encr_key", "") or "")
            self.salt = key[len(key) - self.saltlen:] if self.saltlen else b""
            self.key = key[:len(key) - self.saltlen]
            if self.kind == "aead":
                check(self.integ is None, "SA 0x%08x: AEAD with a separate integrity algorithm" % self.spi)
                self.aead = (ChaCha20Poly1305(self.key) if self.encr_name == "chacha20-poly1305"
                             else AESGCM(self.key))
            else:
                check(self.integ is not None, "SA 0x%08x: ESP without integrity" % self.spi)
            self.udp = tuple(d["udp_encap"]) if d.get("udp_encap") else None
        else:
            check(self.integ is not None, "AH SA without integrity")
            self.udp = None
        self.esn = bool(d.get("esn", False))
        self.window = int(d.get("replay_window", 64))
        start = int(d.get("esn_start", 1))
        check(start >= 1, "esn_start must be >= 1")
        check(self.esn or start <= 0xFFFFFFFF, "esn_start beyond 32 bits without ESN")
        self.top = start - 1  # highest sequence number authenticated so far (T in RFC 4303 App. A)
        self.ivs = set()

    def infer_seq(self, seq_lo):
        """The full sequence number of a packet carrying seq_lo (RFC 4303 Appendix A2.2)."""
        if not self.esn:
            return seq_lo
        th, tl, w = self.top >> 32, self.top & 0xFFFFFFFF, self.window
        if tl >= w - 1:
            seq_hi = th if seq_lo >= tl - w + 1 else th + 1
        else:
            seq_hi = th - 1 if seq_lo >= (tl - w + 1) & 0xFFFFFFFF else th
        check(seq_hi >= 0, "ESN high bits would be negative")
        return (seq_hi << 32) | seq_lo

    def accept_seq(self, seq):
        check(seq != 0, "sequence number 0")
        check(seq > self.top, "sequence number %d not above %d: reused or out of order" % (seq, self.top))
        self.top = seq

    def hmac(self, data):
        h, icv_len, _ = self.integ
        return hmac.new(self.integ_key, data, h).digest()[:icv_len]


def load_sas(path):
    with open(path) as f:
        raw = json.load(f)
    sas = {}
    for d in raw:
        sa = Sa(d)
        k = (sa.proto, sa.spi, sa.src, sa.dst)
        if k in sas:
            raise Fail("duplicate SA %r" % (k,))
        sas[k] = sa
    return sas


def lookup(sas, proto, spi, ip):
    sa = sas.get((proto, spi, ip.src, ip.dst))
    if sa is None:
        others = [k for k in sas if k[0] == proto and k[1] == spi]
        raise Fail("no %s SA for spi 0x%08x %s -> %s%s" % (
            proto, spi, ipaddress.ip_address(ip.src), ipaddress.ip_address(ip.dst),
            " (an SA with that SPI has other addresses)" if others else ""))
    return sa


# ------------------------------------------------------------------------------------ ESP

def verify_esp(sas, ip, esp, udp_ports, out):
    check(len(esp) >= 8, "ESP shorter than SPI + sequence number")
    spi, seq_lo = struct.unpack("!II", esp[:8])
    out.update(proto="esp", spi="0x%08x" % spi, seq=str(seq_lo))
    check(spi >= 256, "reserved SPI %d" % spi)
    sa = lookup(sas, "esp", spi, ip)
    check(sa.udp == udp_ports, "SA expects UDP encapsulation %r, packet has %r" % (sa.udp, udp_ports))
    seq = sa.infer_seq(seq_lo)
    out["seq"] = str(seq)
    seq_hi = struct.pack("!I", seq >> 32)

    if sa.kind == "aead":
        check(len(esp) >= 8 + sa.ivlen + 4 + AEAD_ICV, "ESP too short for IV, trailer and ICV")
        iv = bytes(esp[8:8 + sa.ivlen])
        aad = esp[:4] + seq_hi + esp[4:8] if sa.esn else esp[:8]
        try:
            plain = sa.aead.decrypt(sa.salt + iv, bytes(esp[8 + sa.ivlen:]), bytes(aad))
        except InvalidTag:
            raise Fail("ICV (%s tag) does not verify" % sa.encr_name)
    else:
        h, icv_len, _ = sa.integ
        check(len(esp) >= 8 + sa.ivlen + 4 + icv_len, "ESP too short for IV, trailer and ICV")
        icv = esp[-icv_len:]
        covered = esp[:-icv_len] + (seq_hi if sa.esn else b"")
        if not hmac.compare_digest(sa.hmac(bytes(covered)), bytes(icv)):
            raise Fail("ICV (HMAC) does not verify")
        iv = bytes(esp[8:8 + sa.ivlen])
        body = bytes(esp[8 + sa.ivlen:-icv_len])
        check(len(body) % sa.block == 0, "ciphertext of %d bytes is not a multiple of %d" % (len(body), sa.block))
        if sa.kind == "null":
            plain = body
        else:
            alg = algorithms.AES(sa.key) if sa.encr_name == "aes-cbc" else TripleDES(sa.key)
            d = Cipher(alg, modes.CBC(iv)).decryptor()
            plain = d.update(body) + d.finalize()
    if sa.ivlen:
        check(iv not in sa.ivs, "IV %s repeated under this SA" % iv.hex())
        sa.ivs.add(iv)
    # RFC 4303 §2.4: Pad Length and Next Header right-aligned in a 4-byte word
    check(len(plain) >= 2 and len(plain) % 4 == 0, "plaintext of %d bytes is not 4-byte aligned" % len(plain))
    nh, pad_len = plain[-1], plain[-2]
    out["nh"] = str(nh)
    check(pad_len + 2 <= len(plain), "Pad Length %d exceeds the plaintext" % pad_len)
    pad = plain[len(plain) - 2 - pad_len:-2]
    check(pad == bytes(range(1, pad_len + 1)), "padding is not 1, 2, 3, ...: %s" % pad.hex())
    payload = plain[:len(plain) - 2 - pad_len]
    sa.accept_seq(seq)
    out["inner"] = describe_payload(sa, nh, payload, ip)
    out["payload_sha256"] = hashlib.sha256(payload).hexdigest()


# ------------------------------------------------------------------------------------ AH

def verify_ah(sas, ip, pkt, out):
    ah = pkt[ip.hlen:]
    check(len(ah) >= 12, "AH shorter than its fixed part")
    nh, plen, reserved, spi, seq_lo = struct.unpack("!BBHII", ah[:12])
    out.update(proto="ah", spi="0x%08x" % spi, seq=str(seq_lo))
    sa = lookup(sas, "ah", spi, ip)
    h, icv_len, _ = sa.integ
    ah_len = (plen + 2) * 4                         # RFC 4302 §2.2
    align = 8 if ip.version == 6 else 4             # RFC 4302 §2.6, §3.3.3.2.1
    want = (12 + icv_len + align - 1) // align * align
    check(ah_len == want, "AH length %d, expected %d (ICV %d + minimal padding to %d)" % (ah_len, want, icv_len, align))
    check(len(ah) >= ah_len, "AH truncated")
    check(reserved == 0, "AH reserved field %d" % reserved)
    seq = sa.infer_seq(seq_lo)
    out["seq"] = str(seq)

    m = bytearray(pkt)
    if ip.version == 4:                              # RFC 4302 §3.3.3.1.1.1
        m[1] = 0                                     # TOS (DSCP + ECN)
        m[6:8] = b"\0\0"                             # flags + fragment offset
        m[8] = 0                                     # TTL
        m[10:12] = b"\0\0"                           # header checksum
    else:                                            # RFC 4302 §3.3.3.1.2.1
        m[0] = 0x60                                  # version stays, traffic class zeroed
        m[1:4] = b"\0\0\0"                           # traffic class, flow label
        m[7] = 0                                     # hop limit
    icv_off = ip.hlen + 12
    m[icv_off:icv_off + icv_len] = bytes(icv_len)    # ICV zeroed; alignment padding as sent
    if sa.esn:
        m += struct.pack("!I", seq >> 32)            # RFC 4302 §2.5.1: high bits appended
    if not hmac.compare_digest(sa.hmac(bytes(m)), bytes(ah[12:12 + icv_len])):
        raise Fail("AH ICV does not verify")
    payload = bytes(ah[ah_len:])
    out["nh"] = str(nh)
    sa.accept_seq(seq)
    out["inner"] = describe_payload(sa, nh, payload, ip)
    out["payload_sha256"] = hashlib.sha256(payload).hexdigest()


# ------------------------------------------------------------------------------------ frames

def verify_frame(sas, pkt, out):
    ip = Ip(pkt, "outer packet")
    if ip.proto == PROTO_ESP:
        verify_esp(sas, ip, pkt[ip.hlen:], None, out)
    elif ip.proto == PROTO_AH:
        verify_ah(sas, ip, pkt, out)
    elif ip.proto == PROTO_UDP:
        udp = pkt[ip.hlen:]
        out["proto"] = "udp"
        check(len(udp) >= 8, "UDP header truncated")
        sport, dport, ulen, csum = struct.unpack("!HHHH", udp[:8])
        check(ulen == len(udp), "UDP length %d != %d" % (ulen, len(udp)))
        if csum == 0:                               # RFC 3948 §2.1 allows 0 over IPv4 only
            check(ip.version == 4, "ESP-in-UDP over IPv6 with UDP checksum 0")
        else:
            check(inet_checksum_ok(udp, ones_sum(pseudo_header(ip.src, ip.dst, PROTO_UDP, len(udp)))),
                  "bad UDP checksum")
        check(4500 in (sport, dport), "UDP %d -> %d is not ESP-in-UDP" % (sport, dport))
        body = udp[8:]
        check(not (len(body) == 1 and body[0] == 0xFF), "NAT-keepalive, not ESP")
        check(len(body) >= 4 and body[:4] != b"\0\0\0\0", "non-ESP marker (IKE), not ESP")
        verify_esp(sas, ip, body, (sport, dport), out)
    else:
        raise Fail("neither ESP, ESP-in-UDP nor AH (IP protocol %d)" % ip.proto)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise Fail("not a pcap file (too short)")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise Fail("not a classic pcap file (magic %s); pcapng is not supported" % magic.hex())
    major, minor, _zone, _sigfigs, _snap, linktype = struct.unpack(e + "HHiIII", data[4:24])
    if (major, minor) != (2, 4) or linktype != 101:
        raise Fail("pcap %d.%d link type %d; need 2.4 LINKTYPE_RAW (101)" % (major, minor, linktype))
    off, frames = 24, []
    while off < len(data):
        if off + 16 > len(data):
            raise Fail("truncated record header at offset %d" % off)
        _s, _us, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            raise Fail("truncated record at offset %d" % off)
        frames.append((data[off:off + incl], orig))
        off += incl
    return frames


def main(argv):
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        sas = load_sas(argv[2])
        frames = read_pcap(argv[1])
    except (Fail, OSError, ValueError, KeyError) as e:
        print("ipsec_verify: bad input: %s" % e, file=sys.stderr)
        return 2
    ok = fail = 0
    for n, (pkt, orig) in enumerate(frames, 1):
        out = {"proto": "?"}
        try:
            check(orig == len(pkt), "frame truncated in the capture (%d of %d bytes)" % (len(pkt), orig))
            verify_frame(sas, memoryview(pkt).tobytes(), out)
            verdict = "OK"
            ok += 1
        except Fail as e:
            out["reason"] = str(e)  # always the last field: free text
            verdict = "FAIL"
            fail += 1
        proto = out.pop("proto")
        print("frame %d %s %s %s" % (n, verdict, proto, " ".join("%s=%s" % kv for kv in out.items())))
    print("summary frames=%d ok=%d fail=%d" % (len(frames), ok, fail))
    return 1 if fail or not frames else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception:  # a bug of the verifier, never a verdict: its own exit code
        import traceback
        traceback.print_exc()
        sys.exit(4)
