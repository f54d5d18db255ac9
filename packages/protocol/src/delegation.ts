import { BPS, ValidationError } from "@flock/core";
import { distributeProRata, type ProRata } from "./proRata.ts";
import { readAmount, readBps, readCount } from "./validate.ts";

/** The network's bounds on a pool's reward-sharing σ, in bps. */
export interface SigmaBounds {
  minBps: bigint;
  maxBps: bigint;
}

/** Check σ bounds: 0 ≤ σmin ≤ σmax ≤ 10000 bps. */
export function readSigmaBounds(minBps: unknown, maxBps: unknown): SigmaBounds {
  const min = readBps(minBps, "σmin");
  const max = readBps(maxBps, "σmax");
  if (min > max) {
    throw new ValidationError("SIGMA_BOUNDS_INVERTED", `σmin ${min} bps is above σmax ${max} bps`, {
      hint: "set σmin ≤ σmax",
    });
  }
  return { minBps: min, maxBps: max };
}

/**
 * The σ a pool actually uses: its declared σ clamped to the network's current [σmin, σmax] (the bounds may
 * have moved since the pool set σ). A declared σ outside [0, 10000] bps is malformed and rejected.
 */
export function clampSigma(sigmaBps: unknown, bounds: SigmaBounds): bigint {
  let sigma: bigint;
  try {
    sigma = readBps(sigmaBps, "σ");
  } catch (cause) {
    throw new ValidationError("SIGMA_OUT_OF_RANGE", `σ ${String(sigmaBps)} bps is outside [0, 10000]`, {
      hint: "σ is the share of the delegation gain the participant keeps, in bps from 0 to 10000",
      cause,
    });
  }
  if (sigma < bounds.minBps) return bounds.minBps;
  if (sigma > bounds.maxBps) return bounds.maxBps;
  return sigma;
}

/** A participant's reward with delegation, split between the participant and its pool. */
export interface DelegationSplit {
  participant: bigint;
  pool: bigint;
  sigmaBps: bigint;
}

/**
 * SPEC §3 [FLock V2.1]: with pw / po the reward with / without delegated stake, the participant keeps
 * po + σ·(pw − po) and the pool gets (1 − σ)·(pw − po). Integer form:
 *   pool = floor((10000 − σ) · (pw − po) / 10000),  participant = pw − pool   (so they sum to pw).
 * po > pw cannot happen with monotone shares; it is treated as no gain (pool = 0).
 */
export function delegationSplit(
  pw: bigint,
  po: bigint,
  sigmaBps: unknown,
  bounds: SigmaBounds,
): DelegationSplit {
  const withDelegation = readAmount(pw, "pw");
  const withoutDelegation = readAmount(po, "po");
  const sigma = clampSigma(sigmaBps, bounds);
  const gain = withDelegation > withoutDelegation ? withDelegation - withoutDelegation : 0n;
  const pool = ((BPS - sigma) * gain) / BPS;
  return { participant: withDelegation - pool, pool, sigmaBps: sigma };
}

/** One delegator's position in a pool during the epoch. */
export interface Delegation {
  account: string;
  amount: bigint;
  seconds: bigint | number;
}

/**
 * SPEC §3: inside a pool, rewards split by time-weighted delegation: share_d = amount_d · seconds_d /
 * Σ amount · seconds (floor; the remainder is returned as dust).
 */
export function timeWeightedSplit(poolReward: bigint, delegations: readonly Delegation[]): ProRata {
  return distributeProRata(
    readAmount(poolReward, "poolReward"),
    delegations.map(
      (d, i) =>
        readAmount(d.amount, `delegations[${i}].amount`) * readCount(d.seconds, `delegations[${i}].seconds`),
    ),
  );
}
