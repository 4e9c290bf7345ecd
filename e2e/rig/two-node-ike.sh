#!/usr/bin/env bash
# e2e/rig/two-node-ike.sh: two of our IKE daemons (`ipsec-mesh ike`) negotiate the SAs
# between the rig's two nodes, and the pods talk through them.
#
#   e2e/rig/two-node-ike.sh [--mode transport|tunnel] [--family 4|6] [--auth psk|cert]
#       [--ike PROPOSAL] [--esp PROPOSAL] [--rekey child|ike] [--liveness] [--trap] [--keep]
#
# Topology and node plumbing: lib.sh (the same as two-node.sh). IKE runs between the node
# addresses (UDP 500); the CHILD_SA's traffic selectors are pod1 and pod2, in transport mode
# (the ESP packets are pod to pod) or tunnel mode (node to node). node1 initiates. Checks:
#   daemons up        the TUN exists and is up on both nodes
#   established       IKE_SA and CHILD_SA log lines on both nodes
#   ping / iperf3     pod1 <-> pod2, TCP pod1 -> pod2
#   capture           on node2's underlay from before the daemons start: only IKE between the
#                     nodes and ESP between the expected outer addresses, no ping pattern
#   tshark IKE        tshark dissects every IKE message (no malformed packet, no bad
#                     checksum) and decrypts every SK payload with the keys the daemon wrote
#                     (--keys-log); ChaCha20-Poly1305: dissection only (tshark 4.0 lacks it)
#   tshark ESP        tshark decrypts every ESP frame of the ping to an ICMP echo with a good ICV
# --rekey child|ike: node1 rekeys the CHILD_SA every 2 s and node2 the IKE SA every 3 s
#   (child), or the other way round (ike), while pod1 pings pod2 every 20 ms for 10 s:
#   rekeys      each side's log shows the rekeys it started, and they completed
#   no loss     every ping answered
# --liveness: node2's daemon is killed (SIGKILL: no DELETE); node1 must notice within 7 s
#   (dpd 1 s after the last message, then retransmissions after 0.5, 0.75, 1.125 s and a
#   last wait of 1.7 s: 5.1 s) and remove the SAs; node2
#   restarted, the SAs come back (node1 re-initiates) and ping works again.
# --trap: node1 has "start trap" instead of "start yes": nothing may be negotiated before
#   traffic; then pings from pod1 (with the pattern) start the negotiation. The triggering
#   pings are dropped, never sent in the clear: the capture check finds no pattern.
#
# Environment: IPSM_JAR, JAVA_HOME, RIG_ID, RIG_KEEP=1 (as two-node.sh). Exit status 0 only
# if every check passed.
set -u -o pipefail
. "$(dirname "$0")/lib.sh"

MODE=transport FAMILY=4 AUTH=psk IKE=aes128gcm16-prfsha256-ecp256 ESP=aes128gcm16 REKEY= LIVENESS= TRAP=
usage() { sed -n "2,/^set -u/p" "$0" | grep "^#" | cut -c3-; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case $1 in
        --mode) MODE=$2; shift 2 ;;
        --family) FAMILY=$2; shift 2 ;;
        --auth) AUTH=$2; shift 2 ;;
        --ike) IKE=$2; shift 2 ;;
        --esp) ESP=$2; shift 2 ;;
        --rekey) REKEY=$2; shift 2 ;;
        --liveness) LIVENESS=1; shift ;;
        --trap) TRAP=1; shift ;;
        --keep) RIG_KEEP=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown option $1" >&2; usage ;;
    esac
done
case $MODE in transport|tunnel) ;; *) rig_die "--mode transport|tunnel" ;; esac
case $FAMILY in 4|6) ;; *) rig_die "--family 4|6" ;; esac
case $AUTH in psk|cert) ;; *) rig_die "--auth psk|cert" ;; esac
case $REKEY in ""|child|ike) ;; *) rig_die "--rekey child|ike" ;; esac

[ -x "$JAVA_HOME/bin/java" ] || rig_die "no java at $JAVA_HOME/bin/java (set JAVA_HOME)"
[ -f "$IPSM_JAR" ] || rig_die "no daemon jar at $IPSM_JAR (mvn -pl sidecar package, or set IPSM_JAR)"
DP_CMD=(env "JAVA_HOME=$JAVA_HOME" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar "$IPSM_JAR")

rig_require_tools
[ "$AUTH" = psk ] || command -v pki >/dev/null || rig_die "--auth cert needs strongSwan's pki"
TAG="ike-$MODE-ipv$FAMILY-$AUTH-$IKE-$ESP${REKEY:+-rekey-$REKEY}${LIVENESS:+-liveness}${TRAP:+-trap}"
rig_init "two-node-$TAG"
rig_log "scenario: $TAG"

if [ "$FAMILY" = 4 ]; then
    P1=$POD1_4 P2=$POD2_4 N1=$NODE1_4 N2=$NODE2_4 PLEN=32
else
    P1=$POD1_6 P2=$POD2_6 N1=$NODE1_6 N2=$NODE2_6 PLEN=128
fi
if [ "$MODE" = transport ]; then O1=$P1 O2=$P2; else O1=$N1 O2=$N2; fi

rig_create_topology
rig_plumb_node 1
rig_plumb_node 2

# ---- credentials and configs ----
if [ "$AUTH" = cert ]; then
    pki_q() { pki "$@" 2>/dev/null; }  # pki warns about a missing TPM on every call
    d=$RIG_DIR/pki
    mkdir -p "$d"
    pki_q --gen --type ecdsa --size 256 --outform pem >"$d/ca.key" || rig_die "pki --gen"
    pki_q --self --ca --lifetime 30 --in "$d/ca.key" --type ecdsa --dn "CN=ipsec-mesh rig CA" --outform pem >"$d/ca.crt"
    for i in 1 2; do
        pki_q --gen --type ecdsa --size 256 --outform pem >"$d/node$i.key"
        pki_q --pub --in "$d/node$i.key" --type ecdsa | pki_q --issue --lifetime 2 --cacert "$d/ca.crt" \
            --cakey "$d/ca.key" --dn "CN=node$i.ipsm.test" --san "node$i.ipsm.test" --outform pem >"$d/node$i.crt" \
            || rig_die "pki --issue node$i"
    done
    chmod 600 "$d"/*.key
fi
PSK=0x$(od -An -tx1 -N 32 /dev/urandom | tr -d ' \n')
# rekey times: the side named by --rekey rekeys the CHILD_SA (2 s), the other the IKE SA (3 s)
CHILD_REKEY1=0 CHILD_REKEY2=0 IKE_REKEY1=0 IKE_REKEY2=0
case $REKEY in
    child) CHILD_REKEY1=2s IKE_REKEY2=3s ;;
    ike) CHILD_REKEY2=2s IKE_REKEY1=3s ;;
esac
# write_ike_conf I FILE
write_ike_conf() {
    local i=$1 f=$2 j lpod rpod lnode rnode child_rekey ike_rekey
    if [ "$i" = 1 ]; then j=2 lpod=$P1 rpod=$P2 lnode=$N1 rnode=$N2; else j=1 lpod=$P2 rpod=$P1 lnode=$N2 rnode=$N1; fi
    eval "child_rekey=\$CHILD_REKEY$i ike_rekey=\$IKE_REKEY$i"
    {
        echo "# ipsec-mesh IKE daemon, node$i, rig $RIG_PREFIX, $TAG (generated by two-node-ike.sh)"
        echo "conn node$j"
        echo "  local $lnode"
        echo "  remote $rnode"
        echo "  local-id node$i.ipsm.test"
        echo "  remote-id node$j.ipsm.test"
        echo "  auth $AUTH"
        if [ "$AUTH" = psk ]; then
            echo "  psk $PSK"
        else
            echo "  cert $RIG_DIR/pki/node$i.crt"
            echo "  key $RIG_DIR/pki/node$i.key"
            echo "  ca $RIG_DIR/pki/ca.crt"
        fi
        echo "  ike $IKE"
        if [ "$i" = 2 ]; then echo "  start no"; elif [ -n "$TRAP" ]; then echo "  start trap"; else echo "  start yes"; fi
        echo "  dpd 1s"
        echo "  retransmit-timeout 500ms"
        echo "  retransmit-base 1.5"
        echo "  retransmit-tries 3"
        echo "  rekey-time $ike_rekey"
        echo "  child pods"
        echo "    mode $MODE"
        echo "    local-ts $lpod/$PLEN"
        echo "    remote-ts $rpod/$PLEN"
        echo "    esp $ESP"
        echo "    rekey-time $child_rekey"
        [ "$child_rekey" = 0 ] || echo "    life-time 60s"
    } >"$f"
    chmod 600 "$f"
}
CONF1=$RIG_DIR/node1.conf CONF2=$RIG_DIR/node2.conf
STATS1=$RIG_DIR/node1.stats STATS2=$RIG_DIR/node2.stats
write_ike_conf 1 "$CONF1"
write_ike_conf 2 "$CONF2"

# ---- capture from the start (IKE included) ----
CAP_FILE=$RIG_DIR/underlay.pcap
rig_spawn "$NS_NODE2" "$RIG_DIR/tcpdump.log" tcpdump -i under -n -U --immediate-mode -Z root -s 0 -w "$CAP_FILE"
CAP_PID=$RIG_SPAWNED_PID
for ((i = 0; i < 50; i++)); do grep -q 'listening on' "$RIG_DIR/tcpdump.log" 2>/dev/null && break; sleep 0.1; done

# ---- daemons ----
DPID1= DPID2=
start_daemon() {  # start_daemon I: sets DPIDi
    local i=$1 ns=$RIG_PREFIX-node$1 log=$RIG_DIR/node$1.log
    local args=(ike --config "$RIG_DIR/node$i.conf" --stats "$RIG_DIR/node$i.stats" --tun "$RIG_TUN"
                --mtu "$RIG_UNDERLAY_MTU" --stats-interval-ms 200 --keys-log "$RIG_DIR/keys$i")
    echo "=== $(date +%T) start: ${DP_CMD[*]} ${args[*]}" >>"$log"
    rig_spawn "$ns" "$log" "${DP_CMD[@]}" "${args[@]}"
    eval "DPID$i=$RIG_SPAWNED_PID"
    rig_wait_tun "$ns" "$RIG_SPAWNED_PID" 60 || { tail -n 20 "$log" >&2; return 1; }
    rig_tun_routes "$i"
}
dump_logs() {
    local i
    for i in 1 2; do
        rig_log "---- node$i daemon log (last 20 lines) ----"
        tail -n 20 "$RIG_DIR/node$i.log" >&2 2>/dev/null
    done
}
# Responder first, so that node1's first IKE_SA_INIT finds it listening.
if start_daemon 2 && start_daemon 1; then
    rig_pass "daemons up: $RIG_TUN up on node1 (pid $DPID1) and node2 (pid $DPID2)"
else
    rig_fail "daemons up"; dump_logs; exit 1
fi

# established I MIN_CHILD_LINES: the log has an IKE_SA and MIN CHILD_SA "established" lines
established() {
    local log=$RIG_DIR/node$1.log
    grep -q 'IKE_SA .* established' "$log" && [ "$(grep -c 'CHILD_SA .* established' "$log")" -ge "$2" ]
}
wait_established() {  # wait_established MIN TIMEOUT_S
    local t0=$SECONDS
    while [ $((SECONDS - t0)) -lt "$2" ]; do
        established 1 "$1" && established 2 "$1" && return 0
        sleep 0.2
    done
    return 1
}
PATTERN=5a3c0ff1ce1bad1dea5eed0bad0c0de5
if [ -n "$TRAP" ]; then
    sleep 1.5
    if established 1 1 || established 2 1; then
        rig_fail "trap: SAs were negotiated before any traffic"
    else
        rig_pass "trap: nothing negotiated before traffic"
    fi
    got=$(rig_ping "$NS_POD1" "$P2" 5 -s 256 -p "$PATTERN")
    rig_log "trap: $got of the 5 pings that started the negotiation were answered"
fi
if wait_established 1 20; then
    rig_pass "established: $(grep -m1 'CHILD_SA .* established' "$RIG_DIR/node1.log" | cut -d' ' -f2-)"
else
    rig_fail "established: no IKE_SA + CHILD_SA on both nodes within 20 s"; dump_logs; exit 1
fi

ping_check() {  # ping_check LABEL NS DST COUNT
    local got
    got=$(rig_ping "$2" "$3" "$4" -s 256 -p "$PATTERN")
    if [ "$got" = "$4" ]; then rig_pass "$1 ($got/$4 replies)"; else rig_fail "$1 ($got/$4 replies)"; fi
}
ping_check "ping pod1 -> pod2 $P2" "$NS_POD1" "$P2" 5
ping_check "ping pod2 -> pod1 $P1" "$NS_POD2" "$P1" 5
sleep 0.5; rig_stop "$CAP_PID" 5 >/dev/null 2>&1
PING_CAP=$CAP_FILE

if rig_iperf 3 "$FAMILY" "$RIG_DIR/iperf.json"; then
    rig_pass "iperf3 TCP pod1 -> pod2 3s: $RIG_IPERF_TEXT"
else
    rig_fail "iperf3 TCP pod1 -> pod2: $RIG_IPERF_TEXT"
fi

if out=$(python3 "$RIG_LIB_DIR/pkt.py" classify "$PING_CAP" --proto esp --encap none --outer "$O1,$O2" \
        --ike "$N1,$N2" --pattern "$PATTERN" 2>&1); then
    rig_pass "capture: only IKE $N1 <-> $N2 and ESP $O1 <-> $O2: $out"
else
    rig_fail "capture: $out"
fi
NO_DECRYPT=()
case $IKE in chacha20poly1305*) NO_DECRYPT=(--no-decrypt) ;; esac
if out=$(python3 "$RIG_LIB_DIR/pkt.py" ike "$PING_CAP" --keys "$RIG_DIR/keys1" "${NO_DECRYPT[@]}" 2>&1); then
    rig_pass "tshark IKE${NO_DECRYPT:+ (dissection only: tshark 4.0 has no ChaCha20-Poly1305 for IKE)}: $out"
else
    rig_fail "tshark IKE: $out"
fi
if [ "$ESP" = chacha20poly1305 ]; then
    echo "SKIP  tshark ESP: tshark 4.0 cannot decrypt ChaCha20-Poly1305"
elif out=$(python3 "$RIG_LIB_DIR/pkt.py" decode "$PING_CAP" --esp-sa "$RIG_DIR/keys2/esp_sa" --inner "$P1,$P2" 2>&1); then
    rig_pass "tshark ESP: $out"
else
    rig_fail "tshark ESP: $out"
fi

# ---- rekeying under traffic ----
if [ -n "$REKEY" ]; then
    c1=$(grep -c 'CHILD_SA .* established' "$RIG_DIR/node1.log")
    out=$(nsx "$NS_POD1" timeout 30 ping -n -q -c 500 -i 0.02 -W 2 "$P2" 2>&1)
    sent=$(awk '/packets transmitted/ {print $1}' <<<"$out"); got=$(awk '/packets transmitted/ {print $4}' <<<"$out")
    if [ -n "$sent" ] && [ "$sent" = "$got" ] && [ "$sent" -gt 0 ]; then
        rig_pass "no loss during rekeys: $got/$sent pings answered (every 20 ms)"
    else
        rig_fail "no loss during rekeys: ${got:-?}/${sent:-?} answered"
    fi
    if [ "$REKEY" = child ]; then cside=1 iside=2; else cside=2 iside=1; fi
    ck=$(grep -c 'CHILD_SA .* rekeyed' "$RIG_DIR/node$cside.log")
    ca=$(grep -c 'rekey answered' "$RIG_DIR/node$iside.log")
    ik=$(grep -c "IKE_SA .* rekeyed to" "$RIG_DIR/node$iside.log")
    k=$(awk -F'"} ' '/ike_rekeys_initiated/ {print $2}' "$RIG_DIR/node$iside.stats")
    a=$(awk -F'"} ' '/ike_rekeys_answered/ {print $2}' "$RIG_DIR/node$cside.stats")
    if [ "$ck" -ge 3 ] && [ "$ca" -ge 3 ] && [ "${k:-0}" -ge 2 ] && [ "${a:-0}" -ge 2 ]; then
        rig_pass "rekeys: node$cside started $ck CHILD_SA rekeys (node$iside answered $ca), node$iside started ${k} IKE SA rekeys (node$cside answered ${a})"
    else
        rig_fail "rekeys: node$cside CHILD_SA rekeys $ck (answered $ca), node$iside IKE SA rekeys ${k:-0} (answered ${a:-0})"
    fi
    ping_check "ping after rekeys pod2 -> pod1" "$NS_POD2" "$P1" 3
fi

# ---- liveness: peer killed, detected, restarted, back ----
if [ -n "$LIVENESS" ]; then
    kill -KILL "$DPID2" 2>/dev/null; wait "$DPID2" 2>/dev/null; DPID2=
    t0=$(date +%s.%N)
    lost=
    for ((i = 0; i < 100; i++)); do
        grep -q 'peer unreachable' "$RIG_DIR/node1.log" && { lost=1; break; }
        sleep 0.1
    done
    dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    sas=$(grep -c '^ipsec_sa_packets_total{.*direction="in"}' "$STATS1")
    if [ -n "$lost" ] && awk -v d="$dt" 'BEGIN {exit !(d <= 7)}'; then
        sleep 0.5
        sas=$(grep -c 'direction="in"}' "$STATS1")
        rig_pass "liveness: node1 noticed the dead peer after ${dt} s (1 s of silence + 4.1 s of retransmissions) and removed its SAs ($(grep -m1 'peer unreachable' "$RIG_DIR/node1.log" | cut -d' ' -f2-)); SAs in node1's stats: $sas"
    else
        rig_fail "liveness: node1 did not notice the dead peer within 7 s (${lost:+after ${dt} s}${lost:-not within 10 s})"
    fi
    if start_daemon 2 && wait_established 2 20; then
        ping_check "SAs back after node2's restart: ping pod1 -> pod2" "$NS_POD1" "$P2" 3
    else
        rig_fail "SAs back after node2's restart"
    fi
fi

[ "$RIG_FAILS" -eq 0 ] || dump_logs
echo "RESULT $TAG: $RIG_PASSES passed, $RIG_FAILS failed"
[ "$RIG_FAILS" -eq 0 ]
