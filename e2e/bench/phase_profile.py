#!/usr/bin/env python3
"""Where the CPU goes in each phase of IKE handshakes on the wire (used by ike-profile.sh).

Reads a capture of the handshakes (tcpdump, the interop harness's underlay.pcap) and the text
of a system-wide `perf record -F FREQ` of the same time with the events cpu-clock and
net:net_dev_xmit (`perf script -F comm,tid,cpu,time,event,ip,sym,dso,trace`). perf and the
capture use different clocks: the transmits of the IKE datagrams on the underlay device, found
in both by their lengths, give the offset between them.

For every handshake it splits the time into the three phases the timing benchmark reports:
the responder's IKE_SA_INIT (request to response), the initiator's turn (response to IKE_AUTH
request) and the responder's IKE_AUTH. For each phase it prints the threads that were on a CPU
and for about how long (their samples over FREQ), and for the thread named by --thread (the
daemon's event loop, "ike") what its samples hit: interpreted Java, compiled Java (the JIT's
symbols come from the perf map the JVM writes with -XX:+DumpPerfMapAtExit), the JVM itself or
the kernel.
"""
import argparse
import collections
import re
import statistics
import subprocess

LINE = re.compile(r"^\s*(.+?)\s+(\d+)(?:/\d+)?\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s+(.*)$")


def ike_frames(pcap):
    out = subprocess.run(["tshark", "-r", pcap, "-Y", "isakmp", "-T", "fields", "-e", "frame.time_epoch",
                          "-e", "frame.len", "-e", "isakmp.exchangetype", "-e", "isakmp.flags"],
                         capture_output=True, text=True, stdin=subprocess.DEVNULL, check=True).stdout
    frames = []
    for line in out.splitlines():
        t, length, xch, flags = line.split("\t")
        frames.append((float(t), int(length), int(xch), int(flags, 16)))
    return frames


def read_perf(path, device):
    samples, xmits = [], []
    for line in open(path, errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        comm, tid, cpu, t, event, rest = m.groups()
        t = float(t)
        if event == "net:net_dev_xmit":
            if f"dev={device} " in rest:
                xmits.append((t, int(re.search(r"len=(\d+)", rest).group(1))))
        elif event == "cpu-clock":
            parts = rest.split(None, 1)
            samples.append((t, comm, int(tid), parts[1] if len(parts) > 1 else "?"))
    return samples, xmits


def clock_offset(frames, xmits):
    """capture time minus perf time, from datagrams matched in order by their lengths."""
    offsets, j = [], 0
    for f in frames:
        while j < len(xmits) and xmits[j][1] != f[1]:
            j += 1
        if j < len(xmits):
            offsets.append(f[0] - xmits[j][0])
            j += 1
    if not offsets:
        raise SystemExit("no IKE datagram of the capture found among the perf transmits")
    return statistics.median(offsets)


def handshakes(frames, offset):
    """[INIT request, INIT response, AUTH request, AUTH response] in perf time, per handshake."""
    found = []
    for i, f in enumerate(frames):
        if f[2] == 34 and not f[3] & 0x20:
            seq = [f] + [g for g in frames[i + 1:] if g[2] in (34, 35)][:3]
            if len(seq) == 4 and seq[1][2] == 34 and seq[2][2] == 35:
                found.append([s[0] - offset for s in seq])
    return found


def on_cpu(samples, a, b, freq):
    """About how many milliseconds each thread (but idle) ran within [a, b]."""
    ran = collections.Counter(f"{comm}/{tid}" for t, comm, tid, sym in samples if a <= t <= b and tid != 0)
    return {name: n * 1e3 / freq for name, n in ran.items()}


def kind(sym):
    if sym.startswith("Interpreter"):
        return "interpreted"
    if "[kernel" in sym:
        return "kernel"
    if "libjvm" in sym:
        return "jvm"
    if "/perf-" in sym:
        return "compiled"
    return "other"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("pcap")
    p.add_argument("perf_text")
    p.add_argument("--freq", type=int, default=10000, help="perf's sampling frequency (Hz)")
    p.add_argument("--device", default="under", help="underlay device of the capture")
    p.add_argument("--thread", default="ike", help="thread whose samples are broken down")
    p.add_argument("--top", type=int, default=8, help="symbols shown for the first handshake's turn")
    a = p.parse_args()
    frames = ike_frames(a.pcap)
    samples, xmits = read_perf(a.perf_text, a.device)
    found = handshakes(frames, clock_offset(frames, xmits))
    if not found:
        raise SystemExit("no complete IKE_SA_INIT/IKE_AUTH handshake in the capture")
    for n, (ir, irs, ar, ars) in enumerate(found, 1):
        for phase, lo, hi in (("responder INIT", ir, irs), ("initiator turn", irs, ar), ("responder AUTH", ar, ars)):
            threads = sorted(on_cpu(samples, lo, hi, a.freq).items(), key=lambda kv: -kv[1])[:6]
            kinds = collections.Counter(kind(s) for t, c, tid, s in samples if lo <= t <= hi and c == a.thread)
            print(f"handshake {n} {phase} {(hi - lo) * 1e3:.2f} ms: "
                  + ", ".join(f"{name} {ms:.2f}" for name, ms in threads)
                  + (f" | {a.thread} samples: " + ", ".join(f"{k} {v}" for k, v in kinds.most_common()) if kinds else ""))
            if n == 1 and phase == "initiator turn":
                syms = collections.Counter(s for t, c, tid, s in samples if lo <= t <= hi and c == a.thread)
                for s, count in syms.most_common(a.top):
                    print(f"    {count:4d} {s[:140]}")


if __name__ == "__main__":
    main()
