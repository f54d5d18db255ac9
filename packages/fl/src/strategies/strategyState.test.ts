import { describe, expect, it } from "vitest";
import { type Arrays, flatten, layoutOf, unflatten } from "../arrays.ts";
import { InMemoryGrid, type NodeApp } from "../inMemoryGrid.ts";
import type { Message } from "../messages.ts";
import { SecAggPlus } from "../secagg/secAggPlus.ts";
import type { Strategy } from "../strategy.ts";
import { threeValueModel } from "../testing/deltaNodes.ts";
import { FedAdagrad } from "./fedAdagrad.ts";
import { FedAdam } from "./fedAdam.ts";
import { FedAvg } from "./fedAvg.ts";
import { FedAvgM } from "./fedAvgM.ts";
import { FedYogi } from "./fedYogi.ts";
import {
  decodeStrategyState,
  encodeStrategyState,
  isStateful,
  type StatefulStrategy,
  statefulPart,
} from "./strategyState.ts";

// Per round, per node: the change node i makes to the model it is sent (weights 1, 3 and 2).
const DELTAS = [
  [
    [0.5, -1, 0.25],
    [1.5, -0.5, 0],
    [-0.75, 2, 1],
  ],
  [
    [-0.25, 0.5, 0.125],
    [0.75, -1.25, 0.5],
    [0, 0.25, -2],
  ],
  [
    [1, 1, -1],
    [-0.5, 0.125, 0.25],
    [0.25, -0.75, 0.5],
  ],
  [
    [0.125, 0, 0.5],
    [-1, 0.5, -0.25],
    [0.5, 0.5, 0.5],
  ],
];
const WEIGHTS = [1, 3, 2];

const app: NodeApp = {
  async train(message: Message) {
    const node = Number(message.nodeId);
    const delta = DELTAS[message.round - 1]![node]!;
    const x = flatten(message.arrays!);
    return {
      arrays: unflatten(
        layoutOf(message.arrays!),
        x.map((v, i) => v + delta[i]!),
      ),
      numExamples: WEIGHTS[node]!,
      metrics: {},
    };
  },
  async evaluate() {
    return { numExamples: 1, metrics: {} };
  },
};

/** One round of `strategy` from `arrays`: configure, send, aggregate; the new global (or the old one). */
async function playRound(strategy: Strategy, round: number, arrays: Arrays): Promise<Arrays> {
  const grid = new InMemoryGrid({ nodes: WEIGHTS.length, app });
  const messages = await strategy.configureTrain(round, arrays, {}, grid);
  const replies = await grid.sendAndReceive(messages);
  return strategy.aggregateTrain(round, replies).arrays ?? arrays;
}

const OPTIMIZERS: [string, () => StatefulStrategy][] = [
  ["FedAvgM (η = 0.7, β = 0.9)", () => new FedAvgM({ serverLearningRate: 0.7, serverMomentum: 0.9 })],
  ["FedAvgM (η = 0.5, β = 0)", () => new FedAvgM({ serverLearningRate: 0.5 })],
  ["FedAdam", () => new FedAdam({ eta: 0.3, beta1: 0.6, beta2: 0.75, tau: 0.05 })],
  ["FedYogi", () => new FedYogi({ eta: 0.2, tau: 0.01 })],
  ["FedAdagrad", () => new FedAdagrad({ eta: 0.5 })],
];

describe("a server optimizer's exported state", () => {
  it.each(OPTIMIZERS)(
    "%s restored from its state after every round aggregates exactly as the one that never stopped",
    async (_name, make) => {
      const initial = threeValueModel([1, -2, 0.5]);
      const uninterrupted = make();
      let straight: Arrays = initial;
      let restarted: Arrays = initial;
      let bytes = encodeStrategyState(make().exportState());
      for (let round = 1; round <= DELTAS.length; round++) {
        straight = await playRound(uninterrupted, round, straight);
        // A fresh strategy each round, fed the bytes the previous round left (as a coordinator after a restart).
        const fresh = make();
        fresh.importState(decodeStrategyState(bytes));
        restarted = await playRound(fresh, round, restarted);
        bytes = encodeStrategyState(fresh.exportState());
        expect([...flatten(restarted)]).toEqual([...flatten(straight)]);
      }
      // The optimizer did move away from plain averaging.
      const fedAvg = new FedAvg();
      let averaged: Arrays = initial;
      for (let round = 1; round <= DELTAS.length; round++)
        averaged = await playRound(fedAvg, round, averaged);
      expect([...flatten(straight)]).not.toEqual([...flatten(averaged)]);
    },
  );

  it("keeping the state from before a round drops that round's step: the next round is as if it never ran", async () => {
    // FedAdam over rounds 1, 2, 4 of the script, with round 3's aggregate discarded (its state not kept):
    // the same as an optimizer that saw rounds 1, 2 and then round 4 and no round 3 at all.
    const make = () => new FedAdam({ eta: 0.3, beta1: 0.6, beta2: 0.75, tau: 0.05 });
    const initial = threeValueModel([1, -2, 0.5]);
    const a = make();
    let x = await playRound(a, 1, initial);
    x = await playRound(a, 2, x);
    const kept = encodeStrategyState(a.exportState());
    await playRound(a, 3, x); // discarded: its arrays and its state are dropped
    const b = make();
    b.importState(decodeStrategyState(kept));
    const redone = await playRound(b, 4, x);

    const c = make();
    let y = await playRound(c, 1, initial);
    y = await playRound(c, 2, y);
    const skipped = await playRound(c, 4, y);
    expect([...flatten(redone)]).toEqual([...flatten(skipped)]);
    expect([...flatten(redone)]).not.toEqual([...flatten(await playRound(a, 4, x))]);
  });

  it("is found through SecAgg+, refused by another strategy, and survives only as float64", () => {
    const adam = new FedAdam();
    expect(statefulPart(new SecAggPlus(adam))).toBe(adam);
    expect(statefulPart(new FedAvg())).toBeUndefined();
    expect(isStateful(new FedAvg())).toBe(false);
    const state = {
      strategy: "FedAdam",
      vectors: { m: Float64Array.of(0.1, 1e-300), v: Float64Array.of(Math.PI, 2 ** -60) },
    };
    const back = decodeStrategyState(encodeStrategyState(state));
    expect(back.strategy).toBe("FedAdam");
    expect([...back.vectors.m!]).toEqual([0.1, 1e-300]);
    expect([...back.vectors.v!]).toEqual([Math.PI, 2 ** -60]);
    expect(() => new FedYogi().importState(state)).toThrow(
      expect.objectContaining({ code: "FL_STATE_INVALID" }),
    );
    expect(() =>
      adam.importState({ strategy: "FedAdam", vectors: { m: Float64Array.of(1), v: Float64Array.of(1, 2) } }),
    ).toThrow(expect.objectContaining({ code: "FL_STATE_INVALID" }));
    expect(() => adam.importState({ strategy: "FedAdam", vectors: { m: Float64Array.of(1) } })).toThrow(
      expect.objectContaining({ code: "FL_STATE_INVALID" }),
    );
  });
});
