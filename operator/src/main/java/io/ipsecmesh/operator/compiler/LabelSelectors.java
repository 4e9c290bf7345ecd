package io.ipsecmesh.operator.compiler;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Kubernetes label selector semantics (matchLabels AND matchExpressions), and their validation. */
public final class LabelSelectors {

    private LabelSelectors() {
    }

    /** True when every term matches; an empty selector matches everything. Assumes a valid selector. */
    public static boolean matches(LabelSelector selector, Map<String, String> labels) {
        Map<String, String> l = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null) {
            for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
                if (!e.getValue().equals(l.get(e.getKey()))) {
                    return false;
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String v = l.get(r.getKey());
                boolean ok = switch (r.getOperator()) {
                    case "In" -> v != null && r.getValues().contains(v);
                    case "NotIn" -> v == null || !r.getValues().contains(v);
                    case "Exists" -> v != null;
                    case "DoesNotExist" -> v == null;
                    default -> throw new IllegalArgumentException("operator " + r.getOperator());
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Problems a user can fix, each prefixed with the field path. */
    public static List<String> validate(LabelSelector selector, String path) {
        List<String> problems = new ArrayList<>();
        if (selector.getMatchLabels() != null) {
            for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
                if (e.getKey() == null || e.getKey().isBlank()) {
                    problems.add(path + ".matchLabels has an empty key");
                }
                if (e.getValue() == null) {
                    problems.add(path + ".matchLabels." + e.getKey() + " has no value (write \"\" for an empty one)");
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (int i = 0; i < selector.getMatchExpressions().size(); i++) {
                LabelSelectorRequirement r = selector.getMatchExpressions().get(i);
                String p = path + ".matchExpressions[" + i + "]";
                if (r.getKey() == null || r.getKey().isBlank()) {
                    problems.add(p + " has no key");
                }
                List<String> values = r.getValues() == null ? List.of() : r.getValues();
                String op = r.getOperator();
                if (op == null) {
                    problems.add(p + " has no operator (In, NotIn, Exists or DoesNotExist)");
                } else {
                    switch (op) {
                        case "In", "NotIn" -> {
                            if (values.isEmpty()) {
                                problems.add(p + ": operator " + op + " needs at least one value");
                            }
                        }
                        case "Exists", "DoesNotExist" -> {
                            if (!values.isEmpty()) {
                                problems.add(p + ": operator " + op + " takes no values, got " + values);
                            }
                        }
                        default -> problems.add(p + ": operator '" + op
                                + "' is not one of In, NotIn, Exists, DoesNotExist");
                    }
                }
            }
        }
        return problems;
    }
}
