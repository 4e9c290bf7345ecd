#!/usr/bin/env python3
"""Packet tools for the two-node rig (e2e/rig): classify an underlay capture, and inject
replayed, tampered or plaintext frames onto the underlay with an AF_PACKET socket.

Standard library only. Captures are classic pcap with Ethernet link type (tcpdump -w).

  pkt.py classify PCAP --proto esp|ah --encap none|udp --outer A,B [--pattern HEX] [--json]
         [--allow-partial] [--tos N]
      Every IP frame must be of the expected protection (ESP, AH, or ESP in UDP 4500)
      between the expected outer addresses A and B (pods in transport mode, nodes in
      tunnel mode), in both directions; ARP, IPv6 neighbour discovery and MLD are ignored,
      anything else is plaintext and fails. With --pattern, no frame may contain those
      bytes (the ping payload pattern; skip it for AH or null encryption). --allow-partial:
      protected traffic need not be seen at all (fault tests: only "nothing else" is
      checked). --tos N: every protected frame's IPv4 TOS / IPv6 traffic class must be N
      (the traffic sent had N: tunnel mode copies DSCP and ECN, RFC 4301 5.1.2.1, RFC 6040).
      --ike A,B: IKE (UDP 500, or UDP 4500 with the non-ESP marker) between A and B is
      allowed too (the IKE daemons' own traffic). Exit 0 = clean.

  pkt.py pick PCAP --proto esp|ah --encap none|udp --src A --dst B [--min-len N] [--last]
      Print a description of the first (--last: last) complete protected frame A -> B of
      at least N bytes (default 200): index, SPI, sequence number.

  pkt.py replay PCAP IFACE (same selection options)
      Send that frame unchanged out of IFACE (a replay).

  pkt.py tamper PCAP IFACE (same selection options) [--seq-ahead N]
      Send that frame with a fresh sequence number (the highest one seen for its SPI in the
      capture + N, default 2^24; a sequence number the receiver has not seen, so that the
      replay check, which comes first, lets it through) and exactly one bit flipped in the
      middle of the ciphertext (ESP) or of the authenticated payload (AH). The UDP checksum
      of ESP-in-UDP is recomputed when it was not zero.

  pkt.py plain IFACE --family 4|6 --src A --dst B --src-mac M --dst-mac M [--count N]
      Send N plaintext ICMP echo requests A -> B in Ethernet frames out of IFACE.

  pkt.py forge IFACE --conf MANUAL_KEYING_FILE --sa NAME --inner-src A --inner-dst B
         --src-mac M --dst-mac M (--seq N | --after-pcap PCAP [--seq-ahead N])
      Build a correctly encrypted and authenticated ESP packet with the keys of SA NAME
      (an outbound SA of the sending node) carrying an ICMP echo request A -> B, and send
      it out of IFACE. Tunnel mode: outer header SA src -> dst, inner A -> B; transport
      mode: the IP header itself is A -> B. With --after-pcap the sequence number is the
      highest one of that SPI in the capture + --seq-ahead (default 2^25). Needs the
      Python "cryptography" package (exit 3 without it). Ciphers: aes128gcm16, aes256gcm16,
      chacha20poly1305, aes128/aes256 + HMAC-SHA-2, null + HMAC-SHA-2; ESN and UDP
      encapsulation supported.

  pkt.py decode PCAP --conf MANUAL_KEYING_FILE --inner A,B
      Independent check with Wireshark: tshark decrypts every ESP frame of PCAP with the
      keys of the file's ESP SAs and must find an ICMP/ICMPv6 echo between A and B inside,
      with a good ICV (tshark checks GCM tags and HMACs; not with ESN, which tshark 4.0 does
      not model: then only the decryption is checked). Frames in both directions needed.
      Exit 0 = all decoded, 1 = failure, 3 = not checkable (an algorithm tshark lacks).
      --esp-sa FILE instead of --conf: the esp_sa rows the IKE daemon's --keys-log wrote.

  pkt.py ike PCAP --keys DIR [--no-decrypt]
      Independent check of our IKE messages with Wireshark: tshark (WIRESHARK_CONFIG_DIR=DIR,
      where the daemon's --keys-log wrote ikev2_decryption_table) dissects every IKE message
      without a malformed mark or an incorrect integrity checksum and decrypts every SK
      payload (--no-decrypt: a cipher tshark 4.0 lacks, ChaCha20-Poly1305).
"""
import argparse
import json
import socket
import struct
import sys

ESP, AH, UDP, TCP, ICMP, ICMP6 = 50, 51, 17, 6, 1, 58
ETH_IP4, ETH_IP6, ETH_ARP = 0x0800, 0x86DD, 0x0806
V6_EXT = {0, 43, 60}  # hop-by-hop, routing, destination options: skipped to find L4


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise SystemExit(f"{path}: not a pcap file (len {len(data)})")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise SystemExit(f"{path}: not a classic pcap file (pcapng?)")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    if linktype != 1:
        raise SystemExit(f"{path}: link type {linktype}, expected Ethernet (1)")
    off, frames = 24, []
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        frame = data[off:off + incl]
        off += incl
        if incl == orig:
            frames.extend((f, len(f)) for f in split_udp_gso(frame))
        else:
            frames.append((frame, orig))
    return frames


def split_udp_gso(frame):
    """The ESP-in-UDP datagrams inside a UDP GSO super-packet, else [frame].

    The data plane sends ESP in UDP as UDP GSO super-packets (several ESP packets of one size
    behind one IP+UDP header). A NIC would cut them into datagrams on the wire; veth carries
    them whole, so tcpdump sees the super-packet. It is cut here at the ESP boundaries, found
    where the same SPI recurs with the next sequence number, into the datagrams the wire
    would carry (IP length, IPv4 ID and header checksum, UDP length and checksum as the
    kernel's segmentation sets them)."""
    p = Pkt(frame)
    if p.kind() != "udp-esp":
        return [frame]
    body = frame[p.l4 + 8:]
    if len(body) < 32:
        return [frame]
    spi, seq = struct.unpack("!II", body[:8])
    size = None
    for s in range(16, len(body) - 8 + 1):
        if body[s:s + 4] == body[:4] and struct.unpack("!I", body[s + 4:s + 8])[0] == (seq + 1) & 0xFFFFFFFF:
            size = s
            break
    if size is None:
        return [frame]
    segs = [body[i:i + size] for i in range(0, len(body), size)]
    for k, seg in enumerate(segs):
        if len(seg) < 8 or seg[:4] != body[:4] or struct.unpack("!I", seg[4:8])[0] != (seq + k) & 0xFFFFFFFF:
            return [frame]
    out = []
    head = bytearray(frame[:p.l4 + 8])
    for k, seg in enumerate(segs):
        h = bytearray(head)
        udp_len = 8 + len(seg)
        if p.family == 4:
            ihl = (h[14] & 0x0F) * 4
            struct.pack_into("!H", h, 16, ihl + udp_len)
            ident = struct.unpack("!H", head[18:20])[0]
            struct.pack_into("!H", h, 18, (ident + k) & 0xFFFF)
            struct.pack_into("!H", h, 24, 0)
            struct.pack_into("!H", h, 24, csum(bytes(h[14:14 + ihl])))
        else:
            struct.pack_into("!H", h, 18, p.l4 - 54 + udp_len)
        struct.pack_into("!HH", h, p.l4 + 4, udp_len, 0)
        c = csum(l4_pseudo(Pkt(bytes(h)), udp_len, UDP) + bytes(h[p.l4:p.l4 + 8]) + seg)
        struct.pack_into("!H", h, p.l4 + 6, c or 0xFFFF)
        out.append(bytes(h) + seg)
    return out


def write_pcap(path, frames):
    """Classic pcap, Ethernet link type."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)))
            f.write(fr)


class Pkt:
    """Parsed Ethernet/IP frame: family, src, dst, l4 protocol, offsets."""

    def __init__(self, frame):
        self.frame = frame
        self.ethertype = struct.unpack("!H", frame[12:14])[0] if len(frame) >= 14 else None
        self.family = None
        self.proto = None
        self.src = self.dst = None
        self.l3 = 14
        self.l4 = None
        self.icmp_type = None
        self.sport = self.dport = None
        self.tos = None
        if self.ethertype == ETH_IP4 and len(frame) >= 34:
            ihl = (frame[14] & 0x0F) * 4
            self.tos = frame[15]
            self.family = 4
            self.proto = frame[23]
            self.src = socket.inet_ntop(socket.AF_INET, frame[26:30])
            self.dst = socket.inet_ntop(socket.AF_INET, frame[30:34])
            self.l4 = 14 + ihl
        elif self.ethertype == ETH_IP6 and len(frame) >= 54:
            self.tos = ((frame[14] & 0x0F) << 4) | (frame[15] >> 4)
            self.family = 6
            self.src = socket.inet_ntop(socket.AF_INET6, frame[22:38])
            self.dst = socket.inet_ntop(socket.AF_INET6, frame[38:54])
            nh, off = frame[20], 54
            while nh in V6_EXT and off + 8 <= len(frame):
                nh, off = frame[off], off + (frame[off + 1] + 1) * 8
            self.proto, self.l4 = nh, off
        if self.l4 is not None and self.proto in (UDP, TCP) and len(frame) >= self.l4 + 4:
            self.sport, self.dport = struct.unpack("!HH", frame[self.l4:self.l4 + 4])
        if self.l4 is not None and self.proto in (ICMP, ICMP6) and len(frame) > self.l4:
            self.icmp_type = frame[self.l4]

    def kind(self):
        """esp | ah | udp-esp | udp-ike | udp-keepalive | ctrl | other"""
        if self.ethertype == ETH_ARP:
            return "ctrl"
        if self.family is None:
            return "other"
        if self.proto == ESP:
            return "esp"
        if self.proto == AH:
            return "ah"
        if self.proto == UDP and 500 in (self.sport, self.dport):
            return "udp-ike"
        if self.proto == UDP and 4500 in (self.sport, self.dport):
            body = self.frame[self.l4 + 8:]
            if body == b"\xff":
                return "udp-keepalive"
            if body[:4] == b"\x00\x00\x00\x00":
                return "udp-ike"
            return "udp-esp"
        if self.proto == ICMP6 and self.icmp_type in (133, 134, 135, 136, 137, 143, 130, 131, 132):
            return "ctrl"
        return "other"

    def sec_offset(self):
        """Offset of the ESP or AH header in the frame."""
        if self.proto == UDP:
            return self.l4 + 8
        return self.l4

    def spi_seq(self):
        o = self.sec_offset()
        if self.proto == AH:
            return struct.unpack("!II", self.frame[o + 4:o + 12])
        return struct.unpack("!II", self.frame[o:o + 8])

    def describe(self):
        s = f"IPv{self.family} {self.src} -> {self.dst} proto {self.proto}"
        if self.sport is not None:
            s += f" {self.sport}->{self.dport}"
        if self.icmp_type is not None:
            s += f" icmp-type {self.icmp_type}"
        return s + f" len {len(self.frame)}"


def expected_kind(a):
    if a.proto == "ah":
        return "ah"
    return "udp-esp" if a.encap == "udp" else "esp"


def cmd_classify(a):
    frames = read_pcap(a.pcap)
    outer = set(a.outer.split(","))
    ike = set(a.ike.split(",")) if a.ike else set()
    want = expected_kind(a)
    pattern = bytes.fromhex(a.pattern) if a.pattern else None
    counts, bad, dirs, pattern_hits, truncated = {}, [], {}, 0, 0
    for i, (fr, orig) in enumerate(frames):
        p = Pkt(fr)
        k = p.kind()
        counts[k] = counts.get(k, 0) + 1
        if len(fr) < orig:
            truncated += 1
        if pattern and pattern in fr:
            pattern_hits += 1
            bad.append(f"#{i} payload pattern visible: {p.describe()}")
        if k in ("ctrl", "udp-keepalive"):
            continue
        if k == "udp-ike" and a.ike:
            if p.src in ike and p.dst in ike:
                continue
            bad.append(f"#{i} IKE between unexpected addresses: {p.describe()}")
            continue
        if k != want:
            bad.append(f"#{i} {k}: {p.describe()}")
            continue
        if p.src not in outer or p.dst not in outer:
            bad.append(f"#{i} {k} with unexpected outer addresses: {p.describe()}")
            continue
        if a.tos is not None and p.tos != a.tos:
            bad.append(f"#{i} {k} outer TOS/traffic class 0x{p.tos:02x}, expected 0x{a.tos:02x}: {p.describe()}")
            continue
        dirs[(p.src, p.dst)] = dirs.get((p.src, p.dst), 0) + 1
    ok = not bad and (a.allow_partial or (counts.get(want, 0) > 0 and len(dirs) == 2))
    res = {"frames": len(frames), "counts": counts, "expected": want,
           "directions": {f"{s}->{d}": n for (s, d), n in dirs.items()},
           "pattern_hits": pattern_hits, "truncated": truncated, "bad": bad[:20],
           "bad_total": len(bad), "ok": ok}
    if a.json:
        print(json.dumps(res))
    else:
        print(f"{len(frames)} frames; kinds {counts}; expected {want}; directions "
              f"{res['directions']}; plaintext/unexpected {len(bad)}; pattern hits {pattern_hits}")
        for b in bad[:10]:
            print("  " + b)
        if len(dirs) != 2 and not bad and not a.allow_partial:
            print("  protected traffic not seen in both directions")
    return 0 if ok else 1


def select(a):
    frames = read_pcap(a.pcap)
    want = expected_kind(a)
    chosen, maxseq = None, {}
    for i, (fr, orig) in enumerate(frames):
        p = Pkt(fr)
        if p.kind() != want or p.src != a.src or p.dst != a.dst or len(fr) < orig:
            continue
        spi, seq = p.spi_seq()
        maxseq[spi] = max(maxseq.get(spi, 0), seq)
        if (chosen is None or a.last) and len(fr) >= a.min_len:
            chosen = (i, p)
    if chosen is None:
        raise SystemExit(f"no complete {want} frame {a.src} -> {a.dst} of >= {a.min_len} bytes in {a.pcap}")
    i, p = chosen
    return i, p, maxseq[p.spi_seq()[0]]


def send_frame(iface, frame):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    try:
        s.bind((iface, 0))
        n = s.send(frame)
    finally:
        s.close()
    if n != len(frame):
        raise SystemExit(f"short send {n}/{len(frame)}")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def l4_pseudo(p, l4len, proto):
    fr = p.frame
    if p.family == 4:
        return fr[26:34] + struct.pack("!BBH", 0, proto, l4len)
    return fr[22:54] + struct.pack("!IxxxB", l4len, proto)


def cmd_pick(a):
    i, p, maxseq = select(a)
    spi, seq = p.spi_seq()
    print(f"frame #{i}: {p.describe()} spi 0x{spi:08x} seq {seq} (max seq seen {maxseq})")
    return 0


def cmd_replay(a):
    i, p, _ = select(a)
    spi, seq = p.spi_seq()
    send_frame(a.iface, p.frame)
    print(f"replayed frame #{i}: {p.describe()} spi 0x{spi:08x} seq {seq}")
    return 0


def cmd_tamper(a):
    i, p, maxseq = select(a)
    fr = bytearray(p.frame)
    o = p.sec_offset()
    spi, seq = p.spi_seq()
    newseq = min(maxseq + a.seq_ahead, 0xFFFFFFF0)
    if p.proto == AH:
        struct.pack_into("!I", fr, o + 8, newseq)
        ahlen = (fr[o + 1] + 2) * 4
        start = o + ahlen
        end = len(fr)
    else:
        struct.pack_into("!I", fr, o + 4, newseq)
        # ESP: SPI, seq, IV (<= 16), ciphertext, ICV (<= 32): the middle of what follows the
        # 8-byte header is ciphertext for every algorithm we use once the packet is big.
        start = o + 8 + 16
        end = len(fr) - 32
    if end - start < 16:
        raise SystemExit(f"frame #{i} too short to flip a payload bit safely ({end - start})")
    pos = (start + end) // 2
    fr[pos] ^= 0x10
    if p.proto == UDP:
        old = struct.unpack("!H", fr[p.l4 + 6:p.l4 + 8])[0]
        if old != 0 or p.family == 6:
            ulen = struct.unpack("!H", fr[p.l4 + 4:p.l4 + 6])[0]
            fr[p.l4 + 6:p.l4 + 8] = b"\0\0"
            c = csum(l4_pseudo(p, ulen, UDP) + bytes(fr[p.l4:p.l4 + ulen])) or 0xFFFF
            struct.pack_into("!H", fr, p.l4 + 6, c)
    send_frame(a.iface, bytes(fr))
    print(f"sent tampered frame #{i}: {p.describe()} spi 0x{spi:08x} seq {seq} -> {newseq}, "
          f"flipped bit 4 of frame byte {pos} (byte {pos - o} of the {'AH' if p.proto == AH else 'ESP'} packet)")
    return 0


def cmd_plain(a):
    mac = lambda m: bytes.fromhex(m.replace(":", ""))
    payload = b"ipsec-mesh rig plaintext probe " * 4
    for n in range(a.count):
        if a.family == 4:
            icmp = struct.pack("!BBHHH", 8, 0, 0, 0x4242, n + 1) + payload
            icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0x1234 + n, 0x4000, 64, ICMP, 0,
                             socket.inet_pton(socket.AF_INET, a.src), socket.inet_pton(socket.AF_INET, a.dst))
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            frame = mac(a.dst_mac) + mac(a.src_mac) + struct.pack("!H", ETH_IP4) + ip + icmp
        else:
            s6 = socket.inet_pton(socket.AF_INET6, a.src)
            d6 = socket.inet_pton(socket.AF_INET6, a.dst)
            icmp = struct.pack("!BBHHH", 128, 0, 0, 0x4242, n + 1) + payload
            pseudo = s6 + d6 + struct.pack("!IxxxB", len(icmp), ICMP6)
            icmp = icmp[:2] + struct.pack("!H", csum(pseudo + icmp)) + icmp[4:]
            ip = struct.pack("!IHBB", 0x60000000, len(icmp), ICMP6, 64) + s6 + d6
            frame = mac(a.dst_mac) + mac(a.src_mac) + struct.pack("!H", ETH_IP6) + ip + icmp
        send_frame(a.iface, frame)
    print(f"sent {a.count} plaintext ICMP echo request(s) IPv{a.family} {a.src} -> {a.dst} out of {a.iface}")
    return 0


TSHARK_ENC = {"aes128gcm16": "AES-GCM with 16 octet ICV [RFC4106]",
              "aes256gcm16": "AES-GCM with 16 octet ICV [RFC4106]",
              "aes128": "AES-CBC [RFC3602]", "aes256": "AES-CBC [RFC3602]",
              "3des": "TripleDES-CBC [RFC2451]", "null": "NULL"}
TSHARK_INTEG = {"none": "NULL", "sha256": "HMAC-SHA-256-128 [RFC4868]",
                "sha384": "HMAC-SHA-384-192 [RFC4868]", "sha512": "HMAC-SHA-512-256 [RFC4868]"}


def cmd_decode(a):
    import subprocess
    if a.esp_sa:
        return decode_with(a, [l.strip() for l in open(a.esp_sa) if l.strip()], False)
    sas = list(parse_conf_sas(a.conf).values())
    esp = [x for x in sas if x.get("proto") == "esp"]
    if not esp:
        print("no ESP SA in " + a.conf)
        return 3
    opts, esn = [], False
    for x in esp:
        enc = TSHARK_ENC.get(x.get("enc", "null"))
        integ = TSHARK_INTEG.get(x.get("integ", "none"))
        if enc is None or integ is None:
            print(f"tshark 4.0 cannot decrypt ESP with {x.get('enc')}/{x.get('integ', 'none')}")
            return 3
        esn = esn or x["esn"]
        fam = "IPv6" if ":" in x["src"] else "IPv4"
        key = x.get("key", "0x")
        key = key if key.startswith("0x") else "0x" + key
        ikey = x.get("ikey", "")
        ikey = "" if not ikey else (ikey if ikey.startswith("0x") else "0x" + ikey)
        opts += [f'"{fam}","{x["src"]}","{x["dst"]}","0x{int(x["spi"], 0):08x}","{enc}","{key}","{integ}","{ikey}"']
    return decode_with(a, opts, esn)


def decode_with(a, rows, esn):
    """tshark with these esp_sa rows decrypts every ESP frame to an ICMP echo between the pods."""
    import subprocess
    opts = []
    for row in rows:
        opts += ["-o", "uat:esp_sa:" + row]
    fields = ["frame.number", "esp.spi", "esp.icv_good", "esp.icv_bad", "ip.src", "ip.dst",
              "ipv6.src", "ipv6.dst", "icmp.type", "icmpv6.type"]
    # tshark reads the datagrams the wire would carry (UDP GSO super-packets cut apart).
    expanded = a.pcap + ".split.pcap"
    write_pcap(expanded, [fr for fr, _ in read_pcap(a.pcap)])
    cmd = ["tshark", "-n", "-r", expanded, "-o", "esp.enable_encryption_decode:TRUE",
           "-o", f"esp.enable_authentication_check:{'FALSE' if esn else 'TRUE'}", *opts, "-T", "fields",
           "-E", "occurrence=l", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        print(f"tshark failed rc={r.returncode}: {r.stderr.strip()[-300:]}")
        return 1
    inner = {norm(x) for x in a.inner.split(",")}
    echo = {"8", "0", "128", "129"}
    n, bad, dirs = 0, [], set()
    for line in r.stdout.splitlines():
        f = dict(zip(fields, line.split("|")))
        if not f.get("esp.spi"):
            continue
        n += 1
        src = f["ipv6.src"] or f["ip.src"]
        dst = f["ipv6.dst"] or f["ip.dst"]
        # with both families present (e.g. IPv6 in IPv4), the innermost is the last header;
        # this rig never mixes families, so either column is the inner one
        typ = f["icmpv6.type"] or f["icmp.type"]
        why = []
        if {norm(src), norm(dst)} != inner:
            why.append(f"inner {src} -> {dst}")
        if typ not in echo:
            why.append(f"no ICMP echo inside (type {typ or 'none'})")
        if esn:
            pass  # tshark 4.0 has no ESN: the ICV it would compute is wrong, so it is not checked
        elif f["esp.icv_bad"] == "1":
            why.append("ICV bad")
        elif not esn and f["esp.icv_good"] != "1":
            why.append("ICV not verified")
        if why:
            bad.append(f"frame {f['frame.number']} spi {f['esp.spi']}: " + ", ".join(why))
        else:
            dirs.add((norm(src), norm(dst)))
    ok = n > 0 and not bad and len(dirs) == 2
    print(f"tshark decrypted {n} ESP frames: {n - len(bad)} ICMP echo {'/'.join(sorted(inner))} with "
          f"{'decryption only (ESN)' if esn else 'good ICV'}, {len(bad)} bad, directions {len(dirs)}")
    for b in bad[:5]:
        print("  " + b)
    return 0 if ok else 1


def cmd_ike(a):
    """tshark dissects every IKE message without a malformed or bad-checksum mark and, with the
    keys the daemon wrote (ikev2_decryption_table in --keys), decrypts every SK payload."""
    import os
    import subprocess
    expanded = a.pcap + ".split.pcap"
    write_pcap(expanded, [fr for fr, _ in read_pcap(a.pcap)])
    fields = ["frame.number", "isakmp.exchangetype", "isakmp.flags", "isakmp.nextpayload", "isakmp.enc.decrypted",
              "isakmp.ikev2.integrity_checksum", "_ws.malformed", "_ws.expert.message"]
    cmd = ["tshark", "-n", "-r", expanded, "-Y", "isakmp", "-T", "fields", "-E", "occurrence=a",
           "-E", "separator=|", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=a.keys)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    if r.returncode != 0:
        print(f"tshark failed rc={r.returncode}: {r.stderr.strip()[-300:]}")
        return 1
    n = enc = dec = 0
    bad, exch = [], {}
    for line in r.stdout.splitlines():
        f = dict(zip(fields, line.split("|")))
        n += 1
        name = {"34": "IKE_SA_INIT", "35": "IKE_AUTH", "36": "CREATE_CHILD_SA", "37": "INFORMATIONAL"}.get(
            f["isakmp.exchangetype"].split(",")[0], f["isakmp.exchangetype"])
        exch[name] = exch.get(name, 0) + 1
        if f["_ws.malformed"]:
            bad.append(f"frame {f['frame.number']} {name}: malformed")
        if f["isakmp.ikev2.integrity_checksum"] or "incorrect" in f["_ws.expert.message"]:
            bad.append(f"frame {f['frame.number']} {name}: integrity checksum incorrect")
        if "46" in f["isakmp.nextpayload"].split(","):
            enc += 1
            if f["isakmp.enc.decrypted"]:
                dec += 1
            elif not a.no_decrypt:
                bad.append(f"frame {f['frame.number']} {name}: SK payload not decrypted")
    ok = n > 0 and not bad and (a.no_decrypt or dec == enc)
    print(f"tshark dissected {n} IKE messages {exch}; {dec} of {enc} SK payloads decrypted; {len(bad)} bad")
    for b in bad[:8]:
        print("  " + b)
    return 0 if ok else 1


def parse_conf_sas(path):
    sas = {}
    for line in open(path):
        t = line.split("#", 1)[0].split()
        if not t or t[0] != "sa":
            continue
        kv, i = {"name": t[1], "esn": "esn" in t, "encap": None}, 2
        while i < len(t):
            if t[i] in ("dir", "proto", "spi", "mode", "src", "dst", "enc", "key", "integ", "ikey"):
                kv[t[i]] = t[i + 1]
                i += 2
            elif t[i] == "encap":
                kv["encap"] = (int(t[i + 2]), int(t[i + 3]))
                i += 4
            else:
                i += 1
        sas[kv["name"]] = kv
    return sas


def hexkey(v):
    v = v or ""
    return bytes.fromhex(v[2:] if v.lower().startswith("0x") else v)


def icmp_echo(family, src, dst, ident=0x4343, seq=1):
    payload = b"ipsec-mesh rig forged probe " * 4
    if family == 4:
        icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
        icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
        return ICMP, icmp
    s6, d6 = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    icmp = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", csum(s6 + d6 + struct.pack("!IxxxB", len(icmp), ICMP6) + icmp)) + icmp[4:]
    return ICMP6, icmp


def ip_header(family, src, dst, proto, plen):
    if family == 4:
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + plen, 0x4343, 0x4000, 64, proto, 0,
                        socket.inet_pton(socket.AF_INET, src), socket.inet_pton(socket.AF_INET, dst))
        return h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return struct.pack("!IHBB", 0x60000000, plen, proto, 64) + \
        socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)


def esp_seal(sa, seq, payload, next_header):
    """ESP packet (SPI .. ICV) for SA with 32-bit sequence number seq (ESN high bits 0)."""
    import os
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives import hmac, hashes
    spi = int(sa["spi"], 0)
    enc, integ = sa.get("enc", "null"), sa.get("integ", "none")
    key, ikey = hexkey(sa.get("key")), hexkey(sa.get("ikey"))
    hdr = struct.pack("!II", spi, seq)
    seqhi = struct.pack("!I", 0)
    block = 16 if enc in ("aes128", "aes256") else 4
    padlen = (-(len(payload) + 2)) % block
    pt = payload + bytes(range(1, padlen + 1)) + bytes([padlen, next_header])
    if enc in ("aes128gcm16", "aes256gcm16", "chacha20poly1305"):
        iv = os.urandom(8)
        aad = struct.pack("!I", spi) + seqhi + struct.pack("!I", seq) if sa["esn"] else hdr
        aead = ChaCha20Poly1305(key[:-4]) if enc == "chacha20poly1305" else AESGCM(key[:-4])
        return hdr + iv + aead.encrypt(key[-4:] + iv, pt, aad)
    if enc in ("aes128", "aes256"):
        iv = os.urandom(16)
        e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        body = iv + e.update(pt) + e.finalize()
    elif enc == "null":
        body = pt
    else:
        raise SystemExit(f"forge: cipher {enc} not supported")
    algo, icvlen = {"sha256": (hashes.SHA256(), 16), "sha384": (hashes.SHA384(), 24),
                    "sha512": (hashes.SHA512(), 32)}[integ]
    h = hmac.HMAC(ikey, algo)
    h.update(hdr + body + (seqhi if sa["esn"] else b""))
    return hdr + body + h.finalize()[:icvlen]


def cmd_forge(a):
    try:
        import cryptography  # noqa: F401
    except ImportError:
        print("forge: Python package 'cryptography' missing")
        return 3
    sa = parse_conf_sas(a.conf).get(a.sa)
    if sa is None:
        raise SystemExit(f"forge: no SA {a.sa} in {a.conf}")
    if sa.get("proto") != "esp":
        print("forge: only ESP SAs")
        return 3
    if a.after_pcap:
        spi, top = int(sa["spi"], 0), 0
        for fr, _ in read_pcap(a.after_pcap):
            p = Pkt(fr)
            if p.kind() in ("esp", "udp-esp"):
                s_, q = p.spi_seq()
                if s_ == spi:
                    top = max(top, q)
        seq = min(top + a.seq_ahead, 0xFFFFFFF0)
    else:
        seq = a.seq
    inner_src, inner_dst = norm(a.inner_src), norm(a.inner_dst)
    ifam = 6 if ":" in inner_src else 4
    proto, icmp = icmp_echo(ifam, inner_src, inner_dst)
    if sa["mode"] == "tunnel":
        inner = ip_header(ifam, inner_src, inner_dst, proto, len(icmp)) + icmp
        esp = esp_seal(sa, seq, inner, 4 if ifam == 4 else 41)
        osrc, odst = norm(sa["src"]), norm(sa["dst"])
    else:
        esp = esp_seal(sa, seq, icmp, proto)
        osrc, odst = inner_src, inner_dst
    ofam = 6 if ":" in osrc else 4
    oproto, body = ESP, esp
    if sa["encap"]:
        sp, dp = sa["encap"]
        udp = struct.pack("!HHHH", sp, dp, 8 + len(esp), 0) + esp
        if ofam == 6:
            pseudo = socket.inet_pton(socket.AF_INET6, osrc) + socket.inet_pton(socket.AF_INET6, odst) + \
                struct.pack("!IxxxB", len(udp), UDP)
            udp = udp[:6] + struct.pack("!H", csum(pseudo + udp) or 0xFFFF) + udp[8:]
        oproto, body = UDP, udp
    mac = lambda m: bytes.fromhex(m.replace(":", ""))
    frame = mac(a.dst_mac) + mac(a.src_mac) + struct.pack("!H", ETH_IP4 if ofam == 4 else ETH_IP6) + \
        ip_header(ofam, osrc, odst, oproto, len(body)) + body
    send_frame(a.iface, frame)
    print(f"sent forged ESP ({sa['enc']}{'/' + sa['integ'] if sa.get('integ', 'none') != 'none' else ''}, "
          f"{sa['mode']}) spi 0x{int(sa['spi'], 0):08x} seq {seq}: ICMP echo {inner_src} -> {inner_dst}")
    return 0


def norm(x):
    return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, x)) if ":" in x else x


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def sel(sp, iface):
        sp.add_argument("pcap")
        if iface:
            sp.add_argument("iface")
        sp.add_argument("--proto", choices=["esp", "ah"], default="esp")
        sp.add_argument("--encap", choices=["none", "udp"], default="none")
        sp.add_argument("--src", required=True)
        sp.add_argument("--dst", required=True)
        sp.add_argument("--min-len", type=int, default=200)
        sp.add_argument("--last", action="store_true", help="the last such frame, not the first")

    c = sub.add_parser("classify")
    c.add_argument("pcap")
    c.add_argument("--proto", choices=["esp", "ah"], default="esp")
    c.add_argument("--encap", choices=["none", "udp"], default="none")
    c.add_argument("--outer", required=True)
    c.add_argument("--pattern")
    c.add_argument("--ike", help="A,B: IKE (UDP 500, or 4500 with the non-ESP marker) between these is allowed")
    c.add_argument("--json", action="store_true")
    c.add_argument("--tos", type=lambda x: int(x, 0),
                   help="every protected frame must carry this IPv4 TOS / IPv6 traffic class")
    c.add_argument("--allow-partial", action="store_true",
                   help="protected frames may be missing in one or both directions (fault tests)")
    ik = sub.add_parser("ike")
    ik.add_argument("pcap")
    ik.add_argument("--keys", required=True, help="directory with ikev2_decryption_table")
    ik.add_argument("--no-decrypt", action="store_true", help="only dissect (a cipher tshark cannot decrypt)")
    sel(sub.add_parser("pick"), False)
    sel(sub.add_parser("replay"), True)
    t = sub.add_parser("tamper")
    sel(t, True)
    t.add_argument("--seq-ahead", type=int, default=1 << 24)
    pl = sub.add_parser("plain")
    pl.add_argument("iface")
    pl.add_argument("--family", type=int, choices=[4, 6], required=True)
    pl.add_argument("--src", required=True)
    pl.add_argument("--dst", required=True)
    pl.add_argument("--src-mac", required=True)
    pl.add_argument("--dst-mac", required=True)
    pl.add_argument("--count", type=int, default=1)
    fg = sub.add_parser("forge")
    fg.add_argument("iface")
    fg.add_argument("--conf", required=True)
    fg.add_argument("--sa", required=True)
    fg.add_argument("--inner-src", required=True)
    fg.add_argument("--inner-dst", required=True)
    fg.add_argument("--src-mac", required=True)
    fg.add_argument("--dst-mac", required=True)
    fg.add_argument("--seq", type=int, default=1)
    fg.add_argument("--after-pcap")
    fg.add_argument("--seq-ahead", type=int, default=1 << 25)
    dc = sub.add_parser("decode")
    dc.add_argument("pcap")
    dc.add_argument("--conf", help="manual-keying file with the SAs")
    dc.add_argument("--esp-sa", help="an esp_sa file as the IKE daemon's --keys-log writes it")
    dc.add_argument("--inner", required=True)
    a = ap.parse_args()
    if a.cmd in ("classify", "pick", "replay", "tamper"):
        # normalise IPv6 text so it compares with inet_ntop output
        for attr in ("src", "dst"):
            v = getattr(a, attr, None)
            if v and ":" in v:
                setattr(a, attr, socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, v)))
        if getattr(a, "outer", None):
            a.outer = ",".join(socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, x)) if ":" in x else x
                               for x in a.outer.split(","))
    return {"classify": cmd_classify, "pick": cmd_pick, "replay": cmd_replay,
            "tamper": cmd_tamper, "plain": cmd_plain, "decode": cmd_decode, "forge": cmd_forge, "ike": cmd_ike}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
