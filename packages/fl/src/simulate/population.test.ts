import { describe, expect, it } from "vitest";
import { loadDigits } from "./datasets.ts";
import { createPartition } from "./partition.ts";
import { Population } from "./population.ts";

const { train } = loadDigits();
const partition = (n: number) => createPartition(train, 10, { numClients: n, seed: 1 });

describe("Population", () => {
  it("has exactly round(fraction × n) Byzantine clients, fixed by the seed", () => {
    const p = new Population({
      partition: partition(1000),
      seed: 4,
      byzantine: { fraction: 0.2, attack: "sign-flip" },
    });
    const attackers = Array.from({ length: 1000 }, (_, i) => p.isByzantine(i)).filter(Boolean).length;
    expect(attackers).toBe(200);
    expect(p.byzantineCount).toBe(200);
    const q = new Population({
      partition: partition(1000),
      seed: 4,
      byzantine: { fraction: 0.2, attack: "sign-flip" },
    });
    expect(Array.from({ length: 50 }, (_, i) => q.isByzantine(i))).toEqual(
      Array.from({ length: 50 }, (_, i) => p.isByzantine(i)),
    );
  });

  it("drops clients out at the configured rate, independently per round", () => {
    const p = new Population({ partition: partition(1000), seed: 4, dropout: 0.3 });
    let drops = 0;
    for (let round = 1; round <= 4; round++) for (let i = 0; i < 1000; i++) if (p.dropsOut(i, round)) drops++;
    expect(drops / 4000).toBeGreaterThan(0.27);
    expect(drops / 4000).toBeLessThan(0.33);
    const sameEachRound = Array.from(
      { length: 1000 },
      (_, i) => p.dropsOut(i, 1) === p.dropsOut(i, 2),
    ).filter(Boolean).length;
    expect(sameEachRound).toBeLessThan(700);
  });

  it("gives each client a stable device speed: latency scales with work, slow devices stay slow", () => {
    const p = new Population({
      partition: partition(100),
      seed: 4,
      stragglers: { deadlineMs: 1000, jitterSigma: 0 },
    });
    expect(p.latencyMs(7, 1, 20)).toBeCloseTo(2 * p.latencyMs(7, 1, 10), 9);
    expect(p.latencyMs(7, 1, 10)).toBe(p.latencyMs(7, 2, 10));
    const none = new Population({ partition: partition(100), seed: 4 });
    expect(none.latencyMs(7, 1, 10)).toBe(0);
    expect(none.deadlineMs).toBeUndefined();
  });

  it("refuses out-of-range settings", () => {
    expect(() => new Population({ partition: partition(10), seed: 1, dropout: 1.5 })).toThrow(/dropout/);
    expect(
      () => new Population({ partition: partition(10), seed: 1, stragglers: { deadlineMs: 0 } }),
    ).toThrow(/deadline/);
  });
});
