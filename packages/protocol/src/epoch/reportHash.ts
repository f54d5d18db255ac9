import { canonicalJson, sha256Hex } from "@flock/core";

/**
 * The hash posted on-chain for an epoch report: sha256 of its canonical JSON, as 0x-prefixed bytes32.
 * Anyone holding a published report can recompute it and compare with the posted value.
 */
export function epochReportHash(report: unknown): `0x${string}` {
  return `0x${sha256Hex(canonicalJson(report))}`;
}
