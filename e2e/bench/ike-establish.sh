#!/usr/bin/env bash
# IKE_SA + CHILD_SA establishments per second between two of our IKE engines (ECP-256, ECDSA
# P-256 certificates made with strongSwan's pki); see IkeEstablishBench.
# Usage: e2e/bench/ike-establish.sh [COUNT [WINDOW [IKE_PROPOSAL]]]   (defaults 3000 32 aes128gcm16-prfsha256-ecp256)
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export PATH="$JAVA_HOME/bin:$PATH"
command -v pki >/dev/null || { echo "needs strongSwan's pki (apt-get install strongswan-pki)" >&2; exit 1; }
d=e2e/out/ike-bench-pki
mkdir -p "$d"
if [ ! -f "$d/b.crt" ]; then
    pki --gen --type ecdsa --size 256 --outform pem >"$d/ca.key" 2>/dev/null
    pki --self --ca --lifetime 30 --in "$d/ca.key" --type ecdsa --dn "CN=ipsm bench CA" --outform pem >"$d/ca.crt" 2>/dev/null
    for n in a b; do
        pki --gen --type ecdsa --size 256 --outform pem >"$d/$n.key" 2>/dev/null
        pki --pub --in "$d/$n.key" --type ecdsa 2>/dev/null | pki --issue --lifetime 30 --cacert "$d/ca.crt" \
            --cakey "$d/ca.key" --dn "CN=$n.ipsm.test" --san "$n.ipsm.test" --outform pem >"$d/$n.crt" 2>/dev/null
    done
fi
mkdir -p e2e/out
mvn -B -q -ntp -pl sidecar,e2e -am -DskipTests package dependency:build-classpath \
    -Dmdep.outputFile="$PWD/e2e/out/bench.classpath" -Dmdep.includeScope=runtime
cp="e2e/target/classes:$(cat e2e/out/bench.classpath)"
exec java -Xmx2g -cp "$cp" io.ipsecmesh.bench.IkeEstablishBench "${1:-3000}" "${2:-32}" "${3:-aes128gcm16-prfsha256-ecp256}" "$d"
