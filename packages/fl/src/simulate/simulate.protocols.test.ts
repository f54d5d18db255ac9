import { describe, expect, it } from "vitest";
import type { SimulationResult } from "./result.ts";
import { simulate } from "./simulate.ts";

describe("FedProx in the simulator", () => {
  it("μ = 0 is FedAvg bit for bit; μ > 0 reaches the nodes' trainers and changes the run", async () => {
    const result = await simulate({
      clients: 30,
      clientsPerRound: 6,
      rounds: 3,
      hidden: [8],
      training: { epochs: 3, batchSize: 4, lr: 0.1 },
      strategies: [
        "fedavg",
        { name: "fedprox", label: "fedprox-0", options: { proximalMu: 0 } },
        { name: "fedprox", label: "fedprox-1", options: { proximalMu: 1 } },
      ],
      seed: 4,
      workers: 0,
    });
    const [fedavg, prox0, prox1] = result.strategies.map((s) =>
      s.rounds.map((r) => [r.loss, r.accuracy, r.trainLoss]),
    );
    expect(prox0).toEqual(fedavg);
    expect(prox1).not.toEqual(fedavg);
  });
});

describe("secure aggregation in the simulator", () => {
  const options = {
    clients: 30,
    clientsPerRound: 8,
    rounds: 3,
    hidden: [8],
    training: { epochs: 2, batchSize: 4, lr: 0.1 },
    byzantine: { fraction: 0.2, attack: "sign-flip" as const },
    seed: 6,
    workers: 0,
  };
  const losses = (r: SimulationResult) => r.strategies[0]!.rounds.map((x) => x.loss);

  it("SecAgg+ around FedAvg follows the plain run within the quantization error (attackers attack before masking)", async () => {
    const plain = await simulate(options);
    const masked = await simulate({ ...options, secureAggregation: true });
    for (const [i, loss] of losses(masked).entries())
      expect(Math.abs(loss - losses(plain)[i]!)).toBeLessThan(1e-3);
    expect(masked.strategies[0]!.rounds.map((r) => r.byzantine)).toEqual(
      plain.strategies[0]!.rounds.map((r) => r.byzantine),
    );
  });

  it("survives dropouts up to its threshold reproducibly; past it a round fails and keeps the model", async () => {
    const a = await simulate({ ...options, dropout: 0.1, secureAggregation: true });
    const b = await simulate({ ...options, dropout: 0.1, secureAggregation: true });
    expect(losses(a)).toEqual(losses(b));
    expect(a.strategies[0]!.rounds.some((r) => r.dropouts > 0 && !r.failed)).toBe(true);
    // Stragglers miss the masked-input deadline and count as that stage's dropouts.
    const slow = await simulate({
      ...options,
      secureAggregation: true,
      stragglers: { deadlineMs: 1500, msPerExample: 10 },
    });
    expect(slow.strategies[0]!.rounds.some((r) => r.stragglers > 0 && !r.failed)).toBe(true);
    const lossy = await simulate({ ...options, dropout: 0.6, secureAggregation: true });
    const failed = lossy.strategies[0]!.rounds.filter((r) => r.failed);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]!.failed!.code).toBe("FL_SECAGG_TOO_MANY_DROPOUTS");
  });

  it("refuses what secure aggregation cannot do", async () => {
    await expect(
      simulate({ ...options, secureAggregation: true, strategies: ["fedmedian"] }),
    ).rejects.toMatchObject({
      code: "FL_SECAGG_NOT_LINEAR",
    });
    await expect(
      simulate({ ...options, secureAggregation: true, byzantine: { fraction: 0.2, attack: "alie" } }),
    ).rejects.toMatchObject({ code: "FL_OPTION_INVALID" });
  });
});
