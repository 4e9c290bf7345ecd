#!/usr/bin/env bash
# IKE_SA_INIT request -> IKE_AUTH response time on the wire against charon (issue 3,
# acceptance 6): our daemon as initiator, next to charon as initiator (charon vs charon), both
# with ECDSA P-256 certificates and ECP-256. Each run starts a fresh initiator, which makes
# HANDSHAKES handshakes one after the other (e2e/interop/strongswan.sh --timing --handshakes):
# the first shows a cold start, the others a warm daemon, as in a mesh that has been up for a
# while. Prints every run, then the medians of the first and of the warm handshakes.
# Needs root (namespaces).
# Usage: sudo e2e/bench/ike-timing.sh [RUNS [HANDSHAKES]]   (defaults 3 and 11)
set -u -o pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
handshakes=${2:-11}
median() { sort -n | awk '{a[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for ours in ours charon; do
    : >"/tmp/ike-timing-$ours-first"
    : >"/tmp/ike-timing-$ours-warm"
done
# Ours and charon take turns, run by run, so that a machine getting slower or faster over the
# minutes of the benchmark weighs on both rows alike.
for ((i = 1; i <= runs; i++)); do
    for ours in ours charon; do
        line=$(e2e/interop/strongswan.sh --role initiator --auth cert --timing --handshakes "$handshakes" \
            --ours "$ours" 2>&1 | grep '^TIMING')
        echo "$ours run $i: ${line:-failed}"
        all=$(sed -n 's/.*all: \([0-9. ]*\)).*/\1/p' <<<"$line")
        [ -n "$all" ] || continue
        awk '{print $1}' <<<"$all" >>"/tmp/ike-timing-$ours-first"
        tr ' ' '\n' <<<"$all" | tail -n +2 | grep . >>"/tmp/ike-timing-$ours-warm"
    done
done
echo "RESULT IKE_SA_INIT -> IKE_AUTH, ours (initiator) vs charon: first $(median </tmp/ike-timing-ours-first) ms," \
    "warm $(median </tmp/ike-timing-ours-warm) ms; charon vs charon: first $(median </tmp/ike-timing-charon-first) ms," \
    "warm $(median </tmp/ike-timing-charon-warm) ms (medians; $runs runs of $handshakes handshakes)"
