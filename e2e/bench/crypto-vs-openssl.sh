#!/usr/bin/env bash
# JMH encrypt/decrypt of our ESP pipeline per transform and packet size, next to
# `openssl speed -evp CIPHER -bytes SIZE` on the same machine. Prints a Markdown table.
# Usage: e2e/bench/crypto-vs-openssl.sh [seconds-per-iteration, default 1]
# Takes about 6 minutes with the default (48 JMH runs of 2 warm-up + 3 measured iterations).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-1}
sizes=(64 512 1400 9000)
transforms=(aes128gcm16 aes256gcm16 chacha20poly1305 aes128-sha256 aes256-sha512 null-sha256)

e2e/bench/jmh.sh 'io.ipsecmesh.bench.EspBenchmark' -wi 2 -w "${secs}s" -i 3 -r "${secs}s" -f 1 \
    -p transform="$(IFS=,; echo "${transforms[*]}")" -p size="$(IFS=,; echo "${sizes[*]}")" >e2e/out/jmh-esp.log

# openssl's names for the same ciphers; CBC+HMAC is reported as the cipher alone and the MAC alone.
openssl_rate() { # cipher size -> bytes/s
    openssl speed -evp "$1" -bytes "$2" -seconds "$secs" 2>/dev/null | awk -v s="$2" '$0 ~ " bytes" {next} NF>1 && $NF ~ /k$/ {v=$NF; sub(/k$/,"",v); print v*1000}' | tail -1
}
declare -A ossl
for s in "${sizes[@]}"; do
    ossl[aes128gcm16/$s]=$(openssl_rate aes-128-gcm "$s")
    ossl[aes256gcm16/$s]=$(openssl_rate aes-256-gcm "$s")
    ossl[chacha20poly1305/$s]=$(openssl_rate chacha20-poly1305 "$s")
    ossl[aes128-sha256/$s]=$(openssl_rate aes-128-cbc "$s")
    ossl[aes256-sha512/$s]=$(openssl_rate aes-256-cbc "$s")
    ossl[sha256/$s]=$(openssl_rate sha256 "$s")
    ossl[sha512/$s]=$(openssl_rate sha512 "$s")
done

python3 - "$secs" <<'PY' "$(declare -p ossl)"
import json, sys
secs = sys.argv[1]
decl = sys.argv[2]
import re
ossl = dict(re.findall(r'\[([^\]]+)\]="([^"]*)"', decl))
res = json.load(open("e2e/out/jmh.json"))
rows = {}
for r in res:
    p = r["params"]; name = r["benchmark"].rsplit(".", 1)[1]
    rows.setdefault((p["transform"], int(p["size"])), {})[name] = r["primaryMetric"]["score"] * int(p["size"]) / 1e9
def combined(t, s):
    # CBC+HMAC: one pass of each, so the time is the sum of the two.
    pairs = {"aes128-sha256": ("aes128-sha256", "sha256"), "aes256-sha512": ("aes256-sha512", "sha512"), "null-sha256": (None, "sha256")}
    if t in pairs:
        c, m = pairs[t]
        inv = 1 / float(ossl[f"{m}/{s}"]) + (1 / float(ossl[f"{c}/{s}"]) if c else 0)
        return 1 / inv / 1e9
    return float(ossl[f"{t}/{s}"]) / 1e9
print("| transform | packet bytes | encrypt GB/s | decrypt GB/s | openssl GB/s | encrypt / openssl |")
print("|---|---:|---:|---:|---:|---:|")
for (t, s), v in sorted(rows.items(), key=lambda x: (["aes128gcm16","aes256gcm16","chacha20poly1305","aes128-sha256","aes256-sha512","null-sha256"].index(x[0][0]), x[0][1])):
    o = combined(t, s)
    print(f"| {t} | {s} | {v.get('encrypt',0):.2f} | {v.get('decrypt',0):.2f} | {o:.2f} | {v.get('encrypt',0)/o:.2f} |")
PY
