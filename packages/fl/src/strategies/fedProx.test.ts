import {
  createRng,
  initTabularMlp,
  type ParameterSet,
  sgd,
  type TabularBatch,
  Trainer,
  tabularTask,
} from "@flock/engine";
import { describe, expect, it } from "vitest";
import { type Arrays, flatten } from "../arrays.ts";
import { InMemoryGrid, type NodeApp } from "../inMemoryGrid.ts";
import type { Message } from "../messages.ts";
import { runFederation } from "../runFederation.ts";
import { runDeltaScript, threeValueModel } from "../testing/deltaNodes.ts";
import { FedAvg } from "./fedAvg.ts";
import { FedProx, PROXIMAL_MU_KEY } from "./fedProx.ts";
import { STRATEGIES } from "./registry.ts";

const idle: NodeApp = {
  train: () => Promise.reject(new Error("not called")),
  evaluate: () => Promise.reject(new Error("not called")),
};

describe("FedProx (Li et al. 2020; Flower's FedProx)", () => {
  it("sends μ as `proximal-mu` in every training message, beside the run's config and the round", async () => {
    const strategy = new FedProx({ proximalMu: 0.25 });
    const grid = new InMemoryGrid({ nodes: 3, app: idle });
    const messages = await strategy.configureTrain(4, threeValueModel([0, 0, 0]), { lr: 0.1 }, grid);
    expect(messages).toHaveLength(3);
    for (const m of messages)
      expect(m.config).toEqual({ lr: 0.1, "server-round": 4, [PROXIMAL_MU_KEY]: 0.25 });
    // μ overrides a value of the same key in the run's config, as Flower's does.
    const [first] = await strategy.configureTrain(
      5,
      threeValueModel([0, 0, 0]),
      { [PROXIMAL_MU_KEY]: 9 },
      grid,
    );
    expect(first!.config[PROXIMAL_MU_KEY]).toBe(0.25);
    const evaluations = await strategy.configureEvaluate(4, threeValueModel([0, 0, 0]), {}, grid);
    for (const m of evaluations) expect(m.config).not.toHaveProperty(PROXIMAL_MU_KEY);
  });

  it("aggregates exactly as FedAvg and defaults to μ = 0", async () => {
    const script = {
      weights: [1, 3],
      deltas: [
        [
          [4, -4, 0],
          [0, 4, 8],
        ],
        [
          [2, 0, -4],
          [2, -4, 0],
        ],
      ],
    };
    const prox = await runDeltaScript(
      new FedProx({ proximalMu: 1, fractionEvaluate: 0 }),
      threeValueModel([1, 2, 3]),
      script,
    );
    const avg = await runDeltaScript(new FedAvg({ fractionEvaluate: 0 }), threeValueModel([1, 2, 3]), script);
    expect(prox.globals).toEqual(avg.globals);
    expect(prox.globals[1]).toEqual([4, 1, 8]);
    expect(prox.configs[1]![0]![PROXIMAL_MU_KEY]).toBe(1);
    expect(new FedProx().proximalMu).toBe(0);
    expect(() => new FedProx({ proximalMu: -1 })).toThrow(/proximalMu/);
    expect(STRATEGIES.fedprox!({ fractionTrain: 0.5 })).toBeInstanceOf(FedProx);
  });

  it("nodes training with the engine's proximal term drift less from the global model as μ grows", async () => {
    const config = { kind: "classifier" as const, numFeatures: 2, hidden: [4], numClasses: 2 };
    const initial = initTabularMlp(config, createRng(1));
    // Two nodes with opposite labelling rules: unconstrained local training pulls them apart.
    const rng = createRng(2);
    const batchesOf = (flip: boolean): TabularBatch[] =>
      Array.from({ length: 4 }, () => {
        const x = Float32Array.from({ length: 8 }, () => rng.nextNormal());
        const y = Int32Array.from({ length: 4 }, (_, i) => Number(x[2 * i]! > 0 !== flip));
        return { x, y };
      });
    const data = [batchesOf(false), batchesOf(true)];

    async function federate(strategy: FedAvg): Promise<{ drift: number; arrays: Arrays }> {
      const trainers = await Promise.all(
        data.map(() =>
          Trainer.create(tabularTask(config, initial, 4), {
            optimizer: sgd(),
            schedule: { peak: 0.5 },
            proximal: { mu: 0 },
          }),
        ),
      );
      const app: NodeApp = {
        async train(message: Message) {
          const node = Number(message.nodeId);
          const trainer = trainers[node]!;
          trainer.reset(message.arrays!);
          trainer.setProximalMu(Number(message.config[PROXIMAL_MU_KEY] ?? 0));
          for (let epoch = 0; epoch < 3; epoch++) for (const b of data[node]!) await trainer.trainStep([b]);
          const arrays: ParameterSet = trainer.parameters();
          const start = flatten(message.arrays!);
          const drift = Math.hypot(...flatten(arrays).map((v, i) => v - start[i]!));
          return { arrays, numExamples: 16, metrics: { drift } };
        },
        evaluate: idle.evaluate,
      };
      const result = await runFederation({
        strategy,
        grid: new InMemoryGrid({ nodes: 2, app }),
        initialArrays: initial,
        rounds: 2,
      });
      for (const t of trainers) await t.release();
      const drifts = result.rounds.map((r) => r.trainMetrics!.drift!);
      return { drift: drifts.reduce((a, b) => a + b, 0), arrays: result.arrays };
    }

    const free = await federate(new FedProx({ proximalMu: 0, fractionEvaluate: 0 }));
    const avg = await federate(new FedAvg({ fractionEvaluate: 0 }));
    const held = await federate(new FedProx({ proximalMu: 2, fractionEvaluate: 0 }));
    // μ = 0 is FedAvg bit for bit; μ = 2 keeps the local models much closer to the global one.
    expect([...flatten(free.arrays)]).toEqual([...flatten(avg.arrays)]);
    expect(free.drift).toBeGreaterThan(0.1);
    expect(held.drift).toBeLessThan(0.7 * free.drift);
  });
});
