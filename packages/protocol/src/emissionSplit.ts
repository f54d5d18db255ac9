import { BPS, ValidationError } from "@flock/core";
import { distributeProRata, type ProRata } from "./proRata.ts";
import { readAmount, readBps } from "./validate.ts";

/** The daily emission split between FL Alliance and the Arena. */
export interface EmissionSplit {
  fl: bigint;
  arena: bigint;
}

/**
 * SPEC §3: the FL share is E · S_FL / (S_arena + S_FL) (floor); the Arena gets the rest, so
 * fl + arena == E. With no stake anywhere, everything goes to the Arena.
 */
export function splitEmission(emission: bigint, arenaStake: bigint, flStake: bigint): EmissionSplit {
  const e = readAmount(emission, "emission");
  const sArena = readAmount(arenaStake, "arenaStake");
  const sFl = readAmount(flStake, "flStake");
  const total = sArena + sFl;
  const fl = total === 0n ? 0n : (e * sFl) / total;
  return { fl, arena: e - fl };
}

/** SPEC §3: the Arena emission splits over tasks by task weight: R0_t = E_arena · w_t / Σw (floor, dust kept). */
export function splitByTaskWeight(arenaEmission: bigint, weights: readonly bigint[]): ProRata {
  return distributeProRata(readAmount(arenaEmission, "arenaEmission"), weights);
}

/** A task's R0 divided between its trainers and its validators. */
export interface RoleSplit {
  trainers: bigint;
  validators: bigint;
}

/**
 * SPEC §3 [FLock]: trainers get R0 · (γ + (1 − 2γ) · T / (T + V)); validators the mirror, R0 − trainers.
 * Exact in one rational expression with γ in bps:
 *   trainers = floor( R0 · (γ·(T+V) + (10000 − 2γ)·T) / (10000 · (T+V)) ).
 * With T + V = 0 the ratio is taken as 1/2 (the symmetric point), i.e. trainers = floor(R0 / 2).
 */
export function roleSplit(
  r0: bigint,
  gammaBps: bigint | number,
  trainerStake: bigint,
  validatorStake: bigint,
): RoleSplit {
  const reward = readAmount(r0, "R0");
  const gamma = assertGamma(gammaBps);
  const t = readAmount(trainerStake, "T");
  const v = readAmount(validatorStake, "V");
  const sum = t + v;
  const trainers = sum === 0n ? reward / 2n : (reward * (gamma * sum + (BPS - 2n * gamma) * t)) / (BPS * sum);
  return { trainers, validators: reward - trainers };
}

/** A trainer's reward split into the part that vests and the part that is claimable at once. */
export interface VestingSplit {
  vesting: bigint;
  liquid: bigint;
}

/** The share of trainer rewards that vests: 90% [FLock], in bps. */
export const TRAINER_VESTING_BPS = 9000n;

/**
 * SPEC §3: trainer rewards vest, 90% locked [FLock]. vesting = floor(r · bps / 10000), liquid = r − vesting.
 */
export function vestingSplit(
  reward: bigint,
  vestingBps: bigint | number = TRAINER_VESTING_BPS,
): VestingSplit {
  const r = readAmount(reward, "reward");
  const bps = readBps(vestingBps, "vestingBps");
  const vesting = (r * bps) / BPS;
  return { vesting, liquid: r - vesting };
}

/** Throw unless a γ is usable: 0 ≤ γ ≤ 50% (so 1 − 2γ ≥ 0). */
export function assertGamma(gammaBps: unknown): bigint {
  try {
    return readBps(gammaBps, "γ", BPS / 2n);
  } catch (cause) {
    throw new ValidationError("GAMMA_OUT_OF_RANGE", `γ ${String(gammaBps)} bps is outside [0, 5000]`, {
      hint: "γ is each role's guaranteed floor; 1 − 2γ must stay ≥ 0, so γ ≤ 5000 bps",
      cause,
    });
  }
}
