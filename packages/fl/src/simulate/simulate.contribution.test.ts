import { describe, expect, it } from "vitest";
import { simulate } from "./simulate.ts";

describe("contribution value in a simulation", () => {
  it("ranks label-flipping clients at the bottom and honest ones at the top (GTG-Shapley over rounds)", async () => {
    const result = await simulate({
      clients: 30,
      clientsPerRound: 10,
      rounds: 6,
      partition: { labels: { kind: "iid" } },
      byzantine: { fraction: 0.2, attack: "label-flip" },
      contribution: { method: "gtg-shapley", top: 4 },
      seed: 1,
      workers: 0,
    });
    const run = result.strategies[0]!;
    const totals = run.contribution!;
    console.log(
      `contribution totals over 6 rounds — top: ${totals.top.map((e) => `${e.nodeId}${e.byzantine ? "*" : ""} ${e.value.toFixed(3)}`).join(", ")}; ` +
        `bottom: ${totals.bottom.map((e) => `${e.nodeId}${e.byzantine ? "*" : ""} ${e.value.toFixed(3)}`).join(", ")} (* label flipper)`,
    );
    expect(totals.top.every((e) => !e.byzantine)).toBe(true);
    expect(totals.bottom.every((e) => e.byzantine)).toBe(true);
    expect(totals.bottom.every((e) => e.value < 0)).toBe(true);
    for (const r of run.rounds) {
      expect(r.contribution!.top.length).toBe(4);
      expect(r.contribution!.top[0]!.value).toBeGreaterThanOrEqual(r.contribution!.bottom[0]!.value);
    }
  });
});
