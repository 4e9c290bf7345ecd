#!/usr/bin/env bash
# e2e/interop/strongswan.sh: our IKEv2 daemon against strongSwan's charon (issue 3, acceptance 1).
#
#   e2e/interop/strongswan.sh [--role initiator|responder] [--ike PROPOSAL] [--esp PROPOSAL]
#       [--auth cert|psk] [--family 4|6] [--peer charon|ours] [--ours ours|charon]
#       [--timeout S] [--timing [--handshakes N]] [--iperf-seconds N] [--rekey child|ike]
#       [--liveness] [--fragment SIZE] [--keep]
#
# Two network namespaces joined by one veth ("under" on both ends):
#
#   <rig>-ours  under 198.19.0.1/30  2001:db8:ff::1/64   lo 198.18.10.1  2001:db8:10::1
#   <rig>-peer  under 198.19.0.2/30  2001:db8:ff::2/64   lo 198.18.20.1  2001:db8:20::1
#
# "ours" runs our daemon (ours_start: `java -jar sidecar.jar ike`), "peer" runs charon
# (Debian strongSwan 5.9.8, kernel-libipsec, private /run per charon). One IKE SA with one
# tunnel-mode CHILD_SA protects inner address <-> inner address (/32 or /128); the inner
# addresses live on lo. --role is OUR role; the peer takes the other one. --peer ours puts
# our daemon on both sides; --ours charon puts charon on our side (charon vs charon: proves
# the harness itself while the daemon is being written).
#
# Options:
#   --role R        initiator (default) or responder: what our side does
#   --ike P         IKE proposal, strongSwan syntax (default aes128gcm16-prfsha256-ecp256)
#   --esp P         ESP proposal (default aes128gcm16)
#   --auth A        cert (default: ECDSA P-256 certificates made with `pki`) or psk
#   --family F      4 (default) or 6: outer and inner addresses
#   --peer I        charon (default) or ours: what runs on the other side
#   --ours I        ours (default) or charon: what runs on our side
#                   (--ours dataplane --peer dataplane: no IKE at all; our manual-keying
#                   `dataplane` command with the same random keys on both sides, each in
#                   our side's plumbing: tests ours_steer / ours_tun_routes end to end with
#                   real ESP in UDP, and that a UDP socket on 4500 still gets IKE and
#                   keepalives while ESP flows; --esp aes128gcm16|aes256gcm16|chacha20poly1305)
#   --timeout S     seconds to wait for the SAs (default 30)
#   --timing        print the IKE_SA_INIT request -> IKE_AUTH response time on the wire
#   --handshakes N  (--timing, --role initiator) N handshakes in all: after the checks, the
#                   IKE SA is ended N-1 times and made again by the same (warm) initiator.
#                   Ours re-initiates on its own when charon deletes the SA; a charon
#                   initiator is told to (swanctl --terminate, --initiate). The TIMING line
#                   gives the first handshake and the median of the others.
#   --iperf-seconds N   length of each iperf3 run (default 3)
#   --rekey W       (--peer charon, --ours ours) W=child: our daemon rekeys the CHILD_SA every
#                   3 s and charon the IKE SA every 5 s; W=ike: the other way round; while
#                   500 pings go ours -> peer every 20 ms (after the other checks)
#   --liveness      (--peer charon, --ours ours) charon is killed (SIGKILL, no DELETE); our
#                   side must notice within 7 s (dpd 2 s, retransmissions after 0.5, 0.75,
#                   1.125 s and a last wait of 1.7 s) and remove its SAs; charon restarted,
#                   the SAs come back (whoever initiates) and ping passes
#   --fragment SIZE IKE fragmentation (RFC 7383) with SIZE-byte IP datagrams (512 or more):
#                   charon gets `fragment_size = SIZE` and `fragmentation = yes`, our daemon
#                   `fragmentation yes` and `fragment-size SIZE` (both count the whole IP
#                   datagram). Adds the `fragments` check; with --auth cert and a small SIZE
#                   (576) IKE_AUTH cannot go whole
#   --keep          keep the work directory (kept anyway when a check failed)
#
# Checks (one PASS/FAIL line each, then a RESULT line; exit 0 only if none failed):
#   steering        the nftables expression of our side's plumbing, tested in two scratch
#                   namespaces with a python UDP sender: UDP 4500 datagrams whose first four
#                   payload bytes are non-zero (ESP in UDP) are marked and leave for the TUN
#                   table; IKE (non-ESP marker) and 1-byte NAT keepalives reach a UDP socket
#   side up         each side's daemon started (charon: config loaded; ours: TUN up, UDP
#                   500 and 4500 bound)
#   established     within --timeout: IKE SA and tunnel-mode CHILD_SA, on every side
#                   (charon: swanctl --list-sas shows ESTABLISHED and INSTALLED, TUNNEL;
#                   ours: "IKE_SA ... established" and "CHILD_SA ... established" log lines)
#   ping            5 echoes our inner address -> peer's and 5 back, no loss
#   tcp             iperf3 (-t N) our inner -> peer's inner, and reverse (-R)
#   capture         tcpdump on our underlay for the whole run: only IKE on UDP 500/4500,
#                   NAT keepalives and ESP in UDP 4500 (both directions) between the two
#                   underlay addresses; no inner address in any IP header, no ping payload
#                   pattern (wire.py classify)
#   (--timing)      TIMING line from the capture (tshark)
#   rekeys / no loss (--rekey) rekeys started by each side completed (our log and counters),
#                   every ping answered
#   liveness / back (--liveness) as described above
#   socket          (dataplane only) while iperf3 runs, IKE-like and keepalive datagrams
#                   from the peer to our UDP 4500 reach a socket, ESP does not
#   fragments       (--fragment) in a second, IKE-only capture with whole frames (ike.pcap),
#                   judged by tshark (wire.py ike-frags): both IKE_SA_INIT messages announce
#                   fragmentation, the IKE_AUTH request and response went as SKF fragments
#                   (payload 53, >= 2 each, numbered 1..total), no IKE datagram is larger than
#                   SIZE, and with our keys log tshark decrypts every fragment of our IKE SA
#                   (ours) without an integrity error and reassembles both IKE_AUTH messages
#
# Environment: IPSM_JAR (default sidecar/target/ipsec-mesh-sidecar.jar), JAVA_HOME (default
# /usr/lib/jvm/temurin-25-jdk-amd64), IPSM_JAVA_OPTS, IPSM_IKE_CMD (replaces
# "java ... -jar $IPSM_JAR"), RIG_ID, RIG_KEEP=1. Work dir: /tmp/ipsm<RIG_ID>-interop-<tag>/.
# Cleanup (processes by PID, namespaces) via e2e/rig/lib.sh's EXIT trap, also on failure.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../rig/lib.sh"
WIRE=$HERE/wire.py

ROLE=initiator IKE=aes128gcm16-prfsha256-ecp256 ESP=aes128gcm16 AUTH=cert FAMILY=4
PEER=charon OURS=ours TIMEOUT=30 TIMING= HANDSHAKES=1 IPERF_SECS=3 REKEY= LIVENESS= FRAGMENT=
usage() { sed -n "2,/^set -u/p" "$0" | grep "^#" | cut -c3-; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case $1 in
        --role) ROLE=${2:-}; shift 2 ;;
        --ike) IKE=${2:-}; shift 2 ;;
        --esp) ESP=${2:-}; shift 2 ;;
        --auth) AUTH=${2:-}; shift 2 ;;
        --family) FAMILY=${2:-}; shift 2 ;;
        --peer) PEER=${2:-}; shift 2 ;;
        --ours) OURS=${2:-}; shift 2 ;;
        --timeout) TIMEOUT=${2:-}; shift 2 ;;
        --timing) TIMING=1; shift ;;
        --handshakes) HANDSHAKES=${2:-}; shift 2 ;;
        --iperf-seconds) IPERF_SECS=${2:-}; shift 2 ;;
        --rekey) REKEY=${2:-}; shift 2 ;;
        --liveness) LIVENESS=1; shift ;;
        --fragment) FRAGMENT=${2:-}; shift 2 ;;
        --keep) RIG_KEEP=1; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown option $1" >&2; usage ;;
    esac
done
case $ROLE in initiator|responder) ;; *) rig_die "--role initiator|responder" ;; esac
case $AUTH in cert|psk) ;; *) rig_die "--auth cert|psk" ;; esac
case $FAMILY in 4|6) ;; *) rig_die "--family 4|6" ;; esac
case $PEER in charon|ours|dataplane) ;; *) rig_die "--peer charon|ours" ;; esac
case $OURS in charon|ours|dataplane) ;; *) rig_die "--ours ours|charon" ;; esac
if [ "$OURS" = dataplane ] || [ "$PEER" = dataplane ]; then
    [ "$OURS" = "$PEER" ] || rig_die "dataplane (manual keys) runs on both sides or on neither"
    case $ESP in aes128gcm16) DP_KEYLEN=20 ;; aes256gcm16|chacha20poly1305) DP_KEYLEN=36 ;;
        *) rig_die "--ours dataplane: --esp aes128gcm16|aes256gcm16|chacha20poly1305" ;; esac
fi
case $REKEY in ""|child|ike) ;; *) rig_die "--rekey child|ike" ;; esac
if [ -n "$REKEY$LIVENESS" ] && { [ "$PEER" != charon ] || [ "$OURS" != ours ]; }; then
    rig_die "--rekey and --liveness need --peer charon --ours ours"
fi
# Rekey intervals (0: never): --rekey child: ours rekeys the CHILD_SA, charon the IKE SA.
OURS_CHILD_REKEY=0 OURS_IKE_REKEY=0 PEER_CHILD_REKEY=0 PEER_IKE_REKEY=0
case $REKEY in
    child) OURS_CHILD_REKEY=3s PEER_IKE_REKEY=5s ;;
    ike) OURS_IKE_REKEY=5s PEER_CHILD_REKEY=3s ;;
esac
[[ $TIMEOUT =~ ^[0-9]+$ ]] || rig_die "--timeout SECONDS"
if [ -n "$FRAGMENT" ]; then
    [[ $FRAGMENT =~ ^[0-9]+$ ]] && [ "$FRAGMENT" -ge 512 ] && [ "$FRAGMENT" -le 65535 ] ||
        rig_die "--fragment SIZE: IP datagram bytes, 512..65535"
    [ "$OURS" != dataplane ] || rig_die "--fragment needs IKE (not --ours dataplane)"
fi
[[ $IPERF_SECS =~ ^[0-9]+$ ]] || rig_die "--iperf-seconds N"
[[ $IKE =~ ^[a-z0-9_-]+$ ]] || rig_die "--ike: strongSwan proposal syntax, e.g. aes128gcm16-prfsha256-ecp256"
[[ $ESP =~ ^[a-z0-9_-]+$ ]] || rig_die "--esp: strongSwan proposal syntax, e.g. aes128gcm16"

rig_require_tools tshark swanctl pki openssl unshare ss
[ -x /usr/lib/ipsec/charon ] || rig_die "no /usr/lib/ipsec/charon (apt-get install strongswan-charon strongswan-swanctl strongswan-pki libcharon-extra-plugins libstrongswan-extra-plugins)"

TAG="$OURS-$ROLE-vs-$PEER-$AUTH-ipv$FAMILY-$IKE-$ESP${REKEY:+-rekey-$REKEY}${LIVENESS:+-liveness}${FRAGMENT:+-frag$FRAGMENT}"
rig_init "interop-$TAG"
rig_log "scenario: $TAG"

# ---- the two sides ----
# Per side: namespace, implementation, role, IKE ID, underlay and inner address.
declare -A NS IMPL SROLE ID UADDR INNER PID
SIDES=(ours peer)
NS[ours]=$RIG_PREFIX-ours NS[peer]=$RIG_PREFIX-peer
IMPL[ours]=$OURS IMPL[peer]=$PEER
SROLE[ours]=$ROLE
if [ "$ROLE" = initiator ]; then SROLE[peer]=responder; else SROLE[peer]=initiator; fi
ID[ours]=ours.ipsm.test
if [ "$PEER" = charon ]; then ID[peer]=charon.ipsm.test; else ID[peer]=peer.ipsm.test; fi
if [ "$FAMILY" = 4 ]; then
    UADDR[ours]=198.19.0.1 UADDR[peer]=198.19.0.2 INNER[ours]=198.18.10.1 INNER[peer]=198.18.20.1 PLEN=32
else
    UADDR[ours]=2001:db8:ff::1 UADDR[peer]=2001:db8:ff::2 INNER[ours]=2001:db8:10::1 INNER[peer]=2001:db8:20::1 PLEN=128
fi
other() { if [ "$1" = ours ]; then echo peer; else echo ours; fi; }
INNER_MTU=1380          # route MTU of the inner prefix into our TUN (like the rig's pod MTU)
OURS_TUN=ipsm0          # our daemon's TUN; charon's (kernel-libipsec) is ipsec0
OURS_TABLE_IN=101       # our side: inbound ESP / ESP in UDP -> TUN
OURS_MARK_IN=0x2000     # our side: nftables mark for ESP in UDP 4500 from the underlay
PATTERN=495053454d455348495053454d455348   # "IPSEMESH" x2: ping payload, must not be on the wire

# make_link NS_A NS_B V4_A V4_B V6_A V6_B: veth "under" between the two namespaces, with
# rp_filter off, accept_local on and forwarding on (our side forwards inbound ESP into its
# TUN and takes the TUN's output as if it came from outside).
make_link() {
    local a=$1 b=$2 ns
    must ip link add name under netns "$a" type veth peer name under netns "$b"
    for ns in "$a" "$b"; do
        rig_sysctl "$ns" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
            net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
            net.ipv4.conf.all.accept_local=1 net.ipv4.conf.default.accept_local=1 \
            net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
            net.ipv6.conf.default.accept_ra=0
        must nsx "$ns" ip link set under mtu "$RIG_UNDERLAY_MTU" up
        rig_sysctl "$ns" net.ipv4.conf.under.rp_filter=0
    done
    must nsx "$a" ip addr add "$3/30" dev under
    must nsx "$b" ip addr add "$4/30" dev under
    must nsx "$a" ip -6 addr add "$5/64" dev under nodad
    must nsx "$b" ip -6 addr add "$6/64" dev under nodad
}

# ---- our side: plumbing and daemon (the one place that knows how our daemon runs) ----

# ours_steer NS: the policy routing our daemon needs in its namespace (underlay "under").
#   nftables (prerouting, mangle): UDP to port 4500 arriving on the underlay whose first
#     four payload bytes are non-zero is ESP in UDP (RFC 3948 §2.2: those bytes are the
#     SPI, never 0). @th,64,32 reads 32 bits at bit offset 64 of the transport header, i.e.
#     right behind the 8-byte UDP header. Such packets get mark OURS_MARK_IN. IKE on 4500
#     carries the non-ESP marker (four zero bytes) and is not marked; a NAT keepalive has a
#     1-byte payload (0xFF): the 4-byte load runs past the end of the packet, the expression
#     breaks and the rule does not match, so it is not marked either. Non-first IP fragments
#     have no UDP header and are never marked (a fragmented ESP-in-UDP packet would be split
#     between TUN and socket: keep ESP in UDP below the underlay MTU).
#   ip rule pref 20: iif under, ESP (proto 50) -> table OURS_TABLE_IN
#   ip rule pref 21: fwmark OURS_MARK_IN -> table OURS_TABLE_IN
#   ip rule pref 100: local (moved from pref 0, so ESP addressed to this node's own
#     underlay address reaches rules 20/21 before local delivery)
#   table OURS_TABLE_IN: "default dev ipsm0" (added once the TUN exists, ours_tun_routes)
#     behind "blackhole default metric 4294967295": ESP is dropped, never delivered to the
#     daemon's UDP socket, while no TUN exists.
#   Everything unmarked on UDP 500/4500 (IKE, keepalives) is delivered locally to the
#   daemon's sockets. Counters: esp_in_udp (marked) and nat_t_other (the rest of UDP 4500).
ours_steer() {
    local ns=$1 fam
    nsx "$ns" nft -f - <<EOF || rig_die "nft ruleset in $ns"
table inet ipsm_interop {
    counter esp_in_udp { }
    counter nat_t_other { }
    chain steer {
        type filter hook prerouting priority mangle; policy accept;
        iifname "under" udp dport 4500 @th,64,32 != 0 counter name esp_in_udp meta mark set $OURS_MARK_IN
        iifname "under" udp dport 4500 meta mark & $OURS_MARK_IN == 0 counter name nat_t_other
    }
}
EOF
    for fam in -4 -6; do
        must nsx "$ns" ip "$fam" rule add pref 20 iif under ipproto esp lookup "$OURS_TABLE_IN"
        must nsx "$ns" ip "$fam" rule add pref 21 fwmark "$OURS_MARK_IN/$OURS_MARK_IN" lookup "$OURS_TABLE_IN"
        must nsx "$ns" ip "$fam" rule add pref 100 lookup local
        must nsx "$ns" ip "$fam" rule del pref 0
        must nsx "$ns" ip "$fam" route add blackhole default metric 4294967295 table "$OURS_TABLE_IN"
    done
}

# ours_tun_routes SIDE: once the TUN exists: the peer's inner address into the TUN (source
# our inner address, route MTU INNER_MTU so TCP's MSS leaves room for ESP), inbound ESP
# into the TUN, rp_filter off / accept_local on for the TUN (it writes ESP with our own
# underlay address as source, and plaintext with the peer's inner address as source).
ours_tun_routes() {
    local side=$1 ns=${NS[$1]} peer fam=-4
    peer=$(other "$side")
    [ "$FAMILY" = 6 ] && fam=-6
    must nsx "$ns" ip "$fam" route replace "${INNER[$peer]}/$PLEN" dev "$OURS_TUN" src "${INNER[$side]}" mtu "$INNER_MTU"
    must nsx "$ns" ip -4 route replace default dev "$OURS_TUN" metric 100 table "$OURS_TABLE_IN"
    must nsx "$ns" ip -6 route replace default dev "$OURS_TUN" metric 100 table "$OURS_TABLE_IN"
    rig_sysctl "$ns" "net.ipv4.conf.$OURS_TUN.rp_filter=0" "net.ipv4.conf.$OURS_TUN.accept_local=1"
}

# ours_config SIDE FILE: our daemon's config file (format: see e2e/interop/README.md).
ours_config() {
    local side=$1 f=$2 peer d=$RIG_DIR/$1
    peer=$(other "$side")
    {
        echo "# ipsec-mesh ike config, side $side, rig $RIG_PREFIX, $TAG (generated by strongswan.sh)"
        echo "conn ${ID[$peer]%%.*}"
        echo "  local ${UADDR[$side]}"
        echo "  remote ${UADDR[$peer]}"
        echo "  local-id ${ID[$side]}"
        echo "  remote-id ${ID[$peer]}"
        echo "  auth $AUTH"
        if [ "$AUTH" = psk ]; then
            echo "  psk 0x$PSK"
        else
            echo "  cert $d/$side.crt"
            echo "  key $d/$side.key"
            echo "  ca $RIG_DIR/ca.crt"
        fi
        echo "  ike $IKE"
        if [ "${SROLE[$side]}" = initiator ]; then echo "  start yes"; else echo "  start no"; fi
        if [ -n "$LIVENESS" ]; then
            echo "  dpd 2s"
            echo "  retransmit-timeout 500ms"
            echo "  retransmit-base 1.5"
            echo "  retransmit-tries 3"
        else
            echo "  dpd 10"
        fi
        echo "  rekey-time $OURS_IKE_REKEY"
        if [ -n "$FRAGMENT" ]; then
            echo "  fragmentation yes"
            echo "  fragment-size $FRAGMENT"
        fi
        echo "  child net"
        echo "    mode tunnel"
        echo "    local-ts ${INNER[$side]}/$PLEN"
        echo "    remote-ts ${INNER[$peer]}/$PLEN"
        echo "    esp $ESP"
        echo "    rekey-time $OURS_CHILD_REKEY"
        [ "$OURS_CHILD_REKEY" = 0 ] || echo "    life-time 60s"
    } >"$f"
    chmod 600 "$f"
}

# ours_start SIDE: plumbing, config, daemon; sets PID[SIDE]. Returns non-zero (with a
# reason in the log) if the daemon did not come up: TUN up and UDP 500 and 4500 bound.
ours_start() {
    local side=$1 ns=${NS[$1]} d=$RIG_DIR/$1 cmd i log
    log=$d/ike.log
    if [ -n "${IPSM_IKE_CMD:-}" ]; then
        read -r -a cmd <<<"$IPSM_IKE_CMD"
    else
        [ -x "$JAVA_HOME/bin/java" ] || { rig_log "no java at $JAVA_HOME/bin/java (set JAVA_HOME)"; return 1; }
        [ -f "$IPSM_JAR" ] || { rig_log "no daemon jar at $IPSM_JAR (mvn -pl sidecar package, or set IPSM_JAR)"; return 1; }
        local jopts; read -r -a jopts <<<"${IPSM_JAVA_OPTS:-}"
        cmd=(env "JAVA_HOME=$JAVA_HOME" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED "${jopts[@]}" -jar "$IPSM_JAR")
    fi
    ours_config "$side" "$d/ike.conf"
    ours_steer "$ns"
    # --mtu: the TUN takes whole ESP-in-UDP packets up to the underlay MTU (like the rig).
    local args=(ike --config "$d/ike.conf" --tun "$OURS_TUN" --mtu "$RIG_UNDERLAY_MTU" --stats "$d/stats"
                --stats-interval-ms 200)
    # The keys log is a debugging aid (tshark decrypts with it); --timing leaves it out, as a
    # production daemon and the charon we compare with do, unless --fragment's check needs it.
    if [ -z "$TIMING" ] || [ -n "$FRAGMENT" ]; then args+=(--keys-log "$d/keys"); fi
    echo "=== $(date +%T) start: ${cmd[*]} ${args[*]}" >>"$log"
    rig_spawn "$ns" "$log" "${cmd[@]}" "${args[@]}"
    PID[$side]=$RIG_SPAWNED_PID
    RIG_TUN=$OURS_TUN
    if ! rig_wait_tun "$ns" "${PID[$side]}" 30; then
        sleep 0.3
        if grep -q '^usage: ipsec-mesh COMMAND' "$log" && ! grep -Eq '^ +ike +' "$log"; then
            rig_log "$side: the daemon jar has no 'ike' command yet ($IPSM_JAR): the IKE daemon is not built into it"
        fi
        rig_log "$side: daemon log (last lines):"; tail -n 20 "$log" >&2
        return 1
    fi
    ours_tun_routes "$side"
    for ((i = 0; i < 100; i++)); do
        # (by port only: IPSM_IKE_CMD may be a wrapper with another PID; nothing else of
        # ours listens in this namespace)
        if nsx "$ns" ss -Huln 'sport = :500' | grep -q . &&
           nsx "$ns" ss -Huln 'sport = :4500' | grep -q .; then
            return 0
        fi
        kill -0 "${PID[$side]}" 2>/dev/null || break
        sleep 0.1
    done
    rig_log "$side: daemon does not listen on UDP 500 and 4500"; tail -n 20 "$log" >&2
    return 1
}

# ours_established SIDE: both log lines seen.
ours_established() {
    local log=$RIG_DIR/$1/ike.log
    grep -Eq 'IKE_SA .*established' "$log" && grep -Eq 'CHILD_SA .*established' "$log"
}
ours_show() { grep -E '(IKE|CHILD)_SA ' "$RIG_DIR/$1/ike.log" | tail -n 4 | sed "s/^/      $1: /"; }

# ---- charon ----

# charon_files SIDE: strongswan.conf, swanctl.conf (+ credentials) of a charon.
charon_files() {
    local side=$1 d=$RIG_DIR/$1 peer
    peer=$(other "$side")
    mkdir -p "$d/run" "$d/swanctl/x509" "$d/swanctl/x509ca" "$d/swanctl/private" "$d/swanctl/conf.d"
    cat >"$d/strongswan.conf" <<EOF
# charon for side $side of $RIG_PREFIX (generated by strongswan.sh)
charon {
    # kernel-libipsec: userspace ESP over TUN ipsec0 (no kernel ESP here); it must come
    # before kernel-netlink. kdf: 5.9.8 moved the IKE key derivation there.
    load = random nonce openssl aes sha1 sha2 hmac gcm chapoly curve25519 gmp kdf pem pkcs1 pkcs8 x509 pubkey constraints kernel-libipsec kernel-netlink socket-default vici
    port = 500
    port_nat_t = 4500
${FRAGMENT:+    # --fragment: largest IP datagram of an IKE message or fragment (RFC 7383)
    fragment_size = $FRAGMENT}
    # The vici socket stays at its default, /var/run/charon.vici = <side dir>/run/charon.vici
    # (the private /run); swanctl reaches it by a relative path (sun_path has 108 bytes).
    filelog {
        charon {
            path = $d/charon.log
            time_format = %T
            ike_name = yes
            flush_line = yes
            default = 1
            ike = 2
            cfg = 2
            knl = 2
            net = 2
            esp = 1
        }
    }
}
EOF
    local lauth=pubkey rauth=pubkey start=none dpd=clear
    [ "$AUTH" = psk ] && lauth=psk rauth=psk
    [ "${SROLE[$side]}" = initiator ] && start=start dpd=restart
    {
        echo "# swanctl.conf for side $side of $RIG_PREFIX (generated by strongswan.sh)"
        echo "connections {"
        echo "    ipsm {"
        echo "        version = 2"
        echo "        local_addrs = ${UADDR[$side]}"
        echo "        remote_addrs = ${UADDR[$peer]}"
        echo "        proposals = $IKE"
        echo "        dpd_delay = 10s"
        [ -n "$FRAGMENT" ] && echo "        fragmentation = yes"
        if [ "$PEER_IKE_REKEY" != 0 ]; then
            echo "        rekey_time = $PEER_IKE_REKEY"
            echo "        over_time = 60s"
            echo "        rand_time = 0s"
        elif [ -n "$REKEY" ]; then
            echo "        rekey_time = 0s"
        fi
        echo "        local {"
        echo "            auth = $lauth"
        echo "            id = ${ID[$side]}"
        [ "$AUTH" = cert ] && echo "            certs = $side.crt"
        echo "        }"
        echo "        remote {"
        echo "            auth = $rauth"
        echo "            id = ${ID[$peer]}"
        [ "$AUTH" = cert ] && echo "            cacerts = ca.crt"
        echo "        }"
        echo "        children {"
        echo "            net {"
        echo "                mode = tunnel"
        echo "                local_ts = ${INNER[$side]}/$PLEN"
        echo "                remote_ts = ${INNER[$peer]}/$PLEN"
        echo "                esp_proposals = $ESP"
        if [ "$PEER_CHILD_REKEY" != 0 ]; then
            echo "                rekey_time = $PEER_CHILD_REKEY"
            echo "                rand_time = 0s"
            echo "                life_time = 60s"
        elif [ -n "$REKEY" ]; then
            echo "                rekey_time = 0s"
            echo "                life_time = 0s"
        fi
        echo "                start_action = $start"
        echo "                dpd_action = $dpd"
        echo "            }"
        echo "        }"
        echo "    }"
        echo "}"
        if [ "$AUTH" = psk ]; then
            echo "secrets {"
            echo "    ike-ipsm {"
            echo "        id-a = ${ID[$side]}"
            echo "        id-b = ${ID[$peer]}"
            echo "        secret = 0x$PSK"
            echo "    }"
            echo "}"
        fi
    } >"$d/swanctl/swanctl.conf"
    chmod 600 "$d/swanctl/swanctl.conf"
    if [ "$AUTH" = cert ]; then
        cp "$d/$side.crt" "$d/swanctl/x509/" && cp "$RIG_DIR/ca.crt" "$d/swanctl/x509ca/" &&
            cp "$d/$side.key" "$d/swanctl/private/" || rig_die "copy credentials for $side"
    fi
}

# charon_swanctl SIDE ARGS...: swanctl against that side's charon.
charon_swanctl() {
    local d=$RIG_DIR/$1; shift
    (cd "$d" && STRONGSWAN_CONF=$d/strongswan.conf SWANCTL_DIR=$d/swanctl swanctl "$@" --uri unix://run/charon.vici)
}

# charon_start SIDE: charon in SIDE's namespace with a private /run (it hard-codes
# /var/run/charon.pid), then swanctl --load-all. The initiator's child has
# start_action = start, so loading it starts IKE. Sets PID[SIDE].
charon_start() {
    local side=$1 ns=${NS[$1]} d=$RIG_DIR/$1 i
    charon_files "$side"
    # A killed charon (--liveness) leaves its socket and pid file behind.
    rm -f "$d/run/charon.vici" "$d/run/charon.pid"
    echo "=== $(date +%T) start charon" >>"$d/charon.out"
    rig_spawn "$ns" "$d/charon.out" env "STRONGSWAN_CONF=$d/strongswan.conf" \
        unshare -m --propagation private sh -c 'mount --bind "$1" /run && exec /usr/lib/ipsec/charon' sh "$d/run"
    PID[$side]=$RIG_SPAWNED_PID
    for ((i = 0; i < 100; i++)); do
        [ -S "$d/run/charon.vici" ] && break
        kill -0 "${PID[$side]}" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -S "$d/run/charon.vici" ]; then
        rig_log "$side: charon did not come up"; tail -n 20 "$d/charon.out" "$d/charon.log" >&2 2>/dev/null
        return 1
    fi
    if ! charon_swanctl "$side" --load-all --noprompt >"$d/swanctl-load.log" 2>&1; then
        rig_log "$side: swanctl --load-all failed"; cat "$d/swanctl-load.log" >&2
        return 1
    fi
    grep -q 'loaded connection .ipsm.' "$d/swanctl-load.log" || { rig_log "$side: connection not loaded"; cat "$d/swanctl-load.log" >&2; return 1; }
}

# charon_established SIDE: IKE SA ESTABLISHED and the child INSTALLED in tunnel mode.
charon_established() {
    local out
    out=$(charon_swanctl "$1" --list-sas 2>/dev/null) || return 1
    grep -Eq '^ipsm: #[0-9]+, ESTABLISHED, IKEv2' <<<"$out" &&
        grep -Eq '^ +net: #[0-9]+, reqid [0-9]+, INSTALLED, TUNNEL' <<<"$out"
}
charon_show() {
    charon_swanctl "$1" --list-sas 2>/dev/null |
        grep -E '^ipsm:|^  (local|remote) |^  [A-Z0-9_/-]+$|^  net:' | sed "s/^/      $1: /"
}

# ---- harness self-test without IKE: our manual-keying data plane in our side's plumbing ----
# dataplane_start SIDE: the same two SAs (random keys and SPIs, made once) on both sides,
# ESP in UDP 4500 <-> 4500, tunnel mode between the underlay addresses, policies for the
# inner pair. Sets PID[SIDE].
dataplane_start() {
    local side=$1 ns=${NS[$1]} d=$RIG_DIR/$1 peer cmd log=$RIG_DIR/$1/dataplane.log jopts
    peer=$(other "$side")
    [ -f "$IPSM_JAR" ] || { rig_log "no daemon jar at $IPSM_JAR"; return 1; }
    read -r -a jopts <<<"${IPSM_JAVA_OPTS:-}"
    cmd=(env "JAVA_HOME=$JAVA_HOME" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED "${jopts[@]}" -jar "$IPSM_JAR")
    : "${DP_SPI_OP:=$(printf '0x%08x' $(( (0x$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n') & 0x7fffffff) | 0x100 )))}"
    : "${DP_SPI_PO:=$(printf '0x%08x' $(( (0x$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n') & 0x7fffffff) | 0x200 )))}"
    : "${DP_KEY_OP:=$(od -An -tx1 -N "$DP_KEYLEN" /dev/urandom | tr -d ' \n')}"
    : "${DP_KEY_PO:=$(od -An -tx1 -N "$DP_KEYLEN" /dev/urandom | tr -d ' \n')}"
    local op="proto esp spi $DP_SPI_OP mode tunnel src ${UADDR[ours]} dst ${UADDR[peer]} enc $ESP key 0x$DP_KEY_OP encap udp 4500 4500"
    local po="proto esp spi $DP_SPI_PO mode tunnel src ${UADDR[peer]} dst ${UADDR[ours]} enc $ESP key 0x$DP_KEY_PO encap udp 4500 4500"
    {
        echo "# manual keying, side $side (generated by strongswan.sh, dataplane self-test)"
        if [ "$side" = ours ]; then echo "sa o2p dir out $op"; echo "sa p2o dir in $po"
        else echo "sa o2p dir in $op"; echo "sa p2o dir out $po"; fi
        local out=o2p in=p2o; [ "$side" = peer ] && out=p2o in=o2p
        echo "policy out src ${INNER[$side]}/$PLEN dst ${INNER[$peer]}/$PLEN action protect sa $out"
        echo "policy in src ${INNER[$peer]}/$PLEN dst ${INNER[$side]}/$PLEN action protect sa $in"
    } >"$d/dataplane.conf"
    chmod 600 "$d/dataplane.conf"
    ours_steer "$ns"
    rig_spawn "$ns" "$log" "${cmd[@]}" dataplane --config "$d/dataplane.conf" --tun "$OURS_TUN" \
        --mtu "$RIG_UNDERLAY_MTU" --stats "$d/stats" --stats-interval-ms 200
    PID[$side]=$RIG_SPAWNED_PID
    RIG_TUN=$OURS_TUN
    rig_wait_tun "$ns" "${PID[$side]}" 30 || { tail -n 20 "$log" >&2; return 1; }
    ours_tun_routes "$side"
}

side_start() {
    case ${IMPL[$1]} in charon) charon_start "$1" ;; dataplane) dataplane_start "$1" ;; *) ours_start "$1" ;; esac
}
side_established() {
    case ${IMPL[$1]} in charon) charon_established "$1" ;; dataplane) true ;; *) ours_established "$1" ;; esac
}
side_show() {
    case ${IMPL[$1]} in charon) charon_show "$1" ;; dataplane) grep '^sa ' "$RIG_DIR/$1/dataplane.conf" | sed 's/ key 0x[0-9a-f]*/ key .../; s/^/      '"$1"': /' ;; *) ours_show "$1" ;; esac
}

# ---- steering self-test: ours_steer in a scratch namespace pair ----
steer_selftest() {
    local a=$RIG_PREFIX-steer-a b=$RIG_PREFIX-steer-b out=$RIG_DIR/steer lpid i got want ok=1 ike esp
    mkdir -p "$out"
    rig_add_ns "$a"; rig_add_ns "$b"
    make_link "$b" "$a" 198.19.0.1 198.19.0.2 2001:db8:ff::1 2001:db8:ff::2
    ours_steer "$b"
    rig_spawn "$b" "$out/listen.log" python3 "$WIRE" udp-listen 4500 "$out/received" --seconds 5 --idle 1
    lpid=$RIG_SPAWNED_PID
    for ((i = 0; i < 50; i++)); do grep -q ready "$out/listen.log" 2>/dev/null && break; sleep 0.1; done
    # IKE (non-ESP marker + 28 bytes of an IKE header), keepalive, ESP (SPI 0x1001, seq 1, 32 bytes)
    local ka=ff
    ike=00000000$(printf "11%.0s" {1..28}) esp=0000100100000001$(printf "ab%.0s" {1..32})
    nsx "$a" python3 "$WIRE" udp-send 198.19.0.1,2001:db8:ff::1 4500 "$ike" "$ka" "$esp" || ok=0
    wait "$lpid"
    got=$(awk '{print $1, substr($2, 1, 8)}' "$out/received" 2>/dev/null | sort | tr '\n' ';')
    want=$(printf '%s\n' "198.19.0.2 00000000" "198.19.0.2 ff" "2001:db8:ff::2 00000000" "2001:db8:ff::2 ff" | sort | tr '\n' ';')
    local marked rest
    marked=$(nsx "$b" nft list counter inet ipsm_interop esp_in_udp | awk '/packets/ {for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1)}')
    rest=$(nsx "$b" nft list counter inet ipsm_interop nat_t_other | awk '/packets/ {for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1)}')
    [ "$got" = "$want" ] && [ "$marked" = 2 ] && [ "$rest" = 4 ] && [ $ok = 1 ] || ok=0
    ip netns del "$a"; ip netns del "$b"
    if [ $ok = 1 ]; then
        rig_pass "steering: ESP in UDP marked for the TUN (2 of 2, v4+v6); IKE and keepalives reach the UDP socket (4 of 4)"
    else
        rig_fail "steering: socket got '${got}' (want '${want}'), marked ${marked:-?} (want 2), unmarked ${rest:-?} (want 4)"
    fi
}

# ---- credentials ----
PSK=$(od -An -tx1 -N 32 /dev/urandom | tr -d ' \n')
make_certs() {
    local side pki_log=$RIG_DIR/pki.log
    for side in "${SIDES[@]}"; do mkdir -p "$RIG_DIR/$side"; done
    [ "$AUTH" = cert ] || return 0
    (
        set -e
        cd "$RIG_DIR"
        pki --gen --type ecdsa --size 256 --outform pem >ca.key
        pki --self --ca --lifetime 30 --in ca.key --type ecdsa --dn "O=ipsec-mesh, CN=ipsec-mesh interop CA" --outform pem >ca.crt
        for side in "${SIDES[@]}"; do
            pki --gen --type ecdsa --size 256 --outform pem >"$side/$side.sec1.key"
            # PKCS#8 ("BEGIN PRIVATE KEY"): what Java reads without help; charon reads it too.
            openssl pkcs8 -topk8 -nocrypt -in "$side/$side.sec1.key" -out "$side/$side.key"
            pki --pub --in "$side/$side.sec1.key" --type ecdsa |
                pki --issue --lifetime 30 --cacert ca.crt --cakey ca.key \
                    --dn "O=ipsec-mesh, CN=${ID[$side]}" --san "${ID[$side]}" --outform pem >"$side/$side.crt"
            chmod 600 "$side/$side.key" "$side/$side.sec1.key"
        done
    ) >"$pki_log" 2>&1 || { cat "$pki_log" >&2; rig_die "pki failed"; }
}

# ---- run ----
steer_selftest

for side in "${SIDES[@]}"; do
    rig_add_ns "${NS[$side]}"
    must nsx "${NS[$side]}" ip addr add "${INNER[$side]}/$PLEN" dev lo
done
make_link "${NS[ours]}" "${NS[peer]}" 198.19.0.1 198.19.0.2 2001:db8:ff::1 2001:db8:ff::2
make_certs

CAP=$RIG_DIR/underlay.pcap
rig_spawn "${NS[ours]}" "$RIG_DIR/tcpdump.log" tcpdump -i under -n -U --immediate-mode -Z root -s 200 -w "$CAP"
CAP_PID=$RIG_SPAWNED_PID
# --fragment: IKE alone (no ESP in UDP, no keepalives), whole frames, for tshark to decrypt.
# libpcap has no udp[] over IPv6: the non-ESP marker sits at ip6[48] (no extension headers).
IKE_CAP=$RIG_DIR/ike.pcap IKE_CAP_PID=
if [ -n "$FRAGMENT" ]; then
    rig_spawn "${NS[ours]}" "$RIG_DIR/tcpdump-ike.log" tcpdump -i under -n -U --immediate-mode -Z root -s 0 \
        -w "$IKE_CAP" 'udp port 500 or (udp port 4500 and ((ip and udp[8:4] = 0) or (ip6 and ip6[48:4] = 0)))'
    IKE_CAP_PID=$RIG_SPAWNED_PID
fi
for ((i = 0; i < 50; i++)); do grep -q 'listening on' "$RIG_DIR/tcpdump.log" 2>/dev/null && break; sleep 0.1; done
grep -q 'listening on' "$RIG_DIR/tcpdump.log" || rig_die "tcpdump did not start: $(cat "$RIG_DIR/tcpdump.log")"
if [ -n "$IKE_CAP_PID" ]; then
    for ((i = 0; i < 50; i++)); do grep -q 'listening on' "$RIG_DIR/tcpdump-ike.log" 2>/dev/null && break; sleep 0.1; done
    grep -q 'listening on' "$RIG_DIR/tcpdump-ike.log" || rig_die "tcpdump (IKE) did not start: $(cat "$RIG_DIR/tcpdump-ike.log")"
fi

# The responder first, so the initiator's first IKE_SA_INIT finds it listening.
if [ "$ROLE" = initiator ]; then ORDER=(peer ours); else ORDER=(ours peer); fi
for side in "${ORDER[@]}"; do
    if side_start "$side"; then
        rig_pass "side up: $side (${IMPL[$side]}, ${SROLE[$side]}, pid ${PID[$side]})"
    else
        rig_fail "side up: $side (${IMPL[$side]}, ${SROLE[$side]}); logs in $RIG_DIR/$side"
        exit 1
    fi
done

T0=$(date +%s.%N)
est=0
for ((i = 0; i < TIMEOUT * 10; i++)); do
    if side_established ours && side_established peer; then est=1; break; fi
    for side in "${SIDES[@]}"; do
        kill -0 "${PID[$side]}" 2>/dev/null || { rig_log "$side (${IMPL[$side]}) exited"; break 2; }
    done
    sleep 0.1
done
if [ $est = 1 ]; then
    what="IKE SA and tunnel-mode CHILD_SA"; [ "$OURS" = dataplane ] && what="manual SAs (no IKE)"
    rig_pass "established: $what on both sides after $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
    for side in "${SIDES[@]}"; do side_show "$side"; done
else
    rig_fail "established: not within ${TIMEOUT}s"
    for side in "${SIDES[@]}"; do
        side_show "$side"
        if [ "${IMPL[$side]}" = charon ]; then tail -n 15 "$RIG_DIR/$side/charon.log" | sed "s/^/      $side log: /"
        else tail -n 15 "$RIG_DIR/$side/ike.log" | sed "s/^/      $side log: /"; fi
    done
    exit 1
fi

# ping: both directions, from inner address to inner address, payload pattern
for dir in "ours peer" "peer ours"; do
    read -r src dst <<<"$dir"
    n=$(rig_ping "${NS[$src]}" "${INNER[$dst]}" 5 -I "${INNER[$src]}" -p "$PATTERN")
    if [ "$n" = 5 ]; then rig_pass "ping $src -> $dst: 5/5 ($(cat "$RIG_DIR/.last-ping-rtt" 2>/dev/null))"
    else rig_fail "ping $src -> $dst: $n/5 replies"; fi
done

# tcp: iperf3 our inner -> peer's inner, then reverse (-R: the peer sends)
iperf_run() {
    local name=$1 out=$RIG_DIR/iperf-$1.json srv rc text; shift
    rig_spawn "${NS[peer]}" "$out.server" iperf3 -s -1 -B "${INNER[peer]}" -p 5201
    srv=$RIG_SPAWNED_PID
    for ((i = 0; i < 50; i++)); do
        nsx "${NS[peer]}" ss -Htln 'sport = :5201' 2>/dev/null | grep -q . && break
        sleep 0.1
    done
    rig_fg "${NS[ours]}" "$out" timeout $((IPERF_SECS + 20)) iperf3 -c "${INNER[peer]}" -B "${INNER[ours]}" \
        -p 5201 -t "$IPERF_SECS" -J --connect-timeout 3000 "$@"
    rc=$?
    rig_stop "$srv" 3 >/dev/null 2>&1
    text=$(python3 - "$out" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
if "error" in d:
    sys.exit("iperf3: " + d["error"])
end = d["end"]
rcv = end["sum_received"]
if rcv["bytes"] == 0:
    sys.exit("iperf3: nothing received")
print(f"{rcv['bytes']} bytes, {rcv['bits_per_second'] / 1e9:.3f} Gbit/s, "
      f"{end['sum_sent'].get('retransmits', 0)} retransmits")
PY
)
    if [ $rc = 0 ] && [ -n "$text" ] && ! [[ $text == iperf3:* ]] && ! [[ $text == Traceback* ]]; then
        rig_pass "tcp $name: $text"
    else
        rig_fail "tcp $name: rc=$rc ${text:0:200}"
    fi
}
if [ "$OURS" = dataplane ]; then
    # Nothing of ours binds UDP 4500 in this mode: a listener there must get the IKE-like
    # datagram and the keepalive the peer sends while ESP in UDP flows into the TUN.
    rig_spawn "${NS[ours]}" "$RIG_DIR/sock-listen.log" python3 "$WIRE" udp-listen 4500 "$RIG_DIR/sock-received" --seconds $((IPERF_SECS + 8))
    SOCK_PID=$RIG_SPAWNED_PID
    for ((i = 0; i < 50; i++)); do grep -q ready "$RIG_DIR/sock-listen.log" 2>/dev/null && break; sleep 0.1; done
    ( sleep 1; nsx "${NS[peer]}" python3 "$WIRE" udp-send --sport 4500 "${UADDR[ours]}" 4500 \
        "00000000$(printf '22%.0s' {1..28})" ff ) >>"$RIG_DIR/sock-listen.log" 2>&1 &
    RIG_PIDS+=("$!")
fi
iperf_run "ours -> peer"
iperf_run "peer -> ours" -R
if [ "$OURS" = dataplane ]; then
    rig_stop "$SOCK_PID" 1 >/dev/null 2>&1
    got=$(awk '{print substr($2, 1, 8)}' "$RIG_DIR/sock-received" 2>/dev/null | tr '\n' ' ')
    if [ "$got" = "00000000 ff " ]; then rig_pass "socket: IKE-like datagram and keepalive reached UDP 4500 during iperf3, no ESP"
    else rig_fail "socket: UDP 4500 listener got '$got' (want '00000000 ff ')"; fi
fi

# ---- more handshakes by the same, now warm, initiator (--timing --handshakes N) ----
if [ -n "$TIMING" ] && [ "$HANDSHAKES" -gt 1 ]; then
    [ "$ROLE" = initiator ] && [ "$PEER" = charon ] || rig_die "--handshakes needs --role initiator --peer charon"
    for ((h = 2; h <= HANDSHAKES; h++)); do
        if [ "$OURS" = ours ]; then
            n0=$(grep -c 'IKE_SA .* established' "$RIG_DIR/ours/ike.log")
            charon_swanctl peer --terminate --ike ipsm >/dev/null 2>&1
            for ((i = 0; i < 100; i++)); do
                [ "$(grep -c 'IKE_SA .* established' "$RIG_DIR/ours/ike.log")" -gt "$n0" ] && break; sleep 0.1
            done
        else
            # Our daemon makes its next IKE SA 2 s (its retransmit timeout) after the peer's
            # DELETE; charon waits as long, so that both initiators come back from the same idle.
            charon_swanctl ours --terminate --ike ipsm >/dev/null 2>&1
            sleep 2
            charon_swanctl ours --initiate --child net >/dev/null 2>&1
        fi
        sleep 0.3
    done
fi

sleep 0.5
rig_stop "$CAP_PID" 5 >/dev/null 2>&1
# charon's userspace ESP always goes in UDP 4500 (it announces a NAT, and we follow); two of
# our daemons see no NAT and send raw ESP.
need=--need-udp-esp; [ "$PEER" = ours ] && [ "$OURS" = ours ] && need=--need-esp
if res=$(python3 "$WIRE" classify "$CAP" --outer "${UADDR[ours]},${UADDR[peer]}" \
        --inner "${INNER[ours]},${INNER[peer]}" --pattern "$PATTERN" "$need"); then
    rig_pass "capture: only IKE / NAT-T / ESP between the nodes: $res"
else
    rig_fail "capture: $res"
fi
if [ -n "$TIMING" ]; then
    echo "TIMING $(python3 "$WIRE" timing "$CAP" 2>&1) [$TAG]"
fi

# ---- IKE fragmentation (--fragment): judged by tshark on the IKE-only capture ----
if [ -n "$FRAGMENT" ]; then
    rig_stop "$IKE_CAP_PID" 5 >/dev/null 2>&1
    # tshark decrypts with our keys log; tshark 4.0 has no ChaCha20-Poly1305 for IKE (no row is written)
    keys=; [ "$OURS" = ours ] && keys=$RIG_DIR/ours/keys
    case $IKE in chacha20poly1305*) keys= ;; esac
    if res=$(python3 "$WIRE" ike-frags "$IKE_CAP" --max-ip "$FRAGMENT" ${keys:+--keys "$keys"}); then
        rig_pass "fragments: $res"
    else
        rig_fail "fragments: $res"
    fi
fi

# ---- rekeying under traffic (--rekey) ----
ours_counter() { awk -F'"} ' -v k="ike_events_total{event=\"$1" 'index($0, k) == 1 {print $2}' "$RIG_DIR/ours/stats"; }
if [ -n "$REKEY" ]; then
    out=$(nsx "${NS[ours]}" timeout 30 ping -n -q -c 500 -i 0.02 -W 2 -I "${INNER[ours]}" "${INNER[peer]}" 2>&1)
    sent=$(awk '/packets transmitted/ {print $1}' <<<"$out"); got=$(awk '/packets transmitted/ {print $4}' <<<"$out")
    if [ -n "$sent" ] && [ "$sent" = "$got" ] && [ "$sent" -gt 0 ]; then
        rig_pass "no loss during rekeys: $got/$sent pings answered (every 20 ms)"
    else
        rig_fail "no loss during rekeys: ${got:-?}/${sent:-?} answered"
    fi
    sleep 0.5
    ci=$(ours_counter child_rekeys_initiated) ca=$(ours_counter child_rekeys_answered)
    ii=$(ours_counter ike_rekeys_initiated) ia=$(ours_counter ike_rekeys_answered)
    if [ "$REKEY" = child ]; then ok=$(( ${ci:-0} >= 3 && ${ia:-0} >= 2 )); else ok=$(( ${ii:-0} >= 2 && ${ca:-0} >= 3 )); fi
    line="ours started ${ci:-0} CHILD_SA and ${ii:-0} IKE SA rekeys, answered charon's ${ca:-0} CHILD_SA and ${ia:-0} IKE SA rekeys"
    if [ "$ok" = 1 ] && charon_established peer; then rig_pass "rekeys: $line; charon still ESTABLISHED/INSTALLED"
    else rig_fail "rekeys: $line"; fi
fi

# ---- liveness (--liveness): charon killed, noticed, restarted, back ----
if [ -n "$LIVENESS" ]; then
    kill -KILL "${PID[peer]}" 2>/dev/null; wait "${PID[peer]}" 2>/dev/null
    t0=$(date +%s.%N) lost=
    for ((i = 0; i < 100; i++)); do
        grep -q 'peer unreachable' "$RIG_DIR/ours/ike.log" && { lost=1; break; }
        sleep 0.1
    done
    dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
    sleep 0.5
    left=$(grep -c '^ipsec_sa_packets_total' "$RIG_DIR/ours/stats")
    if [ -n "$lost" ] && awk -v d="$dt" 'BEGIN {exit !(d <= 7)}' && [ "$left" = 0 ]; then
        rig_pass "liveness: charon killed; ours noticed after ${dt} s and removed its SAs (none left in its stats)"
    else
        rig_fail "liveness: noticed=${lost:-no} after ${dt} s, SAs left in stats: $left"
    fi
    n0=$(grep -c 'CHILD_SA .* established' "$RIG_DIR/ours/ike.log")
    back=
    if side_start peer; then
        for ((i = 0; i < TIMEOUT * 10; i++)); do
            if [ "$(grep -c 'CHILD_SA .* established' "$RIG_DIR/ours/ike.log")" -gt "$n0" ] && charon_established peer; then
                back=1; break
            fi
            sleep 0.1
        done
    fi
    n=$(rig_ping "${NS[ours]}" "${INNER[peer]}" 3 -I "${INNER[ours]}")
    if [ -n "$back" ] && [ "$n" = 3 ]; then
        rig_pass "back: charon restarted, SAs re-established, ping 3/3"
    else
        rig_fail "back: re-established=${back:-no}, ping $n/3"
    fi
fi

# Informational: what our daemon counted, and what the steering rules saw.
for side in "${SIDES[@]}"; do
    [ "${IMPL[$side]}" = charon ] && continue
    echo "INFO  $side: nft esp_in_udp $(nsx "${NS[$side]}" nft list counter inet ipsm_interop esp_in_udp | awk '/packets/ {print $2, $3, $4, $5}'), other UDP 4500 $(nsx "${NS[$side]}" nft list counter inet ipsm_interop nat_t_other | awk '/packets/ {print $2, $3, $4, $5}')"
    if [ -f "$RIG_DIR/$side/stats" ]; then
        echo "INFO  $side stats: protect out $(rig_stat "$RIG_DIR/$side/stats" 'ipsec_packets_total{direction="out",action="protect"}'), in $(rig_stat "$RIG_DIR/$side/stats" 'ipsec_packets_total{direction="in",action="protect"}')"
    else
        echo "INFO  $side: no stats file $RIG_DIR/$side/stats"
    fi
done

echo "RESULT $TAG: $RIG_PASSES passed, $RIG_FAILS failed"
[ "$RIG_FAILS" = 0 ]
