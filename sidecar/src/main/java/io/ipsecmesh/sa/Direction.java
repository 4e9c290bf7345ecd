package io.ipsecmesh.sa;

/** Direction of an SA or a policy, seen from this node. */
public enum Direction {
    IN, OUT;

    public static Direction parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "in" -> IN;
            case "out" -> OUT;
            default -> throw new IllegalArgumentException("direction must be 'in' or 'out', not '" + s + "'");
        };
    }
}
