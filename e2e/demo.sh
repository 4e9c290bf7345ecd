#!/usr/bin/env bash
# The demo: two "nodes" and two "pods" as network namespaces. Our IKEv2 daemon on each node
# authenticates the other with certificates made by strongSwan's pki, negotiates a
# transport-mode CHILD_SA for the pod pair and installs it into the userspace ESP data plane;
# then ping and an iperf3 TCP stream between the pods, a capture between the nodes that
# shows only IKE and ESP, and tshark decrypting both with the keys the daemons logged.
# Everything it creates is removed at the end, also on failure or Ctrl-C.
#
# Usage: sudo e2e/demo.sh [two-node-ike.sh options, e.g. --mode tunnel --family 6 --rekey child]
#        sudo e2e/demo.sh --manual [two-node.sh options]   (static keys, no IKE)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export PATH="$JAVA_HOME/bin:$PATH"
if [ "$(id -u)" != 0 ]; then
  echo "demo.sh: needs root (network namespaces, TUN devices): sudo $0" >&2
  exit 1
fi
if [ ! -f sidecar/target/ipsec-mesh-sidecar.jar ] || [ -n "$(find sidecar/src sidecar/pom.xml -newer sidecar/target/ipsec-mesh-sidecar.jar -print -quit)" ]; then
  echo "== building the sidecar (mvn -pl sidecar package)"
  mvn -B -q -ntp -pl sidecar -am -DskipTests package
fi
if [ "${1:-}" = --manual ]; then
  shift
  echo "== two nodes, two pods, ESP with static keys (docs/manual-keying.md, e2e/rig/README.md)"
  exec e2e/rig/two-node.sh "$@"
fi
echo "== two nodes, two pods; IKEv2 between the nodes, ESP between the pods (docs/ike.md)"
[ $# -gt 0 ] || set -- --mode transport --family 4 --auth cert
exec e2e/rig/two-node-ike.sh "$@"
