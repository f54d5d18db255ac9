import { describe, expect, it } from "vitest";
import { simulate } from "./simulate.ts";

const GiB = 2 ** 30;

describe("a population of 100,000 clients", () => {
  it("is derived lazily: 10 sampled clients per round for 5 rounds keep peak RSS well under 2 GiB", async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const result = await simulate({
      clients: 100_000,
      clientsPerRound: 10,
      rounds: 5,
      partition: { labels: { kind: "dirichlet", alpha: 0.5 }, quantity: { kind: "lognormal", sigma: 1 } },
      dropout: 0.1,
      byzantine: { fraction: 0.2, attack: "sign-flip" },
      seed: 3,
      workers: 0,
    });
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    console.log(
      `100,000 clients, 5 rounds of 10: peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB, ` +
        `heap growth ${(heapGrowth / 2 ** 20).toFixed(1)} MiB, accuracy ${(100 * result.strategies[0]!.final.accuracy).toFixed(1)}%`,
    );
    expect(result.population).toEqual({ clients: 100_000, exact: false, byzantine: 20_000 });
    expect(result.strategies[0]!.rounds.every((r) => r.sampled === 10)).toBe(true);
    expect(result.peakRssBytes).toBeLessThan(GiB);
    expect(heapGrowth).toBeLessThan(200 * 2 ** 20);
  });
});
