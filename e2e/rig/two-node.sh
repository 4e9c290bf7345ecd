#!/usr/bin/env bash
# e2e/rig/two-node.sh: the ipsec-mesh data plane (manual keying) between two nodes.
#
#   e2e/rig/two-node.sh [--mode transport|tunnel] [--family 4|6] [--proto esp|ah]
#       [--enc ALG] [--integ ALG|none] [--encap none|udp] [--esn] [--replay-window N]
#       [--queues N] [--iperf-seconds N] [--bench [SECONDS]] [--parallel P] [--keep]
#       [--hold SECONDS] [--no-fragments]
#
# Topology and per-node plumbing: see lib.sh. Writes a manual-keying file per node
# (docs/manual-keying.md; random keys and SPIs, the same SAs mirrored), runs
# `java -jar $IPSM_JAR dataplane` in each node namespace and checks:
#   daemons up        the TUN exists and is up on both nodes
#   ping              pod1 -> pod2 and pod2 -> pod1 (all replies)
#   fragments         ping -s 2000 pod1 -> pod2: the pod fragments it (MTU 1380); the
#                     fragments must get through (UDP datagrams over the MTU do this in real
#                     pods); --no-fragments skips it
#   iperf3            TCP pod1 -> pod2 (--iperf-seconds, default 3), Gbit/s
#   capture           on node2's underlay during ping and iperf3: only ESP / AH / ESP-in-UDP
#                     between the expected outer addresses (pods: transport, nodes: tunnel),
#                     both directions, nothing else; for ESP with a cipher, the ping payload
#                     pattern is not on the wire; during ping (TOS 0) every outer header has
#                     TOS / traffic class 0 (tunnel mode copies DSCP and ECN from the inner)
#   tshark decode     (ESP) Wireshark's tshark, given the keys, decrypts every ESP frame of
#                     the ping capture to an ICMP echo between the pods with a good ICV
#                     (SKIP for AH, ChaCha20-Poly1305: tshark 4.0 lacks them)
#   sa counters       node2's stats count inbound packets on the SA pod1 -> pod2
#   replay            the last packet pod1 -> pod2 of a fresh capture, re-sent on the
#                     underlay from node1, raises node2's
#                     ipsec_drops_total{reason="replay"} (with --replay-window 0: the
#                     duplicate is accepted and counted on the SA, not as a replay)
#   integrity         that packet with a fresh sequence number and one flipped payload bit
#                     raises ipsec_drops_total{reason="integrity"}
#   still up          ping still works after the forged packets
#   require           plaintext ICMP pod1 -> pod2 injected on the underlay is dropped by
#                     node2's nftables (counter) and never reaches pod2
#   selectors         (ESP) a packet forged with node1's keys whose source (inner header in
#                     tunnel mode, the IP header in transport mode) is another address of
#                     pod1's subnet is dropped by node2 (policy or no_sa) and never reaches
#                     pod2, while the same forgery with pod1's address is accepted (control)
#   sidecar down      node1's daemon stopped (SIGTERM): ping fails both ways (the blackhole
#                     routes behind the TUN route), nothing in plaintext on the underlay
#   discard           node1 restarted with `discard` policies for the pair: ping fails both
#                     ways, node1 counts ipsec_drops_total{reason="discard"}, nothing in
#                     plaintext on the underlay
# --bench [S]: only daemons up, ping and an iperf3 run of S seconds (default 10) after
# BENCH_OMIT (default 3) seconds of warm-up that iperf3 leaves out (-O: JIT, slow start),
# printing "BENCH ... Gbit/s"; compare with iperf-baseline.sh (which omits 2 s).
# --hold S: set up, start the daemons, then just wait S seconds (or until Ctrl-C) for manual
# debugging (ip netns exec <rig>-pod1 ping ...); everything is removed afterwards.
#
# Environment: IPSM_JAR (default sidecar/target/ipsec-mesh-sidecar.jar), JAVA_HOME
# (default /usr/lib/jvm/temurin-25-jdk-amd64), IPSM_JAVA_OPTS (extra JVM options),
# IPSM_DATAPLANE_CMD (replaces "java ... -jar $IPSM_JAR", e.g. another build), RIG_ID,
# RIG_KEEP=1 (keep the work dir). Exit status 0 only if every check passed.
set -u -o pipefail
. "$(dirname "$0")/lib.sh"

MODE=transport FAMILY=4 PROTO=esp ENC= INTEG= ENCAP=none ESN= REPLAY_WINDOW= QUEUES=
IPERF_SECS=3 BENCH= BENCH_OMIT=${BENCH_OMIT:-3} PARALLEL=1 HOLD= FRAGMENTS=1
usage() { sed -n "2,/^set -u/p" "$0" | grep "^#" | cut -c3-; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case $1 in
        --mode) MODE=$2; shift 2 ;;
        --family) FAMILY=$2; shift 2 ;;
        --proto) PROTO=$2; shift 2 ;;
        --enc) ENC=$2; shift 2 ;;
        --integ) INTEG=$2; shift 2 ;;
        --encap) ENCAP=$2; shift 2 ;;
        --esn) ESN=esn; shift ;;
        --replay-window) REPLAY_WINDOW=$2; shift 2 ;;
        --queues) QUEUES=$2; shift 2 ;;
        --iperf-seconds) IPERF_SECS=$2; shift 2 ;;
        --bench) BENCH=10; if [[ ${2:-} =~ ^[0-9]+$ ]]; then BENCH=$2; shift; fi; shift ;;
        --parallel) PARALLEL=$2; shift 2 ;;
        --keep) RIG_KEEP=1; shift ;;
        --hold) HOLD=$2; shift 2 ;;
        --no-fragments) FRAGMENTS=; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown option $1" >&2; usage ;;
    esac
done

# ---- options -> algorithms and key sizes (docs/manual-keying.md) ----
enc_key_bytes() {
    case $1 in
        aes128gcm16) echo 20 ;; aes256gcm16|chacha20poly1305) echo 36 ;;
        aes128) echo 16 ;; aes256) echo 32 ;; 3des) echo 24 ;; null) echo 0 ;;
        *) return 1 ;;
    esac
}
integ_key_bytes() {
    case $1 in sha256) echo 32 ;; sha384) echo 48 ;; sha512) echo 64 ;; *) return 1 ;; esac
}
case $MODE in transport|tunnel) ;; *) rig_die "--mode transport|tunnel" ;; esac
case $FAMILY in 4|6) ;; *) rig_die "--family 4|6" ;; esac
case $ENCAP in none|udp) ;; *) rig_die "--encap none|udp" ;; esac
case $PROTO in
    esp)
        ENC=${ENC:-aes128gcm16}
        enc_key_bytes "$ENC" >/dev/null || rig_die "unknown --enc $ENC"
        case $ENC in
            *gcm16|chacha20poly1305) [ -z "$INTEG" ] || [ "$INTEG" = none ] || rig_die "--enc $ENC is combined mode: no --integ"; INTEG=none ;;
            *) INTEG=${INTEG:-sha256}; [ "$INTEG" = none ] && [ "$ENC" = null ] && rig_die "ESP needs encryption or integrity" ;;
        esac
        ;;
    ah)
        [ -z "$ENC" ] || [ "$ENC" = none ] || rig_die "AH has no --enc"
        ENC=none; INTEG=${INTEG:-sha256}
        [ "$INTEG" != none ] || rig_die "AH needs --integ"
        [ "$ENCAP" = none ] || rig_die "AH cannot be UDP-encapsulated"
        ;;
    *) rig_die "--proto esp|ah" ;;
esac
[ "$INTEG" = none ] || integ_key_bytes "$INTEG" >/dev/null || rig_die "unknown --integ $INTEG"

if [ -n "${IPSM_DATAPLANE_CMD:-}" ]; then
    read -r -a DP_CMD <<<"$IPSM_DATAPLANE_CMD"
else
    [ -x "$JAVA_HOME/bin/java" ] || rig_die "no java at $JAVA_HOME/bin/java (set JAVA_HOME)"
    [ -f "$IPSM_JAR" ] || rig_die "no daemon jar at $IPSM_JAR (mvn -pl sidecar package, or set IPSM_JAR)"
    read -r -a JOPTS <<<"${IPSM_JAVA_OPTS:-}"
    DP_CMD=(env "JAVA_HOME=$JAVA_HOME" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED "${JOPTS[@]}" -jar "$IPSM_JAR")
fi

rig_require_tools
TAG="$MODE-ipv$FAMILY-$PROTO-$ENC-$INTEG-encap$ENCAP${ESN:+-esn}"
rig_init "two-node-$TAG"
rig_log "scenario: $TAG${BENCH:+ bench ${BENCH}s}"

if [ "$FAMILY" = 4 ]; then
    P1=$POD1_4 P2=$POD2_4 N1=$NODE1_4 N2=$NODE2_4 PLEN=32
else
    P1=$POD1_6 P2=$POD2_6 N1=$NODE1_6 N2=$NODE2_6 PLEN=128
fi
if [ "$MODE" = transport ]; then O1=$P1 O2=$P2; else O1=$N1 O2=$N2; fi

rig_create_topology
rig_plumb_node 1
rig_plumb_node 2

# ---- keys and config files ----
randhex() { od -An -tx1 -N "$1" /dev/urandom | tr -d ' \n'; }
randspi() { printf '0x%08x' $(( (0x$(randhex 4) & 0x7fffffff) | 0x100 )); }
SPI12=$(randspi) SPI21=$(randspi)
while [ "$SPI21" = "$SPI12" ]; do SPI21=$(randspi); done
# sa_line NAME DIR SPI SRC DST ENCKEY INTKEY
sa_line() {
    local name=$1 dir=$2 spi=$3 src=$4 dst=$5 ek=$6 ik=$7
    local l="sa $name dir $dir proto $PROTO spi $spi mode $MODE src $src dst $dst"
    [ "$PROTO" = esp ] && l+=" enc $ENC key 0x$ek"   # null: "key 0x" (empty)
    [ "$INTEG" != none ] && l+=" integ $INTEG ikey $ik"
    [ -n "$ESN" ] && l+=" esn"
    [ -n "$REPLAY_WINDOW" ] && [ "$dir" = in ] && l+=" replay-window $REPLAY_WINDOW"
    [ "$ENCAP" = udp ] && l+=" encap udp 4500 4500"
    [ "$ENC" = 3des ] && l+=" legacy"
    echo "$l"
}
EK12=$(randhex "$(enc_key_bytes "$ENC" 2>/dev/null || echo 0)") EK21=$(randhex "$(enc_key_bytes "$ENC" 2>/dev/null || echo 0)")
IK12= IK21=
[ "$INTEG" != none ] && { IK12=$(randhex "$(integ_key_bytes "$INTEG")"); IK21=$(randhex "$(integ_key_bytes "$INTEG")"); }
# write_conf I ACTION FILE: node I's SAs; policies protect (ACTION=protect) or discard.
write_conf() {
    local i=$1 action=$2 f=$3 lpod rpod
    if [ "$i" = 1 ]; then lpod=$P1 rpod=$P2; else lpod=$P2 rpod=$P1; fi
    # Outer endpoints: pods (transport) or nodes (tunnel); SA pod1->pod2 goes O1 -> O2.
    {
        echo "# ipsec-mesh manual keying, node$i, rig $RIG_PREFIX, $TAG (generated by two-node.sh)"
        if [ "$i" = 1 ]; then
            sa_line p1-to-p2 out "$SPI12" "$O1" "$O2" "$EK12" "$IK12"
            sa_line p2-to-p1 in "$SPI21" "$O2" "$O1" "$EK21" "$IK21"
        else
            sa_line p1-to-p2 in "$SPI12" "$O1" "$O2" "$EK12" "$IK12"
            sa_line p2-to-p1 out "$SPI21" "$O2" "$O1" "$EK21" "$IK21"
        fi
        local out_sa in_sa
        if [ "$i" = 1 ]; then out_sa=p1-to-p2 in_sa=p2-to-p1; else out_sa=p2-to-p1 in_sa=p1-to-p2; fi
        if [ "$action" = protect ]; then
            echo "policy out src $lpod/$PLEN dst $rpod/$PLEN action protect sa $out_sa"
            echo "policy in src $rpod/$PLEN dst $lpod/$PLEN action protect sa $in_sa"
        else
            echo "policy out src $lpod/$PLEN dst $rpod/$PLEN action discard"
            echo "policy in src $rpod/$PLEN dst $lpod/$PLEN action discard"
        fi
    } >"$f"
    chmod 600 "$f"
}
CONF1=$RIG_DIR/node1.conf CONF2=$RIG_DIR/node2.conf
STATS1=$RIG_DIR/node1.stats STATS2=$RIG_DIR/node2.stats
write_conf 1 protect "$CONF1"
write_conf 2 protect "$CONF2"

# ---- daemons ----
DPID1= DPID2=
# start_daemon I CONF: sets DPIDi; returns non-zero if the TUN did not come up.
start_daemon() {
    local i=$1 conf=$2 ns=$RIG_PREFIX-node$1 log=$RIG_DIR/node$1.log
    local args=(dataplane --config "$conf" --stats "$RIG_DIR/node$i.stats" --tun "$RIG_TUN"
                --mtu "$RIG_UNDERLAY_MTU" --stats-interval-ms 200)
    [ -n "$QUEUES" ] && args+=(--queues "$QUEUES")
    echo "=== $(date +%T) start: ${DP_CMD[*]} ${args[*]}" >>"$log"
    rig_spawn "$ns" "$log" "${DP_CMD[@]}" "${args[@]}"
    eval "DPID$i=$RIG_SPAWNED_PID"
    if ! rig_wait_tun "$ns" "$RIG_SPAWNED_PID" 60; then
        sleep 0.3
        rig_log "node$i daemon log (last lines):"; tail -n 30 "$log" >&2
        return 1
    fi
    rig_tun_routes "$i"
}
# stop_daemon I: SIGTERM; fails unless it exits by itself within 10 s with status 0 or 143.
stop_daemon() {
    local i=$1 pid rc
    eval "pid=\$DPID$i"
    [ -n "$pid" ] || return 0
    rig_stop "$pid" 10; rc=$?
    echo "=== $(date +%T) daemon pid $pid exited rc=$rc" >>"$RIG_DIR/node$i.log"
    eval "DPID$i="
    STOP_RC=$rc
    [ "$rc" = 0 ] || [ "$rc" = 143 ]
}

dump_logs() {
    local i
    for i in 1 2; do
        rig_log "---- node$i daemon log (last 15 lines) ----"
        tail -n 15 "$RIG_DIR/node$i.log" >&2 2>/dev/null
    done
}

if start_daemon 1 "$CONF1" && start_daemon 2 "$CONF2"; then
    rig_pass "daemons up: $RIG_TUN up on node1 (pid $DPID1) and node2 (pid $DPID2)"
else
    rig_fail "daemons up"
    exit 1
fi

if [ -n "$HOLD" ]; then
    echo "HOLD  rig up for ${HOLD}s: namespaces $NS_POD1 $NS_NODE1 $NS_NODE2 $NS_POD2; work dir $RIG_DIR"
    echo "      e.g. ip netns exec $NS_POD1 ping $P2; configs and stats in $RIG_DIR; Ctrl-C ends"
    RIG_KEEP=1
    rig_fg "$NS_NODE1" /dev/null sleep "$HOLD"
    exit 0
fi

# ---- helpers ----
# capture_start NAME SNAPLEN: tcpdump on node2's underlay; sets CAP_PID, CAP_FILE.
capture_start() {
    CAP_FILE=$RIG_DIR/$1.pcap
    rig_spawn "$NS_NODE2" "$RIG_DIR/$1.tcpdump.log" tcpdump -i under -n -U --immediate-mode -Z root -s "$2" -w "$CAP_FILE"
    CAP_PID=$RIG_SPAWNED_PID
    local i
    for ((i = 0; i < 50; i++)); do
        grep -q 'listening on' "$RIG_DIR/$1.tcpdump.log" 2>/dev/null && return 0
        sleep 0.1
    done
    rig_log "tcpdump did not start: $(cat "$RIG_DIR/$1.tcpdump.log")"
    return 1
}
capture_stop() { sleep 0.5; rig_stop "$CAP_PID" 5 >/dev/null 2>&1; }

# wait_stat FILE KEY MIN TIMEOUT_S: wait until the metric is >= MIN; prints the last value.
wait_stat() {
    local f=$1 k=$2 min=$3 t=$4 v i
    for ((i = 0; i <= t * 10; i++)); do
        v=$(rig_stat "$f" "$k"); v=${v:-0}; v=${v%.*}
        [ "$v" -ge "$min" ] 2>/dev/null && { echo "$v"; return 0; }
        sleep 0.1
    done
    echo "$v"
    return 1
}
statv() { local v; v=$(rig_stat "$1" "$2"); v=${v:-0}; echo "${v%.*}"; }

PATTERN=5a3c0ff1ce1bad1dea5eed0bad0c0de5
ping_check() {  # ping_check LABEL NS DST COUNT
    local got rtt
    got=$(rig_ping "$2" "$3" "$4" -s 256 -p "$PATTERN")
    rtt=$(cat "$RIG_DIR/.last-ping-rtt" 2>/dev/null)
    if [ "$got" = "$4" ]; then rig_pass "$1 ($got/$4 replies${rtt:+, $rtt})"; else rig_fail "$1 ($got/$4 replies)"; fi
}

# ---- bench ----
if [ -n "$BENCH" ]; then
    ping_check "ping pod1 -> pod2 $P2" "$NS_POD1" "$P2" 3
    if rig_iperf "$BENCH" "$FAMILY" "$RIG_DIR/bench.json" -P "$PARALLEL" -O "$BENCH_OMIT"; then
        rig_pass "iperf3 TCP ${BENCH}s -P $PARALLEL: $RIG_IPERF_TEXT"
        echo "BENCH ipsec $TAG: $RIG_IPERF_GBPS Gbit/s"
    else
        rig_fail "iperf3 TCP ${BENCH}s: $RIG_IPERF_TEXT"
    fi
    # where packets were lost: the kernel's TX into the TUN (towards the daemon) drops when
    # the daemon does not read fast enough; the daemon's own drop counters
    for i in 1 2; do
        tun=$(nsx "$RIG_PREFIX-node$i" ip -s link show "$RIG_TUN" 2>/dev/null | awk '
            /RX:/ {getline; rx = $2} /TX:/ {getline; tx = $2; txd = $4}
            END {printf "to daemon %s pkts (%s dropped), from daemon %s pkts", tx, txd, rx}')
        drops=$(awk '/^ipsec_drops_total/ && $2 != 0 {printf "%s=%s ", $1, $2}' "$RIG_DIR/node$i.stats" 2>/dev/null)
        echo "INFO  node$i $RIG_TUN: ${tun:-?}; daemon drops: ${drops:-none}"
    done
    [ "$RIG_FAILS" -eq 0 ] || dump_logs
    echo "RESULT $TAG: $RIG_PASSES passed, $RIG_FAILS failed"
    [ "$RIG_FAILS" -eq 0 ]
    exit
fi

# ---- ping and capture ----
CLASSIFY_ARGS=(--proto "$PROTO" --encap "$ENCAP" --outer "$O1,$O2")
PATTERN_ARGS=()
[ "$PROTO" = esp ] && [ "$ENC" != null ] && PATTERN_ARGS=(--pattern "$PATTERN")

capture_start ping 0 || rig_die "capture"
PING_CAP=$CAP_FILE
ping_check "ping pod1 -> pod2 $P2" "$NS_POD1" "$P2" 5
ping_check "ping pod2 -> pod1 $P1" "$NS_POD2" "$P1" 5
capture_stop

if [ -n "$FRAGMENTS" ]; then
    got=$(rig_ping "$NS_POD1" "$P2" 3 -s 2000)
    f1=$(statv "$STATS1" 'ipsec_drops_total{reason="fragment"}')
    if [ "$got" = 3 ]; then
        rig_pass "fragments: ping -s 2000 pod1 -> pod2, IP-fragmented by the pod ($got/3 replies)"
    else
        rig_fail "fragments: ping -s 2000 pod1 -> pod2, IP-fragmented by the pod: $got/3 replies; node1 ipsec_drops_total{reason=\"fragment\"} = $f1"
    fi
fi

capture_start iperf 200 || rig_die "capture"
IPERF_CAP=$CAP_FILE
if rig_iperf "$IPERF_SECS" "$FAMILY" "$RIG_DIR/iperf.json" -P "$PARALLEL"; then
    rig_pass "iperf3 TCP pod1 -> pod2 ${IPERF_SECS}s: $RIG_IPERF_TEXT"
else
    rig_fail "iperf3 TCP pod1 -> pod2: $RIG_IPERF_TEXT"
fi
capture_stop

if out=$(python3 "$RIG_LIB_DIR/pkt.py" classify "$PING_CAP" "${CLASSIFY_ARGS[@]}" "${PATTERN_ARGS[@]}" --tos 0 2>&1); then
    rig_pass "capture during ping: only $PROTO${ENCAP/none/} $O1 <-> $O2, outer TOS 0 like ping's: $out"
else
    rig_fail "capture during ping: $out"
fi
if out=$(python3 "$RIG_LIB_DIR/pkt.py" classify "$IPERF_CAP" "${CLASSIFY_ARGS[@]}" 2>&1); then
    rig_pass "capture during iperf3: only $PROTO${ENCAP/none/} $O1 <-> $O2: $out"
else
    rig_fail "capture during iperf3: $out"
fi

if [ "$PROTO" = esp ] && command -v tshark >/dev/null; then
    out=$(python3 "$RIG_LIB_DIR/pkt.py" decode "$PING_CAP" --conf "$CONF2" --inner "$P1,$P2" 2>&1); drc=$?
    case $drc in
        0) rig_pass "tshark decode: $out" ;;
        3) echo "SKIP  tshark decode: $out" ;;
        *) rig_fail "tshark decode: $out" ;;
    esac
else
    echo "SKIP  tshark decode: ${PROTO^^} (Wireshark does not verify AH ICVs) or no tshark"
fi

K_IN12="ipsec_sa_packets_total{sa=\"p1-to-p2\",direction=\"in\"}"
K_OUT12="ipsec_sa_packets_total{sa=\"p1-to-p2\",direction=\"out\"}"
K_REPLAY='ipsec_drops_total{reason="replay"}'
K_INTEG='ipsec_drops_total{reason="integrity"}'
K_DISCARD='ipsec_drops_total{reason="discard"}'
if v=$(wait_stat "$STATS2" "$K_IN12" 10 3); then
    rig_pass "sa counters: node2 $K_IN12 = $v, node1 $K_OUT12 = $(statv "$STATS1" "$K_OUT12")"
else
    rig_fail "sa counters: node2 $K_IN12 = $v (want >= 10; stats file $STATS2)"
fi

# ---- replay and tampering (frames captured on node2, re-sent from node1's underlay) ----
# A fresh capture, so that the replayed frame (the last one pod1 -> pod2) lies inside the
# receiver's window: with ESN a frame left of the window is taken for the next 2^32 epoch
# (RFC 4303 A2.2) and fails the ICV instead of the replay check.
SEL=(--proto "$PROTO" --encap "$ENCAP" --src "$O1" --dst "$O2")
capture_start attack 0 || rig_die "capture"
got=$(rig_ping "$NS_POD1" "$P2" 3 -s 256)
capture_stop
[ "$got" = 3 ] || rig_log "warning: ping before the replay test: $got/3 replies"
ATTACK_CAP=$CAP_FILE
sleep 0.5
r0=$(statv "$STATS2" "$K_REPLAY"); i0=$(statv "$STATS2" "$K_INTEG"); a0=$(statv "$STATS2" "$K_IN12")
if out=$(nsx "$NS_NODE1" python3 "$RIG_LIB_DIR/pkt.py" replay "$ATTACK_CAP" under "${SEL[@]}" --last 2>&1); then
    if [ "$REPLAY_WINDOW" = 0 ]; then
        # replay protection off (replay-window 0): the duplicate must be accepted, not counted
        a=$(wait_stat "$STATS2" "$K_IN12" $((a0 + 1)) 3); sleep 0.3; r=$(statv "$STATS2" "$K_REPLAY")
        if [ "$r" = "$r0" ] && [ "$a" -gt "$a0" ]; then
            rig_pass "replay with replay-window 0: $out; accepted (node2 $K_IN12 $a0 -> $a), $K_REPLAY stays $r"
        else
            rig_fail "replay with replay-window 0: $out; node2 $K_IN12 $a0 -> $a (want +1), $K_REPLAY $r0 -> $r (want unchanged)"
        fi
    elif r=$(wait_stat "$STATS2" "$K_REPLAY" $((r0 + 1)) 3); then
        rig_pass "replay: $out; node2 $K_REPLAY $r0 -> $r"
    else
        rig_fail "replay: $out; node2 $K_REPLAY $r0 -> $r"
    fi
else
    rig_fail "replay: injector failed: $out"
fi
if out=$(nsx "$NS_NODE1" python3 "$RIG_LIB_DIR/pkt.py" tamper "$ATTACK_CAP" under "${SEL[@]}" --last 2>&1); then
    if v=$(wait_stat "$STATS2" "$K_INTEG" $((i0 + 1)) 3); then
        rig_pass "integrity: $out; node2 $K_INTEG $i0 -> $v"
    else
        rig_fail "integrity: $out; node2 $K_INTEG $i0 -> $v"
    fi
else
    rig_fail "integrity: injector failed: $out"
fi
ping_check "still up after forged packets: ping pod1 -> pod2" "$NS_POD1" "$P2" 3

# ---- Require: plaintext of the pair on the underlay is dropped by node2 ----
snmp_echos() {  # InEchos of the pod (ICMP or ICMPv6)
    if [ "$FAMILY" = 4 ]; then
        nsx "$1" awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) n[i] = $i; h = 1 } else for (i = 1; i <= NF; i++) if (n[i] == "InEchos") print $i }' /proc/net/snmp
    else
        nsx "$1" awk '$1 == "Icmp6InEchos" {print $2}' /proc/net/snmp6
    fi
}
MAC1=$(nsx "$NS_NODE1" cat /sys/class/net/under/address)
MAC2=$(nsx "$NS_NODE2" cat /sys/class/net/under/address)
d0=$(rig_nft_counter "$NS_NODE2" plaintext_drop); e0=$(snmp_echos "$NS_POD2")
if out=$(nsx "$NS_NODE1" python3 "$RIG_LIB_DIR/pkt.py" plain under --family "$FAMILY" --src "$P1" --dst "$P2" \
        --src-mac "$MAC1" --dst-mac "$MAC2" --count 3 2>&1); then
    sleep 0.5
    d1=$(rig_nft_counter "$NS_NODE2" plaintext_drop); e1=$(snmp_echos "$NS_POD2")
    if [ "$((d1 - d0))" -ge 3 ] && [ "$e1" = "$e0" ]; then
        rig_pass "require: $out; node2 nft plaintext_drop $d0 -> $d1, pod2 InEchos unchanged ($e1)"
    else
        rig_fail "require: $out; node2 nft plaintext_drop $d0 -> $d1 (want +3), pod2 InEchos $e0 -> $e1 (want unchanged)"
    fi
else
    rig_fail "require: injector failed: $out"
fi

# ---- selectors: an authentic packet whose inner addresses are not the SA's is dropped ----
# Forged with node1's keys (pkt.py forge, Python "cryptography"); sequence numbers far ahead
# (2^25), so this comes last among the checks that need node1 -> node2 traffic: the accepted
# control packet moves node2's replay window past everything node1 will still send.
K_POLICY='ipsec_drops_total{reason="policy"}' K_NOSA='ipsec_drops_total{reason="no_sa"}'
if [ "$PROTO" = esp ]; then
    SPOOF=198.18.1.99; [ "$FAMILY" = 6 ] && SPOOF=2001:db8:1::99
    FORGE=(python3 "$RIG_LIB_DIR/pkt.py" forge under --conf "$CONF1" --sa p1-to-p2 --inner-dst "$P2"
           --src-mac "$MAC1" --dst-mac "$MAC2" --after-pcap "$ATTACK_CAP")
    p0=$(statv "$STATS2" "$K_POLICY"); n0=$(statv "$STATS2" "$K_NOSA"); e0=$(snmp_echos "$NS_POD2")
    out=$(nsx "$NS_NODE1" "${FORGE[@]}" --inner-src "$SPOOF" --seq-ahead $((1 << 25)) 2>&1); frc=$?
    if [ $frc = 3 ]; then
        echo "SKIP  selectors: $out"
    elif [ $frc != 0 ]; then
        rig_fail "selectors: forging failed: $out"
    else
        sleep 0.7
        p1=$(statv "$STATS2" "$K_POLICY"); n1=$(statv "$STATS2" "$K_NOSA"); e1=$(snmp_echos "$NS_POD2")
        a0=$(statv "$STATS2" "$K_IN12")
        out2=$(nsx "$NS_NODE1" "${FORGE[@]}" --inner-src "$P1" --seq-ahead $(((1 << 25) + 1)) 2>&1)
        a1=$(wait_stat "$STATS2" "$K_IN12" $((a0 + 1)) 3); sleep 0.3; e2=$(snmp_echos "$NS_POD2")
        if [ "$e1" = "$e0" ] && [ $((p1 + n1)) -gt $((p0 + n0)) ] && [ "$a1" -gt "$a0" ] && [ "$e2" -gt "$e1" ]; then
            rig_pass "selectors: $out: dropped (node2 policy $p0 -> $p1, no_sa $n0 -> $n1), pod2 InEchos unchanged; control $out2: accepted, pod2 InEchos $e1 -> $e2"
        elif [ "$a1" -le "$a0" ] || [ "$e2" -le "$e1" ]; then
            rig_fail "selectors: the control packet (right addresses) was not accepted, so the forger is broken or the daemon rejects valid ESP: $out2; node2 $K_IN12 $a0 -> $a1, pod2 InEchos $e1 -> $e2"
        else
            rig_fail "selectors: $out: node2 policy $p0 -> $p1, no_sa $n0 -> $n1 (want +1), pod2 InEchos $e0 -> $e1 (want unchanged)"
        fi
    fi
else
    echo "SKIP  selectors: the forger builds ESP only"
fi

# ---- sidecar down: node1's daemon stopped, the pair must fail closed ----
stop_daemon 1 || rig_fail "node1 daemon stop on SIGTERM: exit status $STOP_RC"
capture_start down 0 || rig_die "capture"
got12=$(rig_ping "$NS_POD1" "$P2" 3 -W 1)
got21=$(rig_ping "$NS_POD2" "$P1" 3 -W 1)
capture_stop
out=$(python3 "$RIG_LIB_DIR/pkt.py" classify "$CAP_FILE" "${CLASSIFY_ARGS[@]}" "${PATTERN_ARGS[@]}" --allow-partial 2>&1); crc=$?
if [ "$got12" = 0 ] && [ "$got21" = 0 ] && [ $crc = 0 ]; then
    rig_pass "sidecar down: node1 daemon stopped, ping pod1->pod2 0/3 and pod2->pod1 0/3, underlay: $out"
else
    rig_fail "sidecar down: ping pod1->pod2 $got12/3, pod2->pod1 $got21/3 (want 0), underlay clean: $([ $crc = 0 ] && echo yes || echo NO) ($out)"
fi

# ---- discard: node1 restarted with discard policies ----
write_conf 1 discard "$RIG_DIR/node1-discard.conf"
if start_daemon 1 "$RIG_DIR/node1-discard.conf"; then
    capture_start discard 0 || rig_die "capture"
    got12=$(rig_ping "$NS_POD1" "$P2" 3 -W 1)
    got21=$(rig_ping "$NS_POD2" "$P1" 3 -W 1)
    capture_stop
    v=$(wait_stat "$STATS1" "$K_DISCARD" 3 3)
    # allowed on the wire: only node2's protected echo requests (pod2 -> pod1)
    out=$(python3 "$RIG_LIB_DIR/pkt.py" classify "$CAP_FILE" "${CLASSIFY_ARGS[@]}" "${PATTERN_ARGS[@]}" --allow-partial 2>&1); crc=$?
    if [ "$got12" = 0 ] && [ "$got21" = 0 ] && [ "${v:-0}" -ge 3 ] && [ $crc = 0 ]; then
        rig_pass "discard: ping pod1->pod2 0/3 and pod2->pod1 0/3, node1 $K_DISCARD = $v, underlay: $out"
    else
        rig_fail "discard: ping pod1->pod2 $got12/3, pod2->pod1 $got21/3 (want 0), node1 $K_DISCARD = $v (want >= 3), underlay clean: $([ $crc = 0 ] && echo yes || echo NO) ($out)"
    fi
else
    rig_fail "discard: node1 daemon did not come back with the discard config"
fi

if stop_daemon 1 && stop_daemon 2; then
    rig_pass "daemons stop on SIGTERM (exit status 0 or 143 within 10 s)"
else
    rig_fail "daemons stop on SIGTERM: exit status $STOP_RC"
fi
[ "$RIG_FAILS" -eq 0 ] || dump_logs
echo "RESULT $TAG: $RIG_PASSES passed, $RIG_FAILS failed"
[ "$RIG_FAILS" -eq 0 ]
