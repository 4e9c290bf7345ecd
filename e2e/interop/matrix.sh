#!/usr/bin/env bash
# e2e/interop/matrix.sh [-- EXTRA ARGS]: strongswan.sh over the acceptance scenarios of issue 3
# (each role x cert/psk with the default proposal, a MODP group, Curve25519 with
# ChaCha20-Poly1305, IPv6), one summary line each; exit 0 only if all passed.
# EXTRA ARGS go to every run, e.g. `-- --ours charon` (charon vs charon, tests the harness).
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
[ "${1:-}" = -- ] && shift
EXTRA=("$@")
SCENARIOS=(
    "--role initiator --auth cert"
    "--role initiator --auth psk"
    "--role responder --auth cert"
    "--role responder --auth psk"
    "--role initiator --ike aes128-sha256-modp2048 --esp aes128-sha256"
    "--role responder --ike aes128-sha256-modp2048"
    "--role initiator --ike chacha20poly1305-prfsha256-x25519 --esp chacha20poly1305"
    "--role responder --ike chacha20poly1305-prfsha256-x25519 --auth psk"
    "--role initiator --family 6"
    "--role responder --family 6 --auth psk"
)
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
