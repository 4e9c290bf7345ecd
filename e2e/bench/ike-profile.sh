#!/usr/bin/env bash
# Where the CPU goes during IKE handshakes against charon: runs the timing scenario
# (e2e/interop/strongswan.sh --role initiator --auth cert --timing) under a system-wide
# `perf record` (cpu-clock samples and the transmits on the underlay) and prints,
# for each handshake and each of its three phases on the wire, which threads ran and for how
# long, and what our event loop's samples hit (interpreted or compiled Java, the JVM, the
# kernel; e2e/bench/phase_profile.py). The daemon runs with -XX:+DumpPerfMapAtExit so that
# perf can name compiled Java methods. A diagnostic, not a benchmark: sampling at FREQ Hz
# slows both sides (the times it prints are longer than ike-timing.sh's).
# Needs root (namespaces, perf) and the Debian packages linux-perf and tshark.
# Usage: sudo e2e/bench/ike-profile.sh [--ours ours|charon] [--handshakes N] [--freq HZ]
#        (defaults: ours, 4, 10000). The work directory is kept; its path is printed.
set -u -o pipefail
cd "$(dirname "$0")/../.."
ours=ours handshakes=4 freq=10000
while [ $# -gt 0 ]; do
    case $1 in
        --ours) ours=$2; shift 2 ;;
        --handshakes) handshakes=$2; shift 2 ;;
        --freq) freq=$2; shift 2 ;;
        *) echo "usage: $0 [--ours ours|charon] [--handshakes N] [--freq HZ]" >&2; exit 2 ;;
    esac
done
command -v perf >/dev/null || { echo "ike-profile: no perf (apt-get install linux-perf)" >&2; exit 1; }
# The network tracepoint lives in tracefs.
[ -d /sys/kernel/tracing/events/net ] || mount -t tracefs nodev /sys/kernel/tracing ||
    { echo "ike-profile: cannot mount tracefs" >&2; exit 1; }
out=$(mktemp -d /tmp/ike-profile.XXXXXX)
perf record -q -a -F "$freq" -e cpu-clock -e net:net_dev_xmit -o "$out/perf.data" \
    >"$out/perf.log" 2>&1 &
perf_pid=$!
trap 'kill -INT "$perf_pid" 2>/dev/null' EXIT
sleep 1
IPSM_JAVA_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit ${IPSM_JAVA_OPTS:-}" \
    e2e/interop/strongswan.sh --role initiator --auth cert --timing --handshakes "$handshakes" \
    --ours "$ours" --keep >"$out/run.log" 2>&1
rc=$?
kill -INT "$perf_pid"
wait "$perf_pid" 2>/dev/null
trap - EXIT
work=$(sed -n 's/.*kept work dir //p' "$out/run.log" | tail -n 1)
grep '^TIMING' "$out/run.log"
if [ "$rc" -ne 0 ] || [ -z "$work" ]; then
    echo "ike-profile: the timing scenario failed (exit $rc): $out/run.log" >&2
    exit 1
fi
perf script -i "$out/perf.data" -F comm,tid,cpu,time,event,ip,sym,dso,trace >"$out/perf.txt" 2>/dev/null
python3 e2e/bench/phase_profile.py --freq "$freq" "$work/underlay.pcap" "$out/perf.txt"
echo "ike-profile: perf data in $out, the scenario's work directory in $work"
