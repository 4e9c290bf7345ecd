#!/usr/bin/env bash
# Runs the JMH benchmarks of the ESP core (e2e/src/main/java/io/ipsecmesh/bench).
# Usage: e2e/bench/jmh.sh [JMH options, e.g. 'EspBenchmark' -p transform=aes128gcm16 -p size=1400]
# Builds sidecar and e2e first (skipping tests). Results in JSON: e2e/out/jmh.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export PATH="$JAVA_HOME/bin:$PATH"
mkdir -p e2e/out
# One reactor run: package both modules, then write e2e's runtime class path (the last module wins).
mvn -B -q -ntp -pl sidecar,e2e -am -DskipTests package dependency:build-classpath \
    -Dmdep.outputFile="$PWD/e2e/out/jmh.classpath" -Dmdep.includeScope=runtime
cp="e2e/target/classes:$(cat e2e/out/jmh.classpath)"
exec java --enable-native-access=ALL-UNNAMED -cp "$cp" org.openjdk.jmh.Main -rf json -rff e2e/out/jmh.json "$@"
