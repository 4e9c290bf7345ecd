#!/usr/bin/env bash
# IKE_SA_INIT request -> IKE_AUTH response time on the wire, our daemon as initiator against
# charon, next to charon against charon (both with ECDSA P-256 certificates and ECP-256), each
# the first handshake of a freshly started initiator, RUNS times (default 5); prints every
# run and the medians. Needs root (namespaces). Uses e2e/interop/strongswan.sh --timing.
# Usage: sudo e2e/bench/ike-timing.sh [RUNS]
set -u -o pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
median() { sort -n | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for ours in ours charon; do
    : >"/tmp/ike-timing-$ours"
    for ((i = 1; i <= runs; i++)); do
        line=$(e2e/interop/strongswan.sh --role initiator --auth cert --timing --ours "$ours" 2>&1 | grep '^TIMING')
        ms=$(awk '{print $2}' <<<"$line")
        echo "$ours run $i: ${ms:-failed} ms"
        [ -n "$ms" ] && echo "$ms" >>"/tmp/ike-timing-$ours"
    done
done
echo "RESULT IKE_SA_INIT -> IKE_AUTH median: ours (initiator) vs charon $(median </tmp/ike-timing-ours) ms, charon vs charon $(median </tmp/ike-timing-charon) ms"
