package io.ipsecmesh.sa;

/** What a policy does with the packets it covers (RFC 4301 §4.4.1: PROTECT, BYPASS, DISCARD). */
public enum PolicyAction {
    PROTECT, BYPASS, DISCARD
}
