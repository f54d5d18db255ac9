/**
 * The EIP-712 definition every signed request uses, shared by the coordinator (which verifies) and the SDK
 * (which signs). The domain binds both the chain the network settles on (`chainId`, so one key signs for the
 * API and the chain, SPEC §5) and the deployment (`verifyingContract` = its TaskStaking address), so two
 * networks on one chain cannot accept each other's requests.
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

/** The EIP-712 domain of one Flock request: the network's name and version, its chain, its deployment. */
export interface RequestDomain {
  name: "Flock";
  version: "1";
  chainId: number;
  verifyingContract: `0x${string}`;
}

/**
 * The EIP-712 domain for the deployment whose TaskStaking contract is `verifyingContract` on `chainId`
 * (both from `GET /health`). The address is lowercased: EIP-712 hashes it as 20 bytes, so its case never
 * changes the signature.
 */
export function requestDomain(chainId: number, verifyingContract: string): RequestDomain {
  return {
    ...REQUEST_SIGNING.domain,
    chainId,
    verifyingContract: verifyingContract.toLowerCase() as `0x${string}`,
  };
}
