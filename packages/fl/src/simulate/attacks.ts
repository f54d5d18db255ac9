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
 * z = Φ⁻¹((n − s)/n) (0 when no worker is corrupted).
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
  for (const i of attackers) {
    const w = updates[i]!.params;
    const p = new Float32Array(d);
    if (options.attack === "sign-flip" || options.attack === "scaling") {
      const factor = options.attack === "sign-flip" ? -(options.scale ?? 4) : (options.scale ?? 10);
      for (let j = 0; j < d; j++) p[j] = global[j]! + factor * (w[j]! - global[j]!);
    } else {
      const rng = createRng(mixSeed(seed, 21, round, updates[i]!.client));
      const sigma = options.sigma ?? 1;
      for (let j = 0; j < d; j++) p[j] = global[j]! + sigma * rng.nextNormal();
    }
    out[i] = p;
  }
  return out;
}
