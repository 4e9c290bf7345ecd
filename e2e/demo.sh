#!/usr/bin/env bash
# The demo: two "nodes" and two "pods" as network namespaces, the ipsec-mesh data plane on
# each node with SAs from a manual-keying file (transport-mode ESP, AES-GCM by default), then
# ping, an iperf3 TCP stream, captures between the nodes that show only ESP, replayed and
# tampered packets dropped and counted, and a discard policy. Everything it creates is removed
# at the end, also on failure or Ctrl-C.
#
# Usage: sudo e2e/demo.sh [two-node.sh options, e.g. --mode tunnel --family 6 --encap udp]
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export PATH="$JAVA_HOME/bin:$PATH"
if [ "$(id -u)" != 0 ]; then
  echo "demo.sh: needs root (network namespaces, TUN devices): sudo $0" >&2
  exit 1
fi
if [ ! -f sidecar/target/ipsec-mesh-sidecar.jar ] || [ -n "$(find sidecar/src -newer sidecar/target/ipsec-mesh-sidecar.jar -print -quit)" ]; then
  echo "== building the sidecar (mvn -pl sidecar package)"
  mvn -B -q -ntp -pl sidecar -DskipTests package
fi
echo "== two nodes, two pods, ESP between them (docs/manual-keying.md, e2e/rig/README.md)"
exec e2e/rig/two-node.sh "$@"
