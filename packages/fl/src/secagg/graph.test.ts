import { describe, expect, it } from "vitest";
import { harary, neighbourhoodParameters } from "./graph.ts";

describe("SecAgg+ neighbour graph", () => {
  it("uses the complete graph with t = n − ⌊n/3⌋ for small rounds", () => {
    expect(neighbourhoodParameters(10)).toEqual({ neighbours: 9, threshold: 7, complete: true });
    expect(neighbourhoodParameters(100)).toEqual({ neighbours: 99, threshold: 67, complete: true });
    expect(neighbourhoodParameters(2)).toEqual({ neighbours: 1, threshold: 2, complete: true });
  });

  it("goes sparse as n grows, with neighbourhoods growing like log n", () => {
    const sizes = [1000, 10_000, 100_000].map((n) => neighbourhoodParameters(n, { dropoutFraction: 0.05 }));
    for (const p of sizes) {
      expect(p.complete).toBe(false);
      expect(p.threshold).toBeGreaterThan((p.neighbours + 1) / 2);
    }
    expect(sizes.map((p) => p.neighbours)).toEqual([...sizes.map((p) => p.neighbours)].sort((a, b) => a - b));
    expect(sizes[2]!.neighbours).toBeLessThan(40);
    // At δ = ⅓ a neighbourhood must hold ~300 nodes to keep a majority with probability 1 − 10⁻⁶.
    const third = neighbourhoodParameters(1000);
    expect(third.complete).toBe(false);
    expect(third.neighbours).toBeGreaterThan(200);
    expect(third.neighbours).toBeLessThan(400);
  });

  it("builds a symmetric k-regular graph, the same for the same seed", () => {
    const ids = Array.from({ length: 50 }, (_, i) => `n${i}`);
    const g = harary(ids, 6, 42);
    for (const [id, hood] of g) {
      expect(hood).toHaveLength(7);
      expect(hood).toContain(id);
      for (const other of hood) expect(g.get(other)).toContain(id);
    }
    expect(harary(ids, 6, 42)).toEqual(g);
    expect(harary(ids, 6, 43)).not.toEqual(g);
  });

  it("refuses thresholds that are not a majority and odd neighbour counts", () => {
    expect(() => neighbourhoodParameters(10, { threshold: 5 })).toThrow(
      expect.objectContaining({ code: "FL_SECAGG_THRESHOLD_INVALID" }),
    );
    expect(() => neighbourhoodParameters(100, { neighbours: 7 })).toThrow(
      expect.objectContaining({ code: "FL_OPTION_INVALID" }),
    );
    expect(() => neighbourhoodParameters(1)).toThrow(
      expect.objectContaining({ code: "FL_SECAGG_TOO_FEW_NODES" }),
    );
  });
});
