#!/usr/bin/env bash
# e2e/interop/matrix.sh [-- EXTRA ARGS]: strongswan.sh over the acceptance scenarios of issue 3
# (each role x cert/psk with the default proposal, a MODP group, Curve25519 with
# ChaCha20-Poly1305, IPv6), one summary line each; exit 0 only if all passed.
# EXTRA ARGS go to every run, e.g. `-- --ours charon` (charon vs charon, tests the harness).
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ "${1:-}" = -- ] && shift
EXTRA=("$@")
mapfile -t SCENARIOS < <(grep -v '^\s*#' "$HERE/scenarios.txt" | grep -v '^\s*$')
fails=0
for s in "${SCENARIOS[@]}"; do
    read -r -a args <<<"$s"
    out=$("$HERE/strongswan.sh" "${args[@]}" "${EXTRA[@]}" 2>&1)
    rc=$?
    res=$(grep '^RESULT' <<<"$out" | tail -1)
    timing=$(grep '^TIMING' <<<"$out" | sed 's/ \[.*//')
    if [ $rc = 0 ]; then echo "ok    $s ${EXTRA[*]}: ${res#RESULT } ${timing}"
    else
        fails=$((fails + 1))
        echo "FAIL  $s ${EXTRA[*]}: rc=$rc ${res#RESULT }"
        grep -E '^(FAIL|FATAL)|kept work dir' <<<"$out" | sed 's/^/        /'
    fi
done
echo "MATRIX: $(( ${#SCENARIOS[@]} - fails )) of ${#SCENARIOS[@]} passed"
[ $fails = 0 ]
