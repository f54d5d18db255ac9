import type { Rng } from "../data/random.ts";

/** How the next token is picked from logits. */
export interface SamplingOptions {
  /** 0 (default) is greedy: always the most likely token. */
  temperature?: number;
  /** Nucleus sampling (Holtzman et al. 2020): sample only from the smallest set with this much mass. */
  topP?: number;
}

/** Pick a token id from logits: greedy, or softmax(logits / T) restricted to the top-p nucleus, using `rng`. */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, rng: Rng): number {
  const temperature = options.temperature ?? 0;
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  if (temperature <= 0) return best;
  const max = logits[best]!;
  const order = Array.from({ length: logits.length }, (_, i) => i);
  const probs = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    probs[i] = Math.exp((logits[i]! - max) / temperature);
    sum += probs[i]!;
  }
  // Ties broken by id so the order (and so the sample) is the same on every machine.
  order.sort((a, b) => probs[b]! - probs[a]! || a - b);
  const topP = options.topP ?? 1;
  let kept = 0;
  let mass = 0;
  for (const id of order) {
    mass += probs[id]! / sum;
    kept++;
    if (mass >= topP) break;
  }
  const r = rng.next() * mass;
  let acc = 0;
  for (let k = 0; k < kept; k++) {
    const id = order[k]!;
    acc += probs[id]! / sum;
    if (r < acc) return id;
  }
  return order[kept - 1]!;
}
