#!/usr/bin/env bash
# e2e/rig/matrix.sh: run two-node.sh over a matrix of scenarios, one after the other, and
# print one summary line per scenario. Exit status 0 only if all passed.
#
#   e2e/rig/matrix.sh [--quick] [-- extra two-node.sh options]
#
# --quick: 4 scenarios (transport/tunnel x IPv4/IPv6, ESP AES-GCM). Default: 16 scenarios
# covering both modes and families, ESP with every cipher, AH, ESN, UDP encapsulation.
# Logs: $TMPDIR/ipsm-matrix-<pid>/<n>.log (kept).
set -u -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
QUICK= EXTRA=()
while [ $# -gt 0 ]; do
    case $1 in
        --quick) QUICK=1; shift ;;
        --) shift; EXTRA=("$@"); break ;;
        -h|--help) sed -n '2,10p' "$0" | cut -c3-; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
if [ -n "$QUICK" ]; then
    SCEN=(
        "--mode transport --family 4"
        "--mode transport --family 6"
        "--mode tunnel --family 4"
        "--mode tunnel --family 6"
    )
else
    SCEN=()
    while IFS= read -r line; do
        case $line in ''|'#'*) continue ;; esac
        SCEN+=("$line")
    done <"$here/scenarios.txt"
fi
dir=${TMPDIR:-/tmp}/ipsm-matrix-$$
mkdir -p "$dir"
fails=0 n=0
for s in "${SCEN[@]}"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    timeout 300 "$here/two-node.sh" $s "${EXTRA[@]}" >"$dir/$n.log" 2>&1
    rc=$?
    summary=$(grep -E '^RESULT' "$dir/$n.log" | tail -1)
    iperf=$(grep -oE 'iperf3 TCP pod1 -> pod2 [0-9]+s: [0-9.]+ Gbit/s' "$dir/$n.log" | grep -oE '[0-9.]+ Gbit/s' | head -1)
    if [ $rc = 0 ]; then st=PASS; else st=FAIL; fails=$((fails + 1)); fi
    printf '%s  %-75s %s  %s\n' "$st" "$s" "${summary:-no RESULT line (rc=$rc)}" "${iperf:+iperf3 $iperf}"
    [ $rc = 0 ] || grep -E '^(FAIL|FATAL)' "$dir/$n.log" | sed 's/^/        /' | cut -c1-220
done
echo "MATRIX: $((n - fails))/$n scenarios passed; logs in $dir"
[ $fails = 0 ]
