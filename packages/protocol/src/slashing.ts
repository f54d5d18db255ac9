import { BPS } from "@flock/core";
import { readAmount, readBps } from "./validate.ts";

/** The prover's share of a slash: 10% [FLock v1], in bps. */
export const PROVER_SHARE_BPS = 1000n;

/** A slash: the amount taken from stake, the prover's part, and the rest for the pool or treasury. */
export interface Slash {
  slashed: bigint;
  toProver: bigint;
  toPool: bigint;
}

/**
 * SPEC §3: slash a fraction of stake; 10% to whoever proved the fault, 90% to the pool or treasury.
 * slashed = floor(stake · fraction / 10000); toProver = floor(slashed · 1000 / 10000); toPool = the rest.
 */
export function slash(stake: bigint, fractionBps: bigint | number): Slash {
  const s = readAmount(stake, "stake");
  const fraction = readBps(fractionBps, "fractionBps");
  const slashed = (s * fraction) / BPS;
  const toProver = (slashed * PROVER_SHARE_BPS) / BPS;
  return { slashed, toProver, toPool: slashed - toProver };
}
