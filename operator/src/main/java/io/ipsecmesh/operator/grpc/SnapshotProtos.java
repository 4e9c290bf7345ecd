package io.ipsecmesh.operator.grpc;

import com.google.protobuf.ByteString;
import io.ipsecmesh.api.grpc.GroupKey;
import io.ipsecmesh.api.grpc.GroupMember;
import io.ipsecmesh.api.grpc.GroupRole;
import io.ipsecmesh.api.grpc.PairGroup;
import io.ipsecmesh.api.grpc.PeerNode;
import io.ipsecmesh.api.grpc.PortRange;
import io.ipsecmesh.api.grpc.RevokedCertificate;
import io.ipsecmesh.api.grpc.SnapshotDelta;
import io.ipsecmesh.api.grpc.SnapshotUpdate;
import io.ipsecmesh.operator.compiler.NodeDelta;
import io.ipsecmesh.operator.compiler.NodeSnapshot;
import io.ipsecmesh.operator.compiler.PolicyKey;
import io.ipsecmesh.operator.compiler.Protection;
import io.ipsecmesh.operator.compiler.SnapshotKey;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compiler snapshots and deltas as the protobuf messages of controlplane.proto, and the
 * client side: applying a delta to a snapshot. Lists are sorted, so equal snapshots give equal
 * messages.
 */
public final class SnapshotProtos {

    private SnapshotProtos() {
    }

    public static SnapshotUpdate full(NodeSnapshot s) {
        Map<SnapshotKey.Group, PairGroup.Builder> groups = new TreeMap<>(GROUP_ORDER);
        List<io.ipsecmesh.api.grpc.Pod> local = new ArrayList<>();
        List<io.ipsecmesh.api.grpc.Pod> remote = new ArrayList<>();
        List<PeerNode> peers = new ArrayList<>();
        List<RevokedCertificate> revoked = new ArrayList<>();
        Map<SnapshotKey.Group, Members> members = new HashMap<>();
        for (Map.Entry<SnapshotKey, Object> e : s.entries().entrySet()) {
            switch (e.getKey()) {
                case SnapshotKey.LocalPod l -> local.add(pod(l.uid(), (SnapshotKey.PodValue) e.getValue()));
                case SnapshotKey.RemotePod r -> remote.add(pod(r.uid(), (SnapshotKey.PodValue) e.getValue()));
                case SnapshotKey.PeerNode p -> peers.add(peer(p.name(), (SnapshotKey.NodeValue) e.getValue()));
                case SnapshotKey.Group g -> groups.put(g, PairGroup.newBuilder().setKey(key(g.policy(), g.role()))
                        .setProtection(protection((Protection) e.getValue())));
                case SnapshotKey.Member m -> members.computeIfAbsent(new SnapshotKey.Group(m.policy(), m.role()),
                        x -> new Members(new java.util.TreeSet<>(), new java.util.TreeSet<>())).side(m.local()).add(m.uid());
                case SnapshotKey.Revoked r -> revoked.add(revokedCert(r.serial(), (SnapshotKey.RevokedValue) e.getValue()));
            }
        }
        io.ipsecmesh.api.grpc.NodeSnapshot.Builder b = io.ipsecmesh.api.grpc.NodeSnapshot.newBuilder()
                .setNodeName(s.node());
        for (Map.Entry<SnapshotKey.Group, PairGroup.Builder> g : groups.entrySet()) {
            Members m = members.get(g.getKey());
            if (m != null) {
                g.getValue().addAllLocalPods(m.local()).addAllRemotePods(m.remote());
            }
            b.addGroups(g.getValue());
        }
        local.sort(Comparator.comparing(io.ipsecmesh.api.grpc.Pod::getUid));
        remote.sort(Comparator.comparing(io.ipsecmesh.api.grpc.Pod::getUid));
        peers.sort(Comparator.comparing(PeerNode::getName));
        revoked.sort(Comparator.comparing(r -> new BigInteger(1, r.getSerial().toByteArray())));
        b.addAllLocalPods(local).addAllRemotePods(remote).addAllPeerNodes(peers).addAllRevoked(revoked);
        return SnapshotUpdate.newBuilder().setEpoch(s.epoch()).setVersion(s.version()).setFull(b).build();
    }

    public static SnapshotUpdate delta(NodeDelta d) {
        SnapshotDelta.Builder b = SnapshotDelta.newBuilder();
        List<Map.Entry<SnapshotKey, Object>> entries = new ArrayList<>(d.changes().entrySet());
        entries.sort(Comparator.comparing(e -> e.getKey().toString()));
        for (Map.Entry<SnapshotKey, Object> e : entries) {
            Object v = e.getValue();
            switch (e.getKey()) {
                case SnapshotKey.LocalPod l -> {
                    if (v == null) {
                        b.addRemovedLocalPods(l.uid());
                    } else {
                        b.addUpsertedLocalPods(pod(l.uid(), (SnapshotKey.PodValue) v));
                    }
                }
                case SnapshotKey.RemotePod r -> {
                    if (v == null) {
                        b.addRemovedRemotePods(r.uid());
                    } else {
                        b.addUpsertedRemotePods(pod(r.uid(), (SnapshotKey.PodValue) v));
                    }
                }
                case SnapshotKey.PeerNode p -> {
                    if (v == null) {
                        b.addRemovedPeerNodes(p.name());
                    } else {
                        b.addUpsertedPeerNodes(peer(p.name(), (SnapshotKey.NodeValue) v));
                    }
                }
                case SnapshotKey.Group g -> {
                    if (v == null) {
                        b.addRemovedGroups(key(g.policy(), g.role()));
                    } else {
                        b.addUpsertedGroups(PairGroup.newBuilder().setKey(key(g.policy(), g.role()))
                                .setProtection(protection((Protection) v)));
                    }
                }
                case SnapshotKey.Member m -> {
                    GroupMember gm = GroupMember.newBuilder().setKey(key(m.policy(), m.role())).setLocal(m.local())
                            .setPodUid(m.uid()).build();
                    if (v == null) {
                        b.addRemovedMembers(gm);
                    } else {
                        b.addAddedMembers(gm);
                    }
                }
                case SnapshotKey.Revoked r -> {
                    if (v == null) {
                        b.addExpiredRevocations(ByteString.copyFrom(new BigInteger(r.serial(), 16).toByteArray()));
                    } else {
                        b.addAddedRevocations(revokedCert(r.serial(), (SnapshotKey.RevokedValue) v));
                    }
                }
            }
        }
        return SnapshotUpdate.newBuilder().setEpoch(d.epoch()).setVersion(d.version()).setDelta(b).build();
    }

    /**
     * The client side: applies a delta to a full snapshot message, giving the full snapshot of
     * the next version (sorted like {@link #full}).
     */
    public static io.ipsecmesh.api.grpc.NodeSnapshot apply(io.ipsecmesh.api.grpc.NodeSnapshot s, SnapshotDelta d) {
        Map<String, io.ipsecmesh.api.grpc.Pod> local = new TreeMap<>();
        s.getLocalPodsList().forEach(p -> local.put(p.getUid(), p));
        Map<String, io.ipsecmesh.api.grpc.Pod> remote = new TreeMap<>();
        s.getRemotePodsList().forEach(p -> remote.put(p.getUid(), p));
        Map<String, PeerNode> peers = new TreeMap<>();
        s.getPeerNodesList().forEach(p -> peers.put(p.getName(), p));
        Map<BigInteger, RevokedCertificate> revoked = new TreeMap<>();
        s.getRevokedList().forEach(r -> revoked.put(new BigInteger(1, r.getSerial().toByteArray()), r));
        Map<GroupKey, PairGroup.Builder> groups = new LinkedHashMap<>();
        s.getGroupsList().forEach(g -> groups.put(g.getKey(), g.toBuilder()));

        d.getRemovedLocalPodsList().forEach(local::remove);
        d.getUpsertedLocalPodsList().forEach(p -> local.put(p.getUid(), p));
        d.getRemovedRemotePodsList().forEach(remote::remove);
        d.getUpsertedRemotePodsList().forEach(p -> remote.put(p.getUid(), p));
        d.getRemovedPeerNodesList().forEach(peers::remove);
        d.getUpsertedPeerNodesList().forEach(p -> peers.put(p.getName(), p));
        d.getExpiredRevocationsList().forEach(x -> revoked.remove(new BigInteger(1, x.toByteArray())));
        d.getAddedRevocationsList().forEach(r -> revoked.put(new BigInteger(1, r.getSerial().toByteArray()), r));
        d.getRemovedGroupsList().forEach(groups::remove);
        for (PairGroup g : d.getUpsertedGroupsList()) {
            PairGroup.Builder old = groups.get(g.getKey());
            if (old == null) {
                groups.put(g.getKey(), g.toBuilder());
            } else {
                old.setProtection(g.getProtection());
            }
        }
        Map<GroupKey, Members> members = new HashMap<>();
        for (Map.Entry<GroupKey, PairGroup.Builder> g : groups.entrySet()) {
            members.put(g.getKey(), new Members(new java.util.TreeSet<>(g.getValue().getLocalPodsList()),
                    new java.util.TreeSet<>(g.getValue().getRemotePodsList())));
        }
        for (GroupMember m : d.getRemovedMembersList()) {
            Members sets = members.get(m.getKey());
            if (sets != null) {
                sets.side(m.getLocal()).remove(m.getPodUid());
            }
        }
        for (GroupMember m : d.getAddedMembersList()) {
            Members sets = members.get(m.getKey());
            if (sets == null) {
                throw new IllegalStateException("delta adds a member to unknown group " + m.getKey());
            }
            sets.side(m.getLocal()).add(m.getPodUid());
        }
        io.ipsecmesh.api.grpc.NodeSnapshot.Builder b = io.ipsecmesh.api.grpc.NodeSnapshot.newBuilder()
                .setNodeName(s.getNodeName());
        List<GroupKey> keys = new ArrayList<>(groups.keySet());
        keys.sort(PROTO_GROUP_ORDER);
        for (GroupKey k : keys) {
            Members sets = members.get(k);
            b.addGroups(groups.get(k).clearLocalPods().clearRemotePods().addAllLocalPods(sets.local())
                    .addAllRemotePods(sets.remote()));
        }
        b.addAllLocalPods(local.values()).addAllRemotePods(remote.values()).addAllPeerNodes(peers.values())
                .addAllRevoked(revoked.values());
        return b.build();
    }

    private record Members(java.util.SortedSet<String> local, java.util.SortedSet<String> remote) {
        java.util.SortedSet<String> side(boolean isLocal) {
            return isLocal ? local : remote;
        }
    }

    static final Comparator<SnapshotKey.Group> GROUP_ORDER = Comparator
            .comparing((SnapshotKey.Group g) -> g.policy()).thenComparing(SnapshotKey.Group::role);
    static final Comparator<GroupKey> PROTO_GROUP_ORDER = Comparator
            .comparing((GroupKey g) -> new PolicyKey(g.getPolicyNamespace(), g.getPolicyName()))
            .thenComparing(g -> g.getRole() == GroupRole.SELECTED ? 0 : 1);

    static GroupKey key(PolicyKey p, SnapshotKey.Role role) {
        return GroupKey.newBuilder().setPolicyNamespace(p.namespace()).setPolicyName(p.name())
                .setRole(role == SnapshotKey.Role.SELECTED ? GroupRole.SELECTED : GroupRole.PEER).build();
    }

    static io.ipsecmesh.api.grpc.Pod pod(String uid, SnapshotKey.PodValue v) {
        return io.ipsecmesh.api.grpc.Pod.newBuilder().setUid(uid).setNamespace(v.namespace()).setName(v.name())
                .addAllAddresses(v.addresses()).setNodeName(v.node()).build();
    }

    static PeerNode peer(String name, SnapshotKey.NodeValue v) {
        return PeerNode.newBuilder().setName(name).addAllAddresses(v.addresses()).build();
    }

    static RevokedCertificate revokedCert(String serialHex, SnapshotKey.RevokedValue v) {
        return RevokedCertificate.newBuilder().setSerial(ByteString.copyFrom(new BigInteger(serialHex, 16).toByteArray()))
                .setNotAfterEpochSeconds(v.notAfterEpochSeconds()).build();
    }

    static io.ipsecmesh.api.grpc.Protection protection(Protection p) {
        io.ipsecmesh.api.grpc.Protection.Builder b = io.ipsecmesh.api.grpc.Protection.newBuilder()
                .setMode(p.mode()).setProtocol(p.protocol()).setEnforcement(p.enforcement())
                .addAllIkeProposals(p.ikeProposals()).addAllChildProposals(p.childProposals())
                .setIkeLifetimeSeconds(p.ikeLifetimeSeconds()).setChildLifetimeSeconds(p.childLifetimeSeconds())
                .setChildLifetimeBytes(p.childLifetimeBytes()).setChildLifetimePackets(p.childLifetimePackets())
                .addAllExternalCidrs(p.externalCidrs()).setComplianceProfile(p.complianceProfile());
        for (Protection.PortRange r : p.ports()) {
            b.addPorts(PortRange.newBuilder().setProtocol(r.protocol()).setPort(r.port()).setEndPort(r.endPort()));
        }
        return b.build();
    }
}
