package io.ipsecmesh.sa;

/**
 * One SPD entry.
 *
 * @param saName   the SA that protects the traffic, for {@link PolicyAction#PROTECT} (outbound: the SA
 *                 used to send; inbound: the SA the traffic must have arrived through)
 * @param priority lower wins; among equal priorities the more specific selector wins, then the
 *                 entry installed first
 */
public record Policy(Direction direction, TrafficSelector selector, PolicyAction action, String saName, int priority) {

    public static final int DEFAULT_PRIORITY = 1000;

    public Policy {
        if (action == PolicyAction.PROTECT && (saName == null || saName.isBlank())) {
            throw new IllegalArgumentException("a protect policy needs an SA");
        }
        if (action != PolicyAction.PROTECT && saName != null) {
            throw new IllegalArgumentException("only a protect policy names an SA");
        }
    }

    @Override
    public String toString() {
        return "policy " + direction.name().toLowerCase() + " " + selector + " " + action.name().toLowerCase()
                + (saName != null ? " sa " + saName : "") + " priority " + priority;
    }
}
