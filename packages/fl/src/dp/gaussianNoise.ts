import { randomFillSync } from "node:crypto";
import { ValidationError } from "@flock/core";
import type { Parameter } from "@flock/engine";
import { createRng } from "@flock/engine";
import type { Arrays } from "../arrays.ts";

/** Where differential-privacy noise comes from: independent standard normal draws. */
export interface NoiseSource {
  /** True only for a source fit for real privacy (a CSPRNG); seeded test sources say false. */
  readonly cryptographic: boolean;
  /** Fills `out` with independent N(0, 1) samples. */
  fillStandardNormal(out: Float64Array): void;
}

const WORDS = 8192;
const TWO_POW_26 = 2 ** 26;
const TWO_POW_53 = 2 ** 53;

/**
 * Standard normal noise from the operating system's CSPRNG (`node:crypto` randomFillSync): 53-bit uniforms
 * from pairs of random words, turned into normals two at a time by the Box–Muller transform (Box & Muller,
 * "A Note on the Generation of Random Normal Deviates", Ann. Math. Statist. 1958). The default of every DP
 * wrapper. (Floating-point sampling leaves the tiny gaps studied by Mironov 2012 for Laplace noise; the
 * noise here has full 53-bit uniforms and never reuses a draw.)
 */
export function cryptoNoise(): NoiseSource {
  const words = new Uint32Array(WORDS);
  let next = WORDS;
  const uniform53 = (): number => {
    if (next + 2 > WORDS) {
      randomFillSync(words);
      next = 0;
    }
    const hi = words[next++]! >>> 5; // 27 bits
    const lo = words[next++]! >>> 6; // 26 bits
    return (hi * TWO_POW_26 + lo) / TWO_POW_53; // [0, 1)
  };
  return {
    cryptographic: true,
    fillStandardNormal(out: Float64Array): void {
      for (let i = 0; i < out.length; i += 2) {
        const u1 = 1 - uniform53(); // (0, 1]: the log stays finite
        const u2 = uniform53();
        const r = Math.sqrt(-2 * Math.log(u1));
        out[i] = r * Math.cos(2 * Math.PI * u2);
        if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
      }
    },
  };
}

/**
 * Seeded, reproducible standard normal noise (the engine's sfc32 generator): FOR TESTS AND SIMULATIONS
 * ONLY. Anyone who knows the seed can subtract the noise, so it gives no privacy; `cryptographic` is false.
 */
export function seededNoiseForTests(seed: number): NoiseSource {
  const rng = createRng(seed);
  return {
    cryptographic: false,
    fillStandardNormal(out: Float64Array): void {
      for (let i = 0; i < out.length; i++) out[i] = rng.nextNormal();
    },
  };
}

/**
 * A copy of `arrays` with independent N(0, std²) noise added to every element (Flower's
 * `add_gaussian_noise_inplace`: the noise is rounded to the arrays' float32 like the values). A zero `std`
 * returns an exact copy.
 */
export function addGaussianNoise(arrays: Arrays, std: number, source: NoiseSource): Map<string, Parameter> {
  if (!(std >= 0) || !Number.isFinite(std)) {
    throw new ValidationError(
      "FL_DP_OPTION_INVALID",
      `the noise standard deviation must be finite and ≥ 0, got ${std}`,
      {
        hint: "check the noise multiplier, clipping norm and number of sampled clients",
      },
    );
  }
  const out = new Map<string, Parameter>();
  for (const [name, p] of arrays) {
    const data = Float32Array.from(p.data);
    if (std > 0) {
      const z = new Float64Array(data.length);
      source.fillStandardNormal(z);
      for (let i = 0; i < data.length; i++) data[i]! += Math.fround(std * z[i]!);
    }
    out.set(name, { shape: [...p.shape], data });
  }
  return out;
}

/** One N(mean, std²) draw (Flower's `np.random.normal(count, stddev)` for the noised clipped count). */
export function gaussianSample(mean: number, std: number, source: NoiseSource): number {
  const z = new Float64Array(1);
  source.fillStandardNormal(z);
  return mean + std * z[0]!;
}
