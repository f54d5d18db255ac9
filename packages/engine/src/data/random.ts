import { ValidationError } from "@flock/core";

/**
 * A small seeded PRNG (sfc32, Chris Doty-Humphrey's "small fast counting" generator, seeded through
 * splitmix32) so data order, shuffles and generated datasets are identical on every machine for a seed.
 * Its whole state is four uint32 words: record `state` to resume exactly where a run stopped.
 */
export interface Rng {
  /** Uniform uint32. */
  nextUint32(): number;
  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number;
  /** Uniform integer in [0, n). */
  nextInt(n: number): number;
  /** Standard normal sample (Box–Muller). */
  nextNormal(): number;
  /** Pick one element uniformly. */
  pick<T>(items: readonly T[]): T;
  /** The generator's state; `createRngFromState(state)` continues the same stream. */
  readonly state: readonly [number, number, number, number];
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Mix several integers (seed, epoch, stream id …) into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    const next = splitmix32((h ^ (p >>> 0)) >>> 0);
    h = next() ^ Math.imul(h, 0x01000193);
    h >>>= 0;
    // Fold in the high bits of values beyond 32 bits (e.g. large step counters).
    const high = Math.floor(p / 2 ** 32);
    if (high !== 0) h = (splitmix32(h ^ high)() ^ h) >>> 0;
  }
  return h >>> 0;
}

/** A seeded generator; the same seed always yields the same stream. */
export function createRng(seed: number): Rng {
  const sm = splitmix32(mixSeed(seed));
  const rng = createRngFromState([sm(), sm(), sm(), sm()]);
  // Discard the first outputs, as sfc32's author recommends, so close seeds diverge.
  for (let i = 0; i < 12; i++) rng.nextUint32();
  return rng;
}

/** Continue a stream from a recorded `Rng.state`. */
export function createRngFromState(initial: readonly [number, number, number, number]): Rng {
  let a = initial[0] >>> 0;
  let b = initial[1] >>> 0;
  let c = initial[2] >>> 0;
  let d = initial[3] >>> 0;
  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  const next = (): number => nextUint32() / 2 ** 32;
  const nextInt = (n: number): number => {
    if (!Number.isSafeInteger(n) || n <= 0 || n > 2 ** 32) {
      throw new ValidationError("RNG_INVALID_BOUND", `nextInt needs an integer bound in 1..2^32, got ${n}`, {
        hint: "pass the number of choices as a positive integer",
      });
    }
    // Rejection sampling removes modulo bias.
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = nextUint32();
      if (x < limit) return x % n;
    }
  };
  return {
    nextUint32,
    next,
    nextInt,
    nextNormal(): number {
      const u1 = 1 - next();
      const u2 = next();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    },
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) {
        throw new ValidationError("RNG_EMPTY_CHOICE", "cannot pick from an empty list", {
          hint: "pass at least one item to choose from",
        });
      }
      return items[nextInt(items.length)]!;
    },
    get state(): readonly [number, number, number, number] {
      return [a, b, c, d];
    },
  };
}

/** Shuffle a copy of `items` with Fisher–Yates driven by `rng`. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}

/** The permutation of 0..n-1 used in `epoch` for `seed`: each epoch has its own order, reproducible alone. */
export function epochPermutation(n: number, seed: number, epoch: number): number[] {
  return shuffled(
    Array.from({ length: n }, (_, i) => i),
    createRng(mixSeed(seed, epoch)),
  );
}
