# shellcheck shell=bash
# e2e/rig/lib.sh: two-node network-namespace rig for the ipsec-mesh data plane.
#
# Source it from a scenario script (bash). It creates, per run:
#
#   pod1 --veth-- node1 ==underlay veth== node2 --veth-- pod2
#
# as four network namespaces named "ipsm<RIG_ID>-{node1,node2,pod1,pod2}", so several
# runs can coexist (RIG_ID defaults to the PID of the script). Inside a namespace the
# interface names are fixed: pods have "eth0", nodes have "vpod" (to their pod) and
# "under" (the underlay). Addresses (198.18.0.0/15 and 2001:db8::/32 only):
#
#   pod1  eth0   198.18.1.2/24   2001:db8:1::2/64   gw 198.18.1.1 / 2001:db8:1::1
#   node1 vpod   198.18.1.1/24   2001:db8:1::1/64
#   node1 under  198.19.0.1/30   2001:db8:ff::1/64
#   node2 under  198.19.0.2/30   2001:db8:ff::2/64
#   node2 vpod   198.18.2.1/24   2001:db8:2::1/64
#   pod2  eth0   198.18.2.2/24   2001:db8:2::2/64   gw 198.18.2.1 / 2001:db8:2::1
#
# Nodes route the other pod subnet via the peer's underlay address (host-gw style).
#
# MTU: the underlay is 1500 (RIG_UNDERLAY_MTU), the pod veths 1380 (RIG_POD_MTU). The worst
# ESP overhead we configure is tunnel mode over IPv6 with UDP encapsulation, AES-CBC and
# HMAC-SHA2-512-256: 40 (outer IPv6) + 8 (UDP) + 8 (SPI, seq) + 16 (IV) + pad to 16 incl.
# 2 trailer bytes (<= 17) + 32 (ICV) = at most 121 bytes; 1380 + 2 rounds up to 1392, so the
# packet is 40+8+8+16+1392+32 = 1496 <= 1500. A pod packet therefore never needs
# fragmenting after encryption, and TCP MSS adapts to the pod MTU by itself.
# The TUN itself gets the underlay MTU (the daemon's --mtu): on the receiving node the
# kernel forwards whole ESP packets (up to 1500 bytes) into it. The route into the TUN for
# outbound plaintext carries the pod MTU.
#
# Sidecar plumbing on each node (DESIGN.md, "Data plane: one node"):
#   nftables table "inet ipsm":
#     sets pairs4/pairs6 (the protected pod address pairs, both orders);
#     prerouting/mangle: packets from "vpod" whose (saddr . daddr) is in the set get
#       meta mark RIG_MARK;
#     prerouting (priority raw+10): from "under", plaintext of a protected pair is dropped
#       (named counter "plaintext_drop"); ESP, AH and UDP 4500 pass (Require, fail closed).
#       Non-first fragments pass too: they carry no transport header to judge (and for
#       IPv6 AH nftables cannot even see the protocol: ipv6_find_hdr gives up on an AH
#       behind a non-first fragment header); the first fragment, which is judged, decides,
#       since without it nothing reassembles. No conntrack, so no defragmentation here.
#   ip rule (v4 and v6):
#     pref 10  fwmark RIG_MARK/RIG_MARK      lookup RIG_TABLE     (100)
#     pref 20  iif under ipproto esp         lookup RIG_TABLE_IN  (101)
#     pref 21  iif under ipproto ah          lookup RIG_TABLE_IN
#     pref 22  iif under ipproto udp dport 4500 lookup RIG_TABLE_IN
#     pref 23  fwmark RIG_MARK_IN             lookup RIG_TABLE_IN  (UDP fragments from the
#              underlay, marked by nftables: a fragment shows no port, and the data plane
#              reassembles them to tell ESP in UDP from other UDP)
#     pref 100 lookup local  (moved from pref 0, so tunnel-mode ESP addressed to the node
#                             itself reaches rule 20 before the local table)
#   table RIG_TABLE: "default dev ipsm0 mtu RIG_POD_MTU metric 100" and table
#     RIG_TABLE_IN: "default dev ipsm0 metric 100" (added once the TUN exists, again after
#     every daemon restart, since the kernel removes them with the device); both also hold
#     "blackhole default metric 4294967295", so protected packets are dropped, never sent
#     or delivered in plaintext, while no daemon runs (fail closed). Two tables because
#     the route MTU must only bound outbound plaintext: inbound ESP is up to the underlay
#     MTU and would be fragmented on its way into the TUN.
#   sysctls: forwarding on, rp_filter off (all/default), accept_local on (tunnel-mode ESP
#     that the daemon writes into the TUN has the node's own address as source).
#
# Cleanup: rig_init installs an EXIT trap (INT and TERM exit through it) that kills every
# process started with rig_spawn by its PID (TERM, then KILL) and deletes the namespaces it
# created. RIG_KEEP=1 keeps the work directory (logs, configs, captures); it is kept anyway
# when a check failed.

RIG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RIG_REPO=$(cd "$RIG_LIB_DIR/../.." && pwd)

RIG_ID=${RIG_ID:-$$}
RIG_PREFIX=${RIG_PREFIX:-ipsm${RIG_ID}}
NS_POD1=$RIG_PREFIX-pod1
NS_POD2=$RIG_PREFIX-pod2
NS_NODE1=$RIG_PREFIX-node1
NS_NODE2=$RIG_PREFIX-node2

RIG_POD_MTU=${RIG_POD_MTU:-1380}
RIG_UNDERLAY_MTU=${RIG_UNDERLAY_MTU:-1500}
RIG_TUN=${RIG_TUN:-ipsm0}
RIG_TABLE=${RIG_TABLE:-100}          # outbound: marked plaintext -> TUN
RIG_TABLE_IN=${RIG_TABLE_IN:-101}    # inbound: ESP/AH/UDP 4500 from the underlay -> TUN
RIG_MARK=${RIG_MARK:-0x1000}
RIG_MARK_IN=${RIG_MARK_IN:-0x2000}  # UDP fragments from the underlay: may be ESP in UDP

POD1_4=198.18.1.2;    POD1_6=2001:db8:1::2
POD2_4=198.18.2.2;    POD2_6=2001:db8:2::2
GW1_4=198.18.1.1;     GW1_6=2001:db8:1::1
GW2_4=198.18.2.1;     GW2_6=2001:db8:2::1
NODE1_4=198.19.0.1;   NODE1_6=2001:db8:ff::1
NODE2_4=198.19.0.2;   NODE2_6=2001:db8:ff::2
SUBNET1_4=198.18.1.0/24; SUBNET1_6=2001:db8:1::/64
SUBNET2_4=198.18.2.0/24; SUBNET2_6=2001:db8:2::/64

JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
IPSM_JAR=${IPSM_JAR:-$RIG_REPO/sidecar/target/ipsec-mesh-sidecar.jar}

RIG_PIDS=()
RIG_NETNS=()
RIG_FAILS=0
RIG_PASSES=0
RIG_DIR=

rig_log()  { printf '[rig %s] %s\n' "$(date +%T)" "$*" >&2; }
rig_die()  { printf 'FATAL: %s\n' "$*" >&2; RIG_FAILS=$((RIG_FAILS + 1)); exit 2; }
rig_pass() { RIG_PASSES=$((RIG_PASSES + 1)); printf 'PASS  %s\n' "$*"; }
rig_fail() { RIG_FAILS=$((RIG_FAILS + 1)); printf 'FAIL  %s\n' "$*"; }
# rig_check NAME COMMAND...: PASS/FAIL by the command's exit status.
rig_check() {
    local name=$1; shift
    if "$@"; then rig_pass "$name"; else rig_fail "$name"; fi
}

# rig_fg NS LOG CMD...: run CMD in NS in the background and wait for it, so that INT/TERM
# traps run at once (bash defers traps while a foreground command runs); its exit status.
rig_fg() {
    rig_spawn "$@"
    wait "$RIG_SPAWNED_PID"
}

# nsx NS CMD...: run CMD in namespace NS.
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# must CMD...: run CMD, die with its text on failure (setup steps).
must() { "$@" || rig_die "command failed (rc=$?): $*"; }

rig_require_tools() {
    local t missing=()
    for t in ip nft tcpdump iperf3 python3 ping timeout "$@"; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [ ${#missing[@]} -eq 0 ] || rig_die "missing tools: ${missing[*]}"
    [ "$(id -u)" = 0 ] || rig_die "must run as root"
}

# rig_init NAME: work directory and cleanup trap.
rig_init() {
    local name=${1:-rig}
    RIG_DIR=${TMPDIR:-/tmp}/$RIG_PREFIX-$name
    rm -rf "$RIG_DIR"
    mkdir -p "$RIG_DIR" || rig_die "cannot create $RIG_DIR"
    trap rig_cleanup EXIT
    trap 'rig_log "interrupted"; exit 130' INT
    trap 'rig_log "terminated"; exit 143' TERM
    rig_log "rig $RIG_PREFIX, work dir $RIG_DIR"
}

# rig_spawn NS LOG CMD...: start CMD in NS in the background, output appended to LOG; its
# PID in RIG_SPAWNED_PID. ip netns exec execs CMD, so the PID is CMD's own.
rig_spawn() {
    local ns=$1 log=$2; shift 2
    ip netns exec "$ns" "$@" >>"$log" 2>&1 </dev/null &
    RIG_SPAWNED_PID=$!
    RIG_PIDS+=("$RIG_SPAWNED_PID")
}

# rig_stop PID [TIMEOUT_S]: SIGTERM, wait up to TIMEOUT_S (default 5), then SIGKILL.
# Returns the process's exit status when it was our child, 0 if already gone.
rig_stop() {
    local pid=$1 t=${2:-5} i rc=0
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < t * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        rig_log "pid $pid ignored SIGTERM for ${t}s, killing"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null; rc=$?
    return $rc
}

rig_cleanup() {
    local rc=$? pid ns
    trap - EXIT INT TERM
    for pid in "${RIG_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${RIG_PIDS[@]}"; do
        local i
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    for ns in "${RIG_NETNS[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    if [ -n "$RIG_DIR" ] && [ -d "$RIG_DIR" ]; then
        if [ "${RIG_KEEP:-0}" = 1 ] || [ "$RIG_FAILS" -gt 0 ] || [ "$rc" -ne 0 ]; then
            rig_log "kept work dir $RIG_DIR"
        else
            rm -rf "$RIG_DIR"
        fi
    fi
    exit "$rc"
}

rig_add_ns() {
    local ns=$1
    ip netns list | awk '{print $1}' | grep -qx "$ns" && rig_die "namespace $ns exists (another run with RIG_ID=$RIG_ID? remove it with: ip netns del $ns)"
    must ip netns add "$ns"
    RIG_NETNS+=("$ns")
    must nsx "$ns" ip link set lo up
}

rig_sysctl() { local ns=$1; shift; local kv; for kv in "$@"; do nsx "$ns" sysctl -qw "$kv" >/dev/null || rig_die "sysctl $kv in $ns"; done; }

# rig_create_topology: namespaces, veths, addresses, routes, sysctls (no IPsec plumbing).
rig_create_topology() {
    local ns
    for ns in "$NS_POD1" "$NS_POD2" "$NS_NODE1" "$NS_NODE2"; do rig_add_ns "$ns"; done

    # Links are created directly in their namespaces: no names in the root namespace.
    must ip link add name eth0 netns "$NS_POD1" type veth peer name vpod netns "$NS_NODE1"
    must ip link add name eth0 netns "$NS_POD2" type veth peer name vpod netns "$NS_NODE2"
    must ip link add name under netns "$NS_NODE1" type veth peer name under netns "$NS_NODE2"

    for ns in "$NS_NODE1" "$NS_NODE2"; do
        rig_sysctl "$ns" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
            net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
            net.ipv4.conf.all.accept_local=1 net.ipv4.conf.default.accept_local=1 \
            net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 \
            net.ipv6.conf.default.accept_ra=0
    done
    for ns in "$NS_POD1" "$NS_POD2"; do
        rig_sysctl "$ns" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
            net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
    done

    # pods
    local i pod node a4 a6 g4 g6 u4 u6 p4 p6 o4 o6
    for i in 1 2; do
        pod=$RIG_PREFIX-pod$i; node=$RIG_PREFIX-node$i
        eval "a4=\$POD${i}_4 a6=\$POD${i}_6 g4=\$GW${i}_4 g6=\$GW${i}_6 u4=\$NODE${i}_4 u6=\$NODE${i}_6"
        if [ $i = 1 ]; then o4=$SUBNET2_4 o6=$SUBNET2_6 p4=$NODE2_4 p6=$NODE2_6
        else o4=$SUBNET1_4 o6=$SUBNET1_6 p4=$NODE1_4 p6=$NODE1_6; fi
        must nsx "$pod" ip link set eth0 mtu "$RIG_POD_MTU" up
        must nsx "$pod" ip addr add "$a4/24" dev eth0
        must nsx "$pod" ip -6 addr add "$a6/64" dev eth0 nodad
        must nsx "$pod" ip route add default via "$g4" dev eth0
        must nsx "$pod" ip -6 route add default via "$g6" dev eth0

        must nsx "$node" ip link set vpod mtu "$RIG_POD_MTU" up
        must nsx "$node" ip addr add "$g4/24" dev vpod
        must nsx "$node" ip -6 addr add "$g6/64" dev vpod nodad
        must nsx "$node" ip link set under mtu "$RIG_UNDERLAY_MTU" up
        must nsx "$node" ip addr add "$u4/30" dev under
        must nsx "$node" ip -6 addr add "$u6/64" dev under nodad
        must nsx "$node" ip route add "$o4" via "$p4" dev under
        must nsx "$node" ip -6 route add "$o6" via "$p6" dev under
        rig_sysctl "$node" net.ipv4.conf.vpod.rp_filter=0 net.ipv4.conf.under.rp_filter=0
    done
}

# rig_plumb_node I: nftables, ip rules, routing table of node I (1 or 2). The TUN route
# is added by rig_tun_routes once the daemon created the TUN.
rig_plumb_node() {
    local i=$1 fam; local node=$RIG_PREFIX-node$i
    local l4 l6 r4 r6
    if [ "$i" = 1 ]; then l4=$POD1_4 l6=$POD1_6 r4=$POD2_4 r6=$POD2_6
    else l4=$POD2_4 l6=$POD2_6 r4=$POD1_4 r6=$POD1_6; fi

    nsx "$node" nft -f - <<EOF || rig_die "nft ruleset on $node"
table inet ipsm {
    set pairs4 {
        type ipv4_addr . ipv4_addr
        elements = { $l4 . $r4, $r4 . $l4 }
    }
    set pairs6 {
        type ipv6_addr . ipv6_addr
        elements = { $l6 . $r6, $r6 . $l6 }
    }
    counter marked { }
    counter plaintext_drop { }
    chain steer {
        type filter hook prerouting priority mangle; policy accept;
        iifname "vpod" ip saddr . ip daddr @pairs4 counter name marked meta mark set $RIG_MARK
        iifname "vpod" ip6 saddr . ip6 daddr @pairs6 counter name marked meta mark set $RIG_MARK
        iifname "under" meta l4proto udp ip frag-off & 0x3fff != 0 meta mark set $RIG_MARK_IN
        iifname "under" meta l4proto udp exthdr frag exists meta mark set $RIG_MARK_IN
    }
    chain require {
        type filter hook prerouting priority raw + 10; policy accept;
        iifname != "under" accept
        meta l4proto { esp, ah } accept
        udp dport 4500 accept
        ip frag-off & 0x1fff != 0 accept
        frag frag-off != 0 accept
        ip saddr . ip daddr @pairs4 counter name plaintext_drop drop
        ip6 saddr . ip6 daddr @pairs6 counter name plaintext_drop drop
    }
}
EOF
    for fam in -4 -6; do
        must nsx "$node" ip "$fam" rule add pref 10 fwmark "$RIG_MARK/$RIG_MARK" lookup "$RIG_TABLE"
        must nsx "$node" ip "$fam" rule add pref 20 iif under ipproto esp lookup "$RIG_TABLE_IN"
        must nsx "$node" ip "$fam" rule add pref 21 iif under ipproto ah lookup "$RIG_TABLE_IN"
        must nsx "$node" ip "$fam" rule add pref 22 iif under ipproto udp dport 4500 lookup "$RIG_TABLE_IN"
        must nsx "$node" ip "$fam" rule add pref 23 fwmark "$RIG_MARK_IN/$RIG_MARK_IN" lookup "$RIG_TABLE_IN"
        must nsx "$node" ip "$fam" rule add pref 100 lookup local
        must nsx "$node" ip "$fam" rule del pref 0
        must nsx "$node" ip "$fam" route add blackhole default metric 4294967295 table "$RIG_TABLE"
        must nsx "$node" ip "$fam" route add blackhole default metric 4294967295 table "$RIG_TABLE_IN"
    done
}

# rig_tun_routes I: default route of RIG_TABLE into the TUN of node I.
rig_tun_routes() {
    local node=$RIG_PREFIX-node$1 fam
    for fam in -4 -6; do
        must nsx "$node" ip "$fam" route replace default dev "$RIG_TUN" mtu "$RIG_POD_MTU" metric 100 table "$RIG_TABLE"
        must nsx "$node" ip "$fam" route replace default dev "$RIG_TUN" metric 100 table "$RIG_TABLE_IN"
    done
    rig_sysctl "$node" "net.ipv4.conf.$RIG_TUN.rp_filter=0" "net.ipv4.conf.$RIG_TUN.accept_local=1"
}

# rig_wait_tun NS PID TIMEOUT_S: wait until the TUN exists and is up in NS while PID lives.
rig_wait_tun() {
    local ns=$1 pid=$2 t=${3:-60} i
    for ((i = 0; i < t * 10; i++)); do
        if nsx "$ns" ip link show "$RIG_TUN" 2>/dev/null | head -1 | grep -q '[<,]UP[,>]'; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { rig_log "process $pid in $ns exited before $RIG_TUN came up"; return 1; }
        sleep 0.1
    done
    rig_log "$RIG_TUN did not come up in $ns within ${t}s"
    return 1
}

# rig_nft_counter NODE_NS NAME: packets of a named counter of table inet ipsm.
rig_nft_counter() {
    nsx "$1" nft list counter inet ipsm "$2" 2>/dev/null | awk '/packets/ {for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1)}'
}

# rig_ping NS DST COUNT [extra ping args]: number of replies received.
rig_ping() {
    local ns=$1 dst=$2 count=$3 out n; shift 3
    out=$(nsx "$ns" timeout $((count * 2 + 5)) ping -n -q -c "$count" -i 0.2 -W 2 "$@" "$dst" 2>&1)
    n=$(awk '/packets transmitted/ {for (i = 1; i <= NF; i++) if ($i ~ /^received/) print $(i - 1)}' <<<"$out")
    echo "${n:-0}"
    # rtt min/avg/max/mdev for whoever wants it (rig_ping usually runs in $(...))
    awk -F'[ /]+' '/^rtt/ {print "rtt avg " $8 " ms, max " $9 " ms"}' <<<"$out" >"${RIG_DIR:-/tmp}/.last-ping-rtt" 2>/dev/null
}

# rig_iperf SECONDS FAMILY JSON_OUT [extra client args]: iperf3 TCP pod1 -> pod2. Sets
# RIG_IPERF_GBPS (receiver side) and RIG_IPERF_TEXT; returns non-zero when the run failed.
# Call it directly, not inside $(...): it spawns processes that the cleanup trap must know.
rig_iperf() {
    local secs=$1 fam=$2 out=$3; shift 3
    local dst=$POD2_4 srv_pid i rc
    RIG_IPERF_GBPS= RIG_IPERF_TEXT=
    [ "$fam" = 6 ] && dst=$POD2_6
    rig_spawn "$NS_POD2" "$out.server" iperf3 -s -1 -p 5201
    srv_pid=$RIG_SPAWNED_PID
    for ((i = 0; i < 50; i++)); do
        nsx "$NS_POD2" ss -Htln 'sport = :5201' 2>/dev/null | grep -q . && break
        sleep 0.1
    done
    rig_fg "$NS_POD1" "$out" timeout $((secs + 20)) iperf3 -c "$dst" -p 5201 -t "$secs" -J --connect-timeout 3000 "$@"
    rc=$?
    rig_stop "$srv_pid" 3 >/dev/null 2>&1
    if [ $rc -ne 0 ]; then
        RIG_IPERF_TEXT="iperf3 client failed rc=$rc: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("error",""))' "$out" 2>/dev/null || tail -c 300 "$out")"
        return 1
    fi
    RIG_IPERF_TEXT=$(python3 - "$out" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if "error" in d:
    sys.exit("iperf3: " + d["error"])
end = d["end"]
if end["sum_received"]["bytes"] == 0:
    sys.exit("iperf3: nothing received")
rcv = end["sum_received"]["bits_per_second"] / 1e9
snt = end["sum_sent"]
print(f"{rcv:.3f} Gbit/s (sender {snt['bits_per_second']/1e9:.3f} Gbit/s, "
      f"{snt.get('retransmits', 0)} retransmits, {end['sum_received']['bytes']} bytes received)")
PY
) || return 1
    RIG_IPERF_GBPS=${RIG_IPERF_TEXT%% Gbit/s*}
}

# rig_stat FILE KEY: value of a metric line (exact series name incl. labels), empty if none.
rig_stat() {
    [ -f "$1" ] || return 0
    awk -v k="$2" '$1 == k {print $2; exit}' "$1"
}
