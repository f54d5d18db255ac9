/**
 * The EIP-712 definition every signed request uses, shared by the coordinator (which verifies) and the SDK
 * (which signs). The domain's `chainId` is the chain the network settles on, so one key signs for the API and
 * the chain (SPEC §5).
 */
export const REQUEST_SIGNING = {
  domain: { name: "Flock", version: "1" },
  primaryType: "FlockRequest",
  types: {
    FlockRequest: [
      { name: "method", type: "string" },
      { name: "path", type: "string" },
      { name: "bodyHash", type: "bytes32" },
      { name: "timestamp", type: "uint64" },
      { name: "nonce", type: "bytes32" },
    ],
  },
  headers: {
    address: "x-flock-address",
    timestamp: "x-flock-timestamp",
    nonce: "x-flock-nonce",
    signature: "x-flock-signature",
  },
  /** Seconds a signed request stays acceptable either side of the server's clock. */
  maxSkewSeconds: 60,
} as const;

/** The EIP-712 domain for a network settling on `chainId`. */
export function requestDomain(chainId: number): { name: "Flock"; version: "1"; chainId: number } {
  return { ...REQUEST_SIGNING.domain, chainId };
}
