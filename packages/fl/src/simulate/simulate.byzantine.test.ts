import { describe, expect, it } from "vitest";
import { STRATEGIES } from "../strategies/registry.ts";
import type { SimulationOptions, StrategySpec } from "./options.ts";
import type { SimulationResult } from "./result.ts";
import { simulate } from "./simulate.ts";

/** The robust strategies compared with FedAvg, with the attackers they are told to expect among 10. */
const ROBUST: readonly StrategySpec[] = [
  { name: "krum", options: { numMaliciousNodes: 2 } },
  { name: "bulyan", options: { numMaliciousNodes: 1 } },
  { name: "fedmedian" },
];
const registered = ROBUST.filter((s) => s.name in STRATEGIES);

const base: SimulationOptions = {
  dataset: "digits",
  clients: 100,
  clientsPerRound: 10,
  partition: { labels: { kind: "dirichlet", alpha: 0.5 } },
  hidden: [32],
  rounds: 100,
  seed: 0,
  workers: 0,
};

function table(title: string, result: SimulationResult): string {
  const rows = result.strategies.map(
    (s) =>
      `  ${s.strategy.padEnd(14)} final ${(100 * s.final.accuracy).toFixed(1)}%  best ${(100 * s.best.accuracy).toFixed(1)}% ` +
      `(round ${s.best.round})`,
  );
  return [title, ...rows].join("\n");
}

describe("Byzantine clients against FedAvg and the robust strategies (20% of 100 clients)", () => {
  it.runIf(registered.length > 0)(
    "sign flip (×4): FedAvg collapses while a robust strategy keeps ≥ 90%",
    async () => {
      const result = await simulate({
        ...base,
        byzantine: { fraction: 0.2, attack: "sign-flip" },
        strategies: ["fedavg", ...registered],
      });
      console.log(table("digits, 20% sign-flip attackers, 100 rounds:", result));
      const [fedavg, ...robust] = result.strategies;
      expect(result.population.byzantine).toBe(20);
      expect(fedavg!.rounds.reduce((a, r) => a + r.byzantine, 0)).toBeGreaterThan(150);
      expect(fedavg!.final.accuracy).toBeLessThan(0.5);
      expect(Math.max(...robust.map((s) => s.final.accuracy))).toBeGreaterThanOrEqual(0.9);
    },
    120_000,
  );
});
