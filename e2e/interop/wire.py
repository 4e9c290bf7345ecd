#!/usr/bin/env python3
"""Wire tools for the strongSwan interop harness (e2e/interop/strongswan.sh).
Standard library only (tshark for `timing`). Captures: classic pcap, Ethernet (tcpdump -w).

  wire.py classify PCAP --outer A,B --inner X,Y [--pattern HEX] [--need-udp-esp | --need-esp]
      Sort every frame of an underlay capture: IKE on UDP 500, IKE on UDP 4500 (non-ESP
      marker: four zero bytes after the UDP header), NAT keepalives (UDP 4500, one byte
      0xFF), ESP in UDP 4500 (RFC 3948: the four bytes are a non-zero SPI), raw ESP, and
      non-first IP fragments, all between the outer addresses A and B; ARP, IPv6 neighbour
      discovery and MLD are ignored. Anything else is "other" and fails, in particular any
      frame with an inner address X or Y in its IP header (plaintext of the tunnel). With
      --pattern, no frame may contain those bytes (the ping payload). --need-udp-esp: ESP in
      UDP must be seen in both directions (A->B and B->A); --need-esp: ESP, raw or in UDP,
      in both directions (two of our daemons with no NAT between them send raw ESP). Prints
      one summary line; exit 0 = clean.

  wire.py timing PCAP
      With tshark: time from each IKE_SA_INIT request to its IKE_AUTH response on the wire,
      in ms (handshakes paired by initiator SPI): the first, the median of the others, and,
      for those, where the time goes: the responder's IKE_SA_INIT, the initiator's turn (its
      IKE_SA_INIT response to its IKE_AUTH request) and the responder's IKE_AUTH.

  wire.py ike-frags PCAP --max-ip N [--keys DIR]
      IKE fragmentation (RFC 7383) as tshark sees it, in a capture of IKE alone: both
      IKE_SA_INIT messages carry IKEV2_FRAGMENTATION_SUPPORTED (16430); the IKE_AUTH request
      and the response each went as Encrypted Fragment payloads (type 53 first), numbered
      1..total with total >= 2; no IKE datagram is larger than N bytes (IP header included);
      nothing malformed. --keys DIR: the directory our daemon's --keys-log wrote
      (ikev2_decryption_table); then every SK and SKF payload must decrypt with a correct
      integrity checksum, and tshark must reassemble both IKE_AUTH messages from their
      fragments. Prints one summary line; exit 0 = all held.

  wire.py udp-listen PORT OUT [--seconds S] [--idle I]
      Receive UDP datagrams on [::]:PORT (IPv4 and IPv6) for S seconds (default 3), or until
      nothing came for I seconds after the first datagram; write
      one line per datagram to OUT: "<source address> <payload hex>". Prints "ready".

  wire.py udp-send DST[,DST...] PORT HEX [HEX ...] [--sport P]
      Send one datagram per HEX payload to each DST:PORT (from source port P if given).
"""
import argparse
import ipaddress
import socket
import struct
import subprocess
import sys
import time

ETH_IPV4, ETH_IPV6, ETH_ARP, ETH_VLAN = 0x0800, 0x86DD, 0x0806, 0x8100
ND_MLD = {130, 131, 132, 133, 134, 135, 136, 137, 143}


def frames(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            endian = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            endian = ">"
        else:
            sys.exit(f"{path}: not a classic pcap file")
        linktype = struct.unpack(endian + "I", hdr[20:24])[0]
        if linktype != 1:
            sys.exit(f"{path}: link type {linktype}, want Ethernet (1)")
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            _, _, incl, orig = struct.unpack(endian + "IIII", rec)
            data = f.read(incl)
            if len(data) < incl:
                return
            yield data, orig


def parse_ip(frame):
    """-> (version, src, dst, proto, l4 offset or None for a non-first fragment, frame) or None."""
    if len(frame) < 14:
        return None
    etype = struct.unpack("!H", frame[12:14])[0]
    off = 14
    if etype == ETH_VLAN and len(frame) >= 18:
        etype = struct.unpack("!H", frame[16:18])[0]
        off = 18
    if etype == ETH_IPV4:
        if len(frame) < off + 20:
            return ("short",)
        ihl = (frame[off] & 0x0F) * 4
        frag = struct.unpack("!H", frame[off + 6:off + 8])[0] & 0x1FFF
        src = ipaddress.ip_address(frame[off + 12:off + 16])
        dst = ipaddress.ip_address(frame[off + 16:off + 20])
        return (4, src, dst, frame[off + 9], None if frag else off + ihl)
    if etype == ETH_IPV6:
        if len(frame) < off + 40:
            return ("short",)
        src = ipaddress.ip_address(frame[off + 8:off + 24])
        dst = ipaddress.ip_address(frame[off + 24:off + 40])
        nh, p = frame[off + 6], off + 40
        while nh in (0, 43, 60, 44):   # hop-by-hop, routing, destination options, fragment
            if len(frame) < p + 8:
                return (6, src, dst, nh, None)
            if nh == 44:
                fragoff = struct.unpack("!H", frame[p + 2:p + 4])[0] >> 3
                nh2 = frame[p]
                if fragoff:
                    return (6, src, dst, nh2, None)
                nh, p = nh2, p + 8
            else:
                nh, p = frame[p], p + (frame[p + 1] + 1) * 8
        return (6, src, dst, nh, p)
    if etype == ETH_ARP:
        return ("arp",)
    return ("other-ethertype", etype)


def classify(args):
    outer = {ipaddress.ip_address(a) for a in args.outer.split(",")}
    a_addr, b_addr = [ipaddress.ip_address(a) for a in args.outer.split(",")]
    inner = {ipaddress.ip_address(a) for a in args.inner.split(",")}
    pattern = bytes.fromhex(args.pattern) if args.pattern else None
    counts = {k: 0 for k in ("ike500", "ike4500", "keepalive", "esp_udp_ab", "esp_udp_ba",
                             "esp_raw_ab", "esp_raw_ba", "fragment", "ignored", "other")}
    examples = []

    def other(i, why):
        counts["other"] += 1
        if len(examples) < 5:
            examples.append(f"frame {i}: {why}")

    n = 0
    for i, (frame, _) in enumerate(frames(args.pcap), 1):
        n += 1
        if pattern and pattern in frame:
            other(i, "contains the plaintext pattern")
            continue
        ip = parse_ip(frame)
        if ip is None or ip[0] == "short":
            other(i, "truncated frame")
            continue
        if ip[0] == "arp":
            counts["ignored"] += 1
            continue
        if ip[0] == "other-ethertype":
            other(i, f"ethertype 0x{ip[1]:04x}")
            continue
        ver, src, dst, proto, l4 = ip
        if src in inner or dst in inner:
            other(i, f"plaintext of the tunnel: IPv{ver} {src} -> {dst} proto {proto}")
            continue
        if proto == 58 and l4 is not None and len(frame) > l4 and frame[l4] in ND_MLD:
            counts["ignored"] += 1
            continue
        if src not in outer or dst not in outer or src == dst:
            other(i, f"IPv{ver} {src} -> {dst} proto {proto}: not between the nodes")
            continue
        if l4 is None:
            counts["fragment"] += 1
            continue
        if proto == 50:
            counts["esp_raw_ab" if src == a_addr else "esp_raw_ba"] += 1
            continue
        if proto != 17 or len(frame) < l4 + 8:
            other(i, f"IPv{ver} {src} -> {dst} proto {proto}")
            continue
        sport, dport, ulen = struct.unpack("!HHH", frame[l4:l4 + 6])
        payload = frame[l4 + 8:l4 + max(ulen, 8)]   # by the UDP length: no Ethernet padding
        if sport == 500 and dport == 500:
            counts["ike500"] += 1
        elif sport == 4500 and dport == 4500:
            if payload == b"\xff":
                counts["keepalive"] += 1
            elif len(payload) >= 4 and payload[:4] == b"\0\0\0\0":
                counts["ike4500"] += 1
            elif len(payload) >= 8:
                counts["esp_udp_ab" if src == a_addr else "esp_udp_ba"] += 1
            else:
                other(i, f"UDP 4500 with a {len(payload)}-byte payload")
        else:
            other(i, f"UDP {sport} -> {dport}")
    ok = counts["other"] == 0 and n > 0
    if args.need_udp_esp and (counts["esp_udp_ab"] == 0 or counts["esp_udp_ba"] == 0):
        ok = False
        examples.append("ESP in UDP not seen in both directions")
    if args.need_esp and (counts["esp_udp_ab"] + counts["esp_raw_ab"] == 0
                          or counts["esp_udp_ba"] + counts["esp_raw_ba"] == 0):
        ok = False
        examples.append("ESP not seen in both directions")
    summary = " ".join(f"{k}={v}" for k, v in counts.items())
    print(f"{n} frames: {summary}" + ("" if ok else "; " + "; ".join(examples)))
    return 0 if ok else 1


def timing(args):
    """IKE_SA_INIT request -> IKE_AUTH response per handshake (paired by initiator SPI)."""
    out = subprocess.run(
        ["tshark", "-r", args.pcap, "-Y", "isakmp", "-T", "fields", "-E", "separator=,",
         "-e", "frame.time_relative", "-e", "isakmp.exchangetype", "-e", "isakmp.flags",
         "-e", "isakmp.ispi", "-e", "ip.src", "-e", "ipv6.src"],
        capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("tshark: " + out.stderr.strip())
    started, done, initiator = {}, {}, None
    init_reply, auth_sent = {}, {}
    for line in out.stdout.splitlines():
        f = line.split(",")
        if len(f) < 6 or not f[1] or not f[2] or not f[3]:
            continue
        t, xch, flags = float(f[0]), int(f[1].split(";")[0]), int(f[2].split(";")[0], 0)
        spi = f[3].split(";")[0]
        response = bool(flags & 0x20)
        if xch == 34 and not response and spi not in started:
            started[spi] = t
            initiator = initiator or (f[4] or f[5])
        if xch == 34 and response and spi in started:
            init_reply[spi] = t          # the last one (after a COOKIE or INVALID_KE round)
        if xch == 35 and not response and spi in init_reply and spi not in auth_sent:
            auth_sent[spi] = t
        if xch == 35 and response and spi in started and spi not in done:
            done[spi] = t
    order = sorted(done, key=lambda s: started[s])
    times = [(done[s] - started[s]) * 1000 for s in order]
    if not times:
        print("no IKE_SA_INIT request / IKE_AUTH response in the capture")
        return 1

    def med(xs):
        xs = sorted(xs)
        return "-" if not xs else f"{(xs[len(xs) // 2] + xs[(len(xs) - 1) // 2]) / 2:.2f}"
    warm = order[1:]
    # Where the warm time goes: the responder's IKE_SA_INIT, the initiator's turn between the
    # IKE_SA_INIT response and its IKE_AUTH request, and the responder's IKE_AUTH.
    def phases_of(s):
        return (init_reply[s] - started[s], auth_sent[s] - init_reply[s], done[s] - auth_sent[s])
    phases = [phases_of(s) for s in warm if s in init_reply and s in auth_sent]
    split = "" if not phases else (
        f"; warm phases: responder INIT {med([p[0] * 1000 for p in phases])} ms, initiator turn "
        f"{med([p[1] * 1000 for p in phases])} ms, responder AUTH {med([p[2] * 1000 for p in phases])} ms")
    first = order[0]
    if first in init_reply and first in auth_sent:
        p = phases_of(first)
        split += (f"; first: responder INIT {p[0] * 1000:.2f} ms, initiator turn {p[1] * 1000:.2f} ms, "
                  f"responder AUTH {p[2] * 1000:.2f} ms")
    print(f"{times[0]:.2f} ms first IKE_SA_INIT request -> IKE_AUTH response, {med(times[1:])} ms median of "
          f"{len(warm)} more (initiator {initiator}; all: {' '.join(f'{x:.2f}' for x in times)}){split}")
    return 0


def ike_frags(args):
    import os
    fields = ["frame.number", "ip.src", "ipv6.src", "ip.len", "ipv6.plen", "isakmp.exchangetype", "isakmp.flags",
              "isakmp.nextpayload", "isakmp.frag.number", "isakmp.frag.total", "isakmp.enc.decrypted",
              "isakmp.ikev2.integrity_checksum", "isakmp.fragment.count", "isakmp.notify.msgtype", "_ws.malformed",
              "_ws.expert.message"]
    cmd = ["tshark", "-n", "-r", args.pcap, "-Y", "isakmp", "-T", "fields", "-E", "occurrence=a",
           "-E", "separator=|", "-E", "aggregator=,"]
    for f in fields:
        cmd += ["-e", f]
    env = dict(os.environ)
    if args.keys:
        env["WIRESHARK_CONFIG_DIR"] = args.keys
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    if out.returncode != 0:
        print("tshark: " + out.stderr.strip()[-300:])
        return 1
    bad, largest, n = [], 0, 0
    announced = {"request": False, "response": False}
    auth = {"request": {}, "response": {}}   # fragment number -> total, per direction
    auth_from = {"request": set(), "response": set()}
    auth_whole = {"request": 0, "response": 0}
    reassembled = {"request": 0, "response": 0}
    protected = decrypted = 0
    for line in out.stdout.splitlines():
        f = dict(zip(fields, line.split("|")))
        n += 1
        frame = f["frame.number"]
        size = int(f["ip.len"]) if f["ip.len"] else int(f["ipv6.plen"] or 0) + 40
        largest = max(largest, size)
        if size > args.max_ip:
            bad.append(f"frame {frame}: IKE datagram of {size} bytes > {args.max_ip}")
        if f["_ws.malformed"]:
            bad.append(f"frame {frame}: malformed")
        xch = int(f["isakmp.exchangetype"].split(",")[0] or 0)
        kind = "response" if int(f["isakmp.flags"].split(",")[0] or "0", 0) & 0x20 else "request"
        payloads = [int(p) for p in f["isakmp.nextpayload"].split(",") if p]
        if xch == 34 and "16430" in f["isakmp.notify.msgtype"].split(","):
            announced[kind] = True
        if 46 in payloads[:1] or 53 in payloads[:1]:
            protected += 1
            if f["isakmp.enc.decrypted"]:
                decrypted += 1
            if f["isakmp.ikev2.integrity_checksum"] or "incorrect" in f["_ws.expert.message"]:
                bad.append(f"frame {frame}: integrity checksum incorrect")
        if xch != 35:
            continue
        auth_from[kind].add(f["ip.src"] or f["ipv6.src"])
        if payloads[:1] != [53]:
            auth_whole[kind] += 1
            continue
        auth[kind][int(f["isakmp.frag.number"])] = int(f["isakmp.frag.total"])
        if f["isakmp.fragment.count"]:
            reassembled[kind] += 1
    for kind in ("request", "response"):
        if not announced[kind]:
            bad.append(f"IKE_SA_INIT {kind} without IKEV2_FRAGMENTATION_SUPPORTED")
        frags = auth[kind]
        totals = set(frags.values())
        if auth_whole[kind]:
            bad.append(f"IKE_AUTH {kind}: {auth_whole[kind]} datagram(s) not fragmented")
        if len(totals) != 1 or min(totals) < 2 or set(frags) != set(range(1, min(totals) + 1)):
            bad.append(f"IKE_AUTH {kind}: fragments {sorted(frags.items())}, want 1..total with total >= 2")
        if args.keys and not reassembled[kind]:
            bad.append(f"IKE_AUTH {kind}: tshark did not reassemble it")
    if args.keys and decrypted != protected:
        bad.append(f"tshark decrypted {decrypted} of {protected} SK/SKF payloads")
    summary = (f"{n} IKE datagrams, largest {largest} <= {args.max_ip} bytes; IKE_SA_INIT both ways announce "
               f"fragmentation: {announced['request'] and announced['response']}; IKE_AUTH request from "
               f"{','.join(sorted(auth_from['request']))} in {max(auth['request'].values(), default=0)} fragments, "
               f"response from {','.join(sorted(auth_from['response']))} in "
               f"{max(auth['response'].values(), default=0)} fragments")
    if args.keys:
        summary += (f"; tshark with our keys: {decrypted} of {protected} SK/SKF payloads decrypted "
                    f"{'with correct integrity checksums' if not any('integrity' in b for b in bad) else ''}, "
                    f"{sum(1 for k in reassembled if reassembled[k])} of 2 IKE_AUTH messages reassembled")
    print(summary + ("" if not bad else "; " + "; ".join(bad[:6])))
    return 0 if not bad and n > 0 else 1


def udp_listen(args):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", args.port))
    deadline = time.monotonic() + args.seconds
    print("ready", flush=True)
    got = 0
    with open(args.out, "w") as out:
        while True:
            left = deadline - time.monotonic()
            if got and args.idle:
                left = min(left, args.idle)
            if left <= 0:
                break
            s.settimeout(left)
            try:
                data, peer = s.recvfrom(65535)
            except socket.timeout:
                break
            src = peer[0].removeprefix("::ffff:")
            got += 1
            out.write(f"{src} {data.hex()}\n")
            out.flush()
    return 0


def udp_send(args):
    for dst in args.dst.split(","):
        fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if args.sport:
            s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", args.sport))
        for h in args.payloads:
            s.sendto(bytes.fromhex(h), (dst, args.port))
            time.sleep(0.02)
        s.close()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("classify")
    c.add_argument("pcap")
    c.add_argument("--outer", required=True)
    c.add_argument("--inner", required=True)
    c.add_argument("--pattern")
    c.add_argument("--need-udp-esp", action="store_true")
    c.add_argument("--need-esp", action="store_true")
    t = sub.add_parser("timing")
    t.add_argument("pcap")
    k = sub.add_parser("ike-frags")
    k.add_argument("pcap")
    k.add_argument("--max-ip", type=int, required=True)
    k.add_argument("--keys")
    l = sub.add_parser("udp-listen")
    l.add_argument("port", type=int)
    l.add_argument("out")
    l.add_argument("--seconds", type=float, default=3.0)
    l.add_argument("--idle", type=float, default=0.0)
    s = sub.add_parser("udp-send")
    s.add_argument("dst")
    s.add_argument("port", type=int)
    s.add_argument("payloads", nargs="+")
    s.add_argument("--sport", type=int)
    a = p.parse_args()
    return {"classify": classify, "timing": timing, "ike-frags": ike_frags, "udp-listen": udp_listen,
            "udp-send": udp_send}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
