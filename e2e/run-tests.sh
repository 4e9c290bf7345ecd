#!/usr/bin/env bash
# Runs every test: unit tests, tshark verification, and the namespace rig (root needed).
# Usage: sudo e2e/run-tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export PATH="$JAVA_HOME/bin:$PATH"
if [ "$(id -u)" != 0 ]; then
  echo "run-tests.sh: needs root (network namespaces, TUN devices): sudo $0" >&2
  exit 1
fi
mvn -B -ntp verify "$@"
