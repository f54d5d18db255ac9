import { describe, expect, it } from "vitest";
import type { SimulationOptions } from "./options.ts";
import type { SimulationResult } from "./result.ts";
import { simulate } from "./simulate.ts";

/** A result without its wall-clock fields (the only ones allowed to differ between runs). */
function deterministicPart(result: SimulationResult): unknown {
  return JSON.parse(
    JSON.stringify(result, (key, value) =>
      ["durationMs", "clientsPerSecond", "peakRssBytes", "threads", "workers"].includes(key)
        ? undefined
        : value,
    ),
  );
}

const small: SimulationOptions = {
  clients: 40,
  clientsPerRound: 8,
  rounds: 4,
  hidden: [8],
  training: { epochs: 2, batchSize: 8, lr: 0.1 },
  partition: { labels: { kind: "dirichlet", alpha: 0.5 }, quantity: { kind: "lognormal", sigma: 0.5 } },
  dropout: 0.15,
  stragglers: { deadlineMs: 600, msPerExample: 10 },
  byzantine: { fraction: 0.25, attack: "alie" },
  contribution: { method: "leave-one-out", top: 2 },
  strategies: ["fedavg", { name: "fedavg", label: "fedavg-momentum-free" }],
  seed: 11,
};

describe("simulate is deterministic under a seed", () => {
  it("gives the same result, bit for bit, on two runs and on worker threads or inline", async () => {
    const first = await simulate({ ...small, workers: 0 });
    const second = await simulate({ ...small, workers: 0 });
    const pooled = await simulate({ ...small, workers: 2 });
    expect(deterministicPart(second)).toEqual(deterministicPart(first));
    expect(deterministicPart(pooled)).toEqual(deterministicPart(first));
    expect(pooled.threads).toBe(2);
    // The run exercised what it claims: dropouts, stragglers, attackers and contributions all happened.
    const rounds = first.strategies[0]!.rounds;
    expect(rounds.reduce((a, r) => a + r.dropouts, 0)).toBeGreaterThan(0);
    expect(rounds.reduce((a, r) => a + r.stragglers, 0)).toBeGreaterThan(0);
    expect(rounds.reduce((a, r) => a + r.byzantine, 0)).toBeGreaterThan(0);
    for (const r of rounds) {
      expect(r.sampled).toBe(8);
      expect(r.updates + r.dropouts + r.stragglers).toBe(8);
      expect(r.contribution!.top.length).toBeLessThanOrEqual(2);
    }
    expect(first.population).toEqual({ clients: 40, exact: true, byzantine: 10 });
    expect(first.strategies[0]!.rounds).toEqual(
      first.strategies[1]!.rounds.map((r, i) => ({ ...r, durationMs: rounds[i]!.durationMs })),
    );
    expect(() => JSON.stringify(first)).not.toThrow();
  });

  it("another seed gives another run", async () => {
    const a = await simulate({
      ...small,
      strategies: ["fedavg"],
      contribution: undefined,
      workers: 0,
      seed: 1,
    });
    const b = await simulate({
      ...small,
      strategies: ["fedavg"],
      contribution: undefined,
      workers: 0,
      seed: 2,
    });
    expect(a.strategies[0]!.rounds.map((r) => r.loss)).not.toEqual(
      b.strategies[0]!.rounds.map((r) => r.loss),
    );
  });

  it("refuses bad options with a code and a hint", async () => {
    await expect(simulate({ strategies: ["no-such-strategy"] })).rejects.toMatchObject({
      code: "FL_STRATEGY_UNKNOWN",
    });
    await expect(simulate({ clients: 5, clientsPerRound: 6 })).rejects.toMatchObject({
      code: "FL_OPTION_INVALID",
    });
    await expect(simulate({ dataset: "mnist" as never })).rejects.toMatchObject({
      code: "FL_DATASET_UNKNOWN",
    });
    await expect(
      simulate({ byzantine: { fraction: 0.2, attack: "nonsense" as never }, workers: 0 }),
    ).rejects.toMatchObject({
      code: "FL_OPTION_INVALID",
    });
  });
});

describe("simulate with central differential privacy", () => {
  it("reports a growing ε per round, and with seeded noise is reproducible", async () => {
    const options: SimulationOptions = {
      clients: 50,
      clientsPerRound: 10,
      rounds: 3,
      hidden: [8],
      training: { epochs: 1, batchSize: 8, lr: 0.1 },
      dp: { mode: "server-fixed", noiseMultiplier: 1, clippingNorm: 1, seededNoise: true },
      seed: 5,
      workers: 0,
    };
    const a = await simulate(options);
    const b = await simulate(options);
    const eps = a.strategies[0]!.rounds.map((r) => r.epsilon!);
    expect(eps.every((e) => e > 0 && Number.isFinite(e))).toBe(true);
    expect(eps[2]!).toBeGreaterThan(eps[0]!);
    expect(deterministicPart(b)).toEqual(deterministicPart(a));
    const client = await simulate({
      ...options,
      dp: { mode: "client-adaptive", noiseMultiplier: 0.8, seededNoise: true },
    });
    expect(client.strategies[0]!.rounds[2]!.epsilon).toBeGreaterThan(0);
    await expect(
      simulate({ ...options, dp: { mode: "client-fixed", noiseMultiplier: 1 } }),
    ).rejects.toMatchObject({
      code: "FL_OPTION_INVALID",
    });
  });
});
