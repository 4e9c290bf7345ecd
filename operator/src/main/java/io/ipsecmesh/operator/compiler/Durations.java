package io.ipsecmesh.operator.compiler;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations written as Kubernetes (and CEL's duration()) accept them: 24h, 90m, 1h30m, 45s. */
public final class Durations {

    private static final Pattern WHOLE = Pattern.compile("([0-9]+(h|ms|m|s))+");
    private static final Pattern PART = Pattern.compile("([0-9]+)(h|ms|m|s)");

    private Durations() {
    }

    /** Milliseconds; throws with an example of a valid value. */
    public static long parseMillis(String text) {
        if (text == null || !WHOLE.matcher(text).matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; write e.g. 24h, 90m, 1h30m or 45s");
        }
        long total = 0;
        Matcher m = PART.matcher(text);
        while (m.find()) {
            long n = Long.parseLong(m.group(1));
            total = Math.addExact(total, switch (m.group(2)) {
                case "h" -> Math.multiplyExact(n, 3_600_000L);
                case "m" -> Math.multiplyExact(n, 60_000L);
                case "s" -> Math.multiplyExact(n, 1000L);
                default -> n;
            });
        }
        return total;
    }
}
