import { describe, expect, it } from "vitest";
import { simulate } from "./simulate.ts";

describe("simulated federations reach their quality bars (fixed seeds)", () => {
  it("digits, 100 clients, Dirichlet α = 0.5, 10 sampled per round: FedAvg reaches ≥ 95% test accuracy", async () => {
    const result = await simulate({
      dataset: "digits",
      clients: 100,
      clientsPerRound: 10,
      partition: { labels: { kind: "dirichlet", alpha: 0.5 } },
      hidden: [32],
      rounds: 60,
      centralized: { epochs: 20 },
      targetAccuracy: 0.95,
      seed: 0,
      workers: 2,
    });
    const run = result.strategies[0]!;
    const central = result.centralized!;
    console.log(
      `digits FedAvg (64→32→10 MLP, 100 clients, Dirichlet 0.5, 10/round, 5 local epochs): ` +
        `≥ 95% first at round ${run.reachedTarget}, best ${(100 * run.best.accuracy).toFixed(1)}% at round ` +
        `${run.best.round}, final ${(100 * run.final.accuracy).toFixed(1)}% after ${run.rounds.length} rounds; ` +
        `centralized (same model, ${central.epochs} epochs on all ${result.dataset.trainRows} rows): ` +
        `${(100 * central.accuracy).toFixed(1)}%; ${run.clientsPerSecond.toFixed(0)} clients/s on ${result.threads} threads`,
    );
    expect(result.population.exact).toBe(true);
    expect(run.reachedTarget).not.toBeNull();
    expect(run.final.accuracy).toBeGreaterThanOrEqual(0.93);
    expect(central.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(run.initial.accuracy).toBeLessThan(0.3);
  });

  it("breast cancer, 30 clients, 10 per round: FedAvg of softmax regression passes 95% within 15 rounds", async () => {
    const result = await simulate({
      dataset: "breast-cancer",
      clients: 30,
      clientsPerRound: 10,
      hidden: [],
      rounds: 15,
      centralized: true,
      seed: 0,
      workers: 0,
    });
    const run = result.strategies[0]!;
    console.log(
      `breast cancer FedAvg: ${(100 * run.initial.accuracy).toFixed(1)}% → ${(100 * run.final.accuracy).toFixed(1)}% ` +
        `in 15 rounds; centralized ${(100 * result.centralized!.accuracy).toFixed(1)}%`,
    );
    expect(run.final.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(run.reachedTarget).not.toBeNull();
  });
});
