import { describe, expect, it } from "vitest";
import type { Arrays } from "./arrays.ts";
import { InMemoryGrid } from "./inMemoryGrid.ts";
import type { Message } from "./messages.ts";
import { runFederation } from "./runFederation.ts";
import { FedAvg } from "./strategies/fedAvg.ts";

/** Node i holds the constant target i; "training" moves the single weight all the way to it. */
const app = {
  async train(message: Message) {
    const i = Number(message.nodeId);
    if (i === 3) throw new Error("dropped");
    return {
      arrays: new Map([["w", { shape: [1], data: Float32Array.of(i) }]]),
      numExamples: i + 1,
      metrics: { loss: i },
    };
  },
  async evaluate(message: Message) {
    const w = message.arrays!.get("w")!.data[0]!;
    return { numExamples: 1, metrics: { distance: Math.abs(w - Number(message.nodeId)) } };
  },
};

const initial: Arrays = new Map([["w", { shape: [1], data: Float32Array.of(0) }]]);

describe("runFederation over an InMemoryGrid", () => {
  it("averages the nodes' models by examples, leaves out failures and records the round", async () => {
    const grid = new InMemoryGrid({ nodes: 4, app });
    const result = await runFederation({ strategy: new FedAvg(), grid, initialArrays: initial, rounds: 1 });
    // nodes 0, 1, 2 answer with weights 1, 2, 3: (0·1 + 1·2 + 2·3) / 6
    expect(result.arrays.get("w")!.data[0]).toBeCloseTo(8 / 6, 6);
    expect(result.rounds[0]).toMatchObject({ round: 1, sent: 4, replied: 4, failed: 1, timedOut: 0 });
    expect(result.rounds[0]!.trainMetrics!.loss).toBeCloseTo(8 / 6, 6);
  });

  it("samples the same nodes for the same seed and drops stragglers past the deadline", async () => {
    const sent: string[][] = [];
    const grid = new InMemoryGrid({ nodes: 100, app, latencyMs: (id) => (id === "7" ? 10_000 : 1) });
    const strategy = new FedAvg({ fractionTrain: 0.1, fractionEvaluate: 0, seed: 42 });
    const run = () =>
      runFederation({
        strategy,
        grid,
        initialArrays: initial,
        rounds: 3,
        roundTimeoutMs: 1000,
        onRound: () => undefined,
        onReply: (round, reply) => {
          sent[round] ??= [];
          sent[round]!.push(reply.nodeId);
        },
      });
    const first = await run();
    const firstSent = sent.map((s) => [...s]);
    sent.length = 0;
    await run();
    expect(sent).toEqual(firstSent);
    expect(first.rounds.every((r) => r.sent === 10)).toBe(true);
    expect(new Set(firstSent[1]).size).toBe(firstSent[1]!.length);
  });

  it("refuses a round when too few nodes are available, naming the numbers", async () => {
    const grid = new InMemoryGrid({ nodes: 1, app });
    await expect(
      runFederation({ strategy: new FedAvg(), grid, initialArrays: initial, rounds: 1 }),
    ).rejects.toMatchObject({
      code: "FL_NOT_ENOUGH_NODES",
    });
  });
});
