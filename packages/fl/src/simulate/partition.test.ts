import { describe, expect, it } from "vitest";
import { loadDigits } from "./datasets.ts";
import { createPartition } from "./partition.ts";

const { train } = loadDigits();
const labelsOf = (rows: Int32Array) => new Set(Array.from(rows, (r) => train.y[r]!));

describe("createPartition", () => {
  it("splits digits over 100 clients by Dirichlet(0.5) exactly: disjoint, every row used, skewed labels", () => {
    const p = createPartition(train, 10, {
      numClients: 100,
      labels: { kind: "dirichlet", alpha: 0.5 },
      seed: 7,
    });
    expect(p.exact).toBe(true);
    const seen = new Uint8Array(train.rows);
    let distinct = 0;
    for (let i = 0; i < 100; i++) {
      const rows = p.rowsOf(i);
      expect([14, 15]).toContain(rows.length);
      for (const r of rows) {
        expect(seen[r]).toBe(0);
        seen[r] = 1;
      }
      distinct += labelsOf(rows).size;
    }
    expect(seen.every((v) => v === 1)).toBe(true);
    const iid = createPartition(train, 10, { numClients: 100, seed: 7 });
    let iidDistinct = 0;
    for (let i = 0; i < 100; i++) iidDistinct += labelsOf(iid.rowsOf(i)).size;
    // 14 iid rows cover about 7.7 of 10 labels; Dirichlet(0.5) clients far fewer.
    expect(distinct / 100).toBeLessThan(5);
    expect(iidDistinct / 100).toBeGreaterThan(7);
  });

  it("is a function of the seed: the same seed gives the same rows, another seed other rows", () => {
    const make = (seed: number) =>
      createPartition(train, 10, { numClients: 100, labels: { kind: "dirichlet", alpha: 0.5 }, seed });
    expect(make(3).rowsOf(42)).toEqual(make(3).rowsOf(42));
    expect(make(3).rowsOf(42)).not.toEqual(make(4).rowsOf(42));
  });

  it("McMahan shards: disjoint equal shards, most clients see at most 2 labels", () => {
    const p = createPartition(train, 10, { numClients: 50, labels: { kind: "shards" }, seed: 1 });
    const seen = new Uint8Array(train.rows);
    let twoOrFewer = 0;
    for (let i = 0; i < 50; i++) {
      const rows = p.rowsOf(i);
      expect(rows.length).toBe(2 * Math.floor(train.rows / 100));
      for (const r of rows) {
        expect(seen[r]).toBe(0);
        seen[r] = 1;
      }
      if (labelsOf(rows).size <= 2) twoOrFewer++;
    }
    expect(twoOrFewer).toBeGreaterThanOrEqual(40);
  });

  it("quantity skew: lognormal sizes share out every row and vary widely", () => {
    const p = createPartition(train, 10, {
      numClients: 100,
      quantity: { kind: "lognormal", sigma: 1 },
      seed: 2,
    });
    const sizes = Array.from({ length: 100 }, (_, i) => p.rowsOf(i).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(train.rows);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...sizes) / Math.min(...sizes)).toBeGreaterThan(5);
  });

  it("100,000 clients are sampled lazily, with the same label proportions as in a small population", () => {
    const big = createPartition(train, 10, {
      numClients: 100_000,
      labels: { kind: "dirichlet", alpha: 0.5 },
      quantity: { kind: "powerlaw", exponent: 2 },
      seed: 7,
    });
    const small = createPartition(train, 10, {
      numClients: 100,
      labels: { kind: "dirichlet", alpha: 0.5 },
      seed: 7,
    });
    expect(big.exact).toBe(false);
    expect(big.labelProportionsOf(17)).toEqual(small.labelProportionsOf(17));
    expect(big.rowsOf(99_999)).toEqual(big.rowsOf(99_999));
    const sizes = Array.from({ length: 2000 }, (_, i) => big.rowsOf(i * 50).length);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(mean).toBeGreaterThan(7);
    expect(mean).toBeLessThan(13);
    expect(() => big.rowsOf(100_000)).toThrow(/no client/);
  });

  it("a sampled Dirichlet client's labels follow its proportions", () => {
    const p = createPartition(train, 10, {
      numClients: 1000,
      labels: { kind: "dirichlet", alpha: 1 },
      examplesPerClient: 5000,
      seed: 9,
    });
    const q = p.labelProportionsOf(3)!;
    const rows = p.rowsOf(3);
    const counts = new Float64Array(10);
    for (const r of rows) counts[train.y[r]!]! += 1 / rows.length;
    for (let c = 0; c < 10; c++) expect(Math.abs(counts[c]! - q[c]!)).toBeLessThan(0.03);
  });

  it("refuses invalid options with a hint", () => {
    expect(() =>
      createPartition(train, 10, { numClients: 10, labels: { kind: "dirichlet", alpha: 0 }, seed: 1 }),
    ).toThrow(/Dirichlet α must be > 0/);
    expect(() =>
      createPartition(train, 10, {
        numClients: 10,
        labels: { kind: "shards" },
        quantity: { kind: "lognormal", sigma: 1 },
        seed: 1,
      }),
    ).toThrow(/equal sizes/);
  });
});
