#!/usr/bin/env bash
# Bench runner for the policy compiler: 1,000 nodes, 20,000 pods, 200 policies, in a 1 GiB heap.
# Usage: operator/bench-compiler.sh [updates]     (numbers: docs/operator.md)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export PATH="$JAVA_HOME/bin:$PATH"
build=${IPSM_BUILD_DIR:-/tmp/ipsm-bench-build}
mvn -B -ntp -q -pl operator -am test-compile dependency:build-classpath -Dipsm.build.dir="$build" \
  -Dmdep.outputFile="$build/operator.classpath" -Dmdep.includeScope=test
cp="$build/ipsec-mesh-operator/test-classes:$build/ipsec-mesh-operator/classes:$(cat "$build/operator.classpath")"
exec java -Xms1g -Xmx1g -XX:+UseParallelGC -cp "$cp" io.ipsecmesh.operator.bench.CompilerBench "$@"
