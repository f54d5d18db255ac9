import { createRng, mixSeed } from "@flock/engine";
import type { ByzantineOptions } from "./population.ts";
import { normalQuantile } from "./random.ts";

/** A trained update of a round as the attack sees it: the client's flat model and whether it attacks. */
export interface RoundUpdate {
  readonly client: number;
  readonly params: Float32Array;
  readonly byzantine: boolean;
}

/**
 * Baruch et al. 2019's z for n workers of which f are corrupted: s = ⌊n/2 + 1⌋ − f workers must be swayed,
 * z = Φ⁻¹((n − s)/n) (0 when no worker is corrupted), as the paper's algorithm states. Some later code
 * (Karimireddy, He and Jaggi's bucketing experiments) uses Φ⁻¹((n − f − s)/(n − f)), a smaller z; pass
 * `z` to the attack to reproduce it.
 */
export function alieZ(n: number, f: number): number {
  if (f <= 0) return 0;
  const s = Math.floor(n / 2 + 1) - f;
  return normalQuantile(Math.min(1 - 1e-9, Math.max(0.5, (n - s) / n)));
}

/**
 * The models the Byzantine clients of a round send instead of their trained ones (see `ATTACKS`), given the
 * global model `global` the round started from. Returns a new params array per update (benign ones
 * unchanged). Label flipping poisons the training data instead, so it changes nothing here.
 */
export function applyAttack(
  options: ByzantineOptions,
  global: Float32Array,
  updates: readonly RoundUpdate[],
  seed: number,
  round: number,
): Float32Array[] {
  const out = updates.map((u) => u.params);
  const attackers = updates.map((u, i) => (u.byzantine ? i : -1)).filter((i) => i >= 0);
  if (attackers.length === 0 || options.attack === "label-flip") return out;
  const d = global.length;
  if (options.attack === "alie") {
    const benign = updates.filter((u) => !u.byzantine);
    if (benign.length === 0) return out;
    const z = options.z ?? alieZ(updates.length, attackers.length);
    const crafted = new Float32Array(d);
    for (let j = 0; j < d; j++) {
      let mean = 0;
      for (const u of benign) mean += u.params[j]!;
      mean /= benign.length;
      let sq = 0;
      for (const u of benign) sq += (u.params[j]! - mean) ** 2;
      crafted[j] = mean - z * Math.sqrt(sq / benign.length);
    }
    for (const i of attackers) out[i] = Float32Array.from(crafted);
    return out;
  }
  for (const i of attackers)
    out[i] = attackOne(options, global, updates[i]!.params, seed, round, updates[i]!.client);
  return out;
}

/** Whether an attack needs the other clients' updates (a colluding attack: only `alie`). */
export function isColluding(attack: ByzantineOptions["attack"]): boolean {
  return attack === "alie";
}

/**
 * What one Byzantine client sends instead of its trained model `params` under an attack that needs no one
 * else's update (`sign-flip`, `scaling`, `gaussian`; `label-flip` returns `params`: its poison is in the
 * data). The client does this itself, before anything (secure aggregation's masking) leaves it.
 */
export function attackOne(
  options: ByzantineOptions,
  global: Float32Array,
  params: Float32Array,
  seed: number,
  round: number,
  client: number,
): Float32Array {
  const d = global.length;
  if (options.attack === "sign-flip" || options.attack === "scaling") {
    const factor = options.attack === "sign-flip" ? -(options.scale ?? 4) : (options.scale ?? 10);
    const p = new Float32Array(d);
    for (let j = 0; j < d; j++) p[j] = global[j]! + factor * (params[j]! - global[j]!);
    return p;
  }
  if (options.attack === "gaussian") {
    const rng = createRng(mixSeed(seed, 21, round, client));
    const sigma = options.sigma ?? 1;
    const p = new Float32Array(d);
    for (let j = 0; j < d; j++) p[j] = global[j]! + sigma * rng.nextNormal();
    return p;
  }
  return params;
}
