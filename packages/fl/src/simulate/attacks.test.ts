import { describe, expect, it } from "vitest";
import { alieZ, applyAttack, type RoundUpdate } from "./attacks.ts";

const global = Float32Array.of(1, 2, 3);
const updates: RoundUpdate[] = [
  { client: 0, params: Float32Array.of(2, 2, 3), byzantine: false },
  { client: 1, params: Float32Array.of(1, 4, 3), byzantine: true },
  { client: 2, params: Float32Array.of(0, 2, 5), byzantine: false },
  { client: 3, params: Float32Array.of(1, 2, 1), byzantine: true },
];

describe("Byzantine attacks", () => {
  it("alieZ follows Baruch et al.: s = ⌊n/2 + 1⌋ − f, z = Φ⁻¹((n − s)/n)", () => {
    // n = 50, f = 12 (their setting): s = 14, z = Φ⁻¹(0.72) ≈ 0.5828
    expect(alieZ(50, 12)).toBeCloseTo(0.5828415, 5);
    // n = 10, f = 2: s = 4, z = Φ⁻¹(0.6) ≈ 0.2533
    expect(alieZ(10, 2)).toBeCloseTo(0.2533471, 6);
    expect(alieZ(10, 0)).toBe(0);
  });

  it("sign flip reverses and scales the attackers' steps, scaling amplifies them; benign updates are untouched", () => {
    const flipped = applyAttack({ fraction: 0.5, attack: "sign-flip" }, global, updates, 1, 1);
    expect(Array.from(flipped[1]!)).toEqual([1, 2 - 4 * 2, 3]);
    expect(Array.from(flipped[3]!)).toEqual([1, 2, 3 + 4 * 2]);
    expect(flipped[0]).toBe(updates[0]!.params);
    const scaled = applyAttack({ fraction: 0.5, attack: "scaling", scale: 3 }, global, updates, 1, 1);
    expect(Array.from(scaled[1]!)).toEqual([1, 8, 3]);
  });

  it("ALIE sends μ − z·σ of the benign updates, the same from every attacker", () => {
    const out = applyAttack({ fraction: 0.5, attack: "alie", z: 1 }, global, updates, 1, 1);
    // benign: (2, 2, 3) and (0, 2, 5): μ = (1, 2, 4), σ = (1, 0, 1)
    expect(Array.from(out[1]!)).toEqual([0, 2, 3]);
    expect(Array.from(out[3]!)).toEqual([0, 2, 3]);
    expect(out[1]).not.toBe(out[3]);
  });

  it("Gaussian noise is seeded per round and client; label flipping changes no update", () => {
    const a = applyAttack({ fraction: 0.5, attack: "gaussian", sigma: 2 }, global, updates, 5, 3);
    const b = applyAttack({ fraction: 0.5, attack: "gaussian", sigma: 2 }, global, updates, 5, 3);
    const c = applyAttack({ fraction: 0.5, attack: "gaussian", sigma: 2 }, global, updates, 5, 4);
    expect(Array.from(a[1]!)).toEqual(Array.from(b[1]!));
    expect(Array.from(a[1]!)).not.toEqual(Array.from(c[1]!));
    expect(Array.from(a[1]!)).not.toEqual(Array.from(a[3]!));
    const flipped = applyAttack({ fraction: 0.5, attack: "label-flip" }, global, updates, 5, 3);
    for (const [i, p] of flipped.entries()) expect(p).toBe(updates[i]!.params);
  });
});
