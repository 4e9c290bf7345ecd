#!/usr/bin/env bash
# e2e/rig/iperf-baseline.sh: the "plain veth" reference for two-node.sh --bench.
# Same topology (pod1 - node1 - underlay - node2 - pod2, same MTUs), no IPsec plumbing:
# plain forwarding. Runs iperf3 TCP pod1 -> pod2 and prints Gbit/s.
#
#   e2e/rig/iperf-baseline.sh [--seconds N] [--family 4|6] [--parallel P] [--reverse]
set -u -o pipefail
. "$(dirname "$0")/lib.sh"

SECS=10 FAMILY=4 PARALLEL=1 REVERSE=
usage() { sed -n '2,7p' "$0"; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) SECS=$2; shift 2 ;;
        --family) FAMILY=$2; shift 2 ;;
        --parallel) PARALLEL=$2; shift 2 ;;
        --reverse) REVERSE=-R; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown option $1" >&2; usage ;;
    esac
done
case $FAMILY in 4|6) ;; *) rig_die "--family 4|6" ;; esac

rig_require_tools
rig_init baseline
rig_create_topology

dst=$POD2_4; [ "$FAMILY" = 6 ] && dst=$POD2_6
got=$(rig_ping "$NS_POD1" "$dst" 3)
if [ "$got" = 3 ]; then rig_pass "baseline ping pod1->pod2 IPv$FAMILY ($got/3)"; else rig_fail "baseline ping pod1->pod2 IPv$FAMILY ($got/3)"; fi

if rig_iperf "$SECS" "$FAMILY" "$RIG_DIR/iperf.json" -P "$PARALLEL" -O 2 $REVERSE; then
    rig_pass "baseline iperf3 TCP IPv$FAMILY ${SECS}s -P $PARALLEL ${REVERSE:+reverse }plain veth: $RIG_IPERF_TEXT"
    echo "BASELINE plain-veth IPv$FAMILY: $RIG_IPERF_GBPS Gbit/s"
else
    rig_fail "baseline iperf3 TCP IPv$FAMILY: $RIG_IPERF_TEXT"
fi
[ "$RIG_FAILS" -eq 0 ]
