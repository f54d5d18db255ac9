import { describe, expect, it } from "vitest";
import { STRATEGIES } from "../strategies/registry.ts";
import type { StrategySpec } from "./options.ts";
import { simulate } from "./simulate.ts";

const ROBUST: readonly StrategySpec[] = [
  { name: "krum", options: { numMaliciousNodes: 2 } },
  { name: "bulyan", options: { numMaliciousNodes: 1 } },
  { name: "fedmedian" },
];
const registered = ROBUST.filter((s) => s.name in STRATEGIES);

describe("'a little is enough' (Baruch et al. 2019) with 20% of 100 clients", () => {
  it.runIf(registered.length > 0)(
    "a robust strategy keeps ≥ 90% (FedAvg's figure is reported: at Baruch et al.'s z the mean barely moves)",
    async () => {
      const options = {
        dataset: "digits",
        clients: 100,
        clientsPerRound: 10,
        partition: { labels: { kind: "dirichlet", alpha: 0.5 } },
        hidden: [32],
        rounds: 60,
        seed: 0,
        workers: 0,
      } as const;
      const attacked = await simulate({
        ...options,
        byzantine: { fraction: 0.2, attack: "alie" },
        strategies: ["fedavg", ...registered],
      });
      const lines = attacked.strategies.map(
        (s) =>
          `  ${s.strategy.padEnd(10)} final ${(100 * s.final.accuracy).toFixed(1)}%  best ${(100 * s.best.accuracy).toFixed(1)}%`,
      );
      console.log(["digits, 20% ALIE attackers, 60 rounds:", ...lines].join("\n"));
      const [fedavg, ...robust] = attacked.strategies;
      // Every round's attackers sent one identical crafted model.
      expect(fedavg!.rounds.reduce((a, r) => a + r.byzantine, 0)).toBeGreaterThan(90);
      expect(Math.max(...robust.map((s) => s.final.accuracy))).toBeGreaterThanOrEqual(0.9);
    },
    120_000,
  );
});
