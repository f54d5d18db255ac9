import { describe, expect, it } from "vitest";
import { createRng, createRngFromState, epochPermutation, mixSeed, shuffled } from "./random.ts";

describe("seeded random", () => {
  it("gives the same stream for the same seed and different streams for nearby seeds", () => {
    const a = createRng(1);
    const b = createRng(1);
    const c = createRng(2);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it("pins the stream so data order is the same on every machine and version", () => {
    const rng = createRng(12345);
    expect(Array.from({ length: 3 }, () => rng.nextUint32())).toEqual([1690113663, 1074786485, 940124333]);
  });

  it("continues a stream exactly from a recorded state", () => {
    const rng = createRng(7);
    for (let i = 0; i < 5; i++) rng.next();
    const copy = createRngFromState(rng.state);
    expect(Array.from({ length: 5 }, () => copy.next())).toEqual(Array.from({ length: 5 }, () => rng.next()));
  });

  it("draws uniform integers and normals with the right moments", () => {
    const rng = createRng(3);
    const counts = new Array(6).fill(0);
    let sum = 0;
    let sumSq = 0;
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      counts[rng.nextInt(6)]++;
      const z = rng.nextNormal();
      sum += z;
      sumSq += z * z;
    }
    for (const c of counts) expect(Math.abs(c - n / 6)).toBeLessThan(400);
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.03);
  });

  it("shuffles into a permutation and keeps epochs independent of each other", () => {
    const p = shuffled([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], createRng(5));
    expect([...p].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(epochPermutation(100, 5, 3)).toEqual(epochPermutation(100, 5, 3));
    expect(epochPermutation(100, 5, 3)).not.toEqual(epochPermutation(100, 5, 4));
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(mixSeed(1, 2 ** 40)).not.toBe(mixSeed(1, 0));
  });

  it("refuses impossible bounds and empty choices with a typed error", () => {
    const rng = createRng(1);
    expect(() => rng.nextInt(0)).toThrow(/integer bound/);
    expect(() => rng.nextInt(2.5)).toThrow(/integer bound/);
    expect(() => rng.pick([])).toThrow(/empty list/);
    const { pick } = rng;
    expect([1, 2, 3]).toContain(pick([1, 2, 3]));
  });
});
