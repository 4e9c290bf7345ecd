package io.ipsecmesh.operator.compiler;

/** An IPsecPolicy's namespace and name. */
public record PolicyKey(String namespace, String name) implements Comparable<PolicyKey> {

    @Override
    public int compareTo(PolicyKey o) {
        int c = namespace.compareTo(o.namespace);
        return c != 0 ? c : name.compareTo(o.name);
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
