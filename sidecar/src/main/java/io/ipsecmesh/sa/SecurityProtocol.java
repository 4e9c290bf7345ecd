package io.ipsecmesh.sa;

/** The IPsec security protocols, with their IP protocol numbers. */
public enum SecurityProtocol {
    /** RFC 4303. */
    ESP(50),
    /** RFC 4302: integrity only. */
    AH(51);

    private final int ipProtocol;

    SecurityProtocol(int ipProtocol) {
        this.ipProtocol = ipProtocol;
    }

    public int ipProtocol() {
        return ipProtocol;
    }

    public static SecurityProtocol parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "esp" -> ESP;
            case "ah" -> AH;
            default -> throw new IllegalArgumentException("protocol must be 'esp' or 'ah', not '" + s + "'");
        };
    }
}
