/**
 * The strategy conformance suite: every entry of `STRATEGIES` (built with its published defaults) meets
 * the same contract on shared cases, plus known answers derived by hand for one shared round.
 *
 * What each entry is expected to do with a round where every node sends back the same model x ≠ global
 * is in `BEHAVIOUR`: averaging and robust strategies return x; the server optimizers (FedOpt family,
 * Reddi et al. 2021) take one adaptive step from the global model toward x (each coordinate moves in the
 * sign of x − global, by at most η/(1 − β₁)-scaled amounts, never reaching it exactly). An entry not listed
 * gets the weaker "steps toward" check.
 *
 * Order independence: every entry's result is the same for any order of the replies, except where a
 * documented tie-break decides (Krum / Multi-Krum / Bulyan: equal Krum scores, and Bulyan: equal gaps to
 * the median, go to the earlier reply). The shared cases use continuous random updates, so ties do not occur.
 */
import { createRng, mixSeed, shuffled } from "@flock/engine";
import { describe, expect, it } from "vitest";
import { type Arrays, flatten, layoutOf } from "../arrays.ts";
import { InMemoryGrid } from "../inMemoryGrid.ts";
import type { Message, Reply } from "../messages.ts";
import { arraysOf, configured, flatResult, trainReply } from "../robust/testReplies.ts";
import { runFederation } from "../runFederation.ts";
import type { Strategy, TrainResult } from "../strategy.ts";
import { Bulyan } from "./bulyan.ts";
import { MultiKrum } from "./multiKrum.ts";
import { NormClipping } from "./normClipping.ts";
import { STRATEGIES } from "./registry.ts";

type Identical = "returns-it" | "steps-toward";

/** How each registered strategy treats a round of identical updates (see the file's comment). */
const BEHAVIOUR: Readonly<Record<string, Identical>> = {
  fedavg: "returns-it",
  fedprox: "returns-it",
  fedavgm: "returns-it", // Flower's defaults: server learning rate 1, momentum 0
  fedmedian: "returns-it",
  fedtrimmedavg: "returns-it",
  krum: "returns-it",
  multikrum: "returns-it",
  bulyan: "returns-it",
  fedadam: "steps-toward",
  fedyogi: "steps-toward",
  fedadagrad: "steps-toward",
};

const SIZE = 6; // arrays "w" [2, 2] and "b" [2]
const NODES = 7;
const global = Array.from({ length: SIZE }, (_, i) => (i - 2) / 4);

/** Seven nodes' updates around the global model, continuous (no ties), with distinct numbers of examples. */
function randomReplies(seed: number): Reply[] {
  const rng = createRng(mixSeed(seed, 11));
  return Array.from({ length: NODES }, (_, i) =>
    trainReply(
      String(i),
      global.map((g) => g + rng.nextNormal() * 0.5),
      1 + rng.nextInt(50),
      { loss: rng.next(), accuracy: rng.next() },
    ),
  );
}

const errorReply = (nodeId: string): Reply => ({
  nodeId,
  kind: "train",
  round: 1,
  error: { code: "NODE_FAILED", message: "the node dropped" },
});

async function aggregate(name: string, replies: readonly Reply[]): Promise<TrainResult> {
  const strategy = await configured(STRATEGIES[name]!({ seed: 3 }), global, NODES);
  return strategy.aggregateTrain(1, replies);
}

function expectClose(actual: readonly number[] | undefined, expected: readonly number[], digits = 6): void {
  expect(actual).toBeDefined();
  expect(actual).toHaveLength(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(actual![i], `coordinate ${i}`).toBeCloseTo(expected[i]!, digits);
  }
}

describe.each(Object.keys(STRATEGIES))("strategy conformance: %s", (name) => {
  const behaviour = BEHAVIOUR[name] ?? "steps-toward";

  it("returns a model of the input layout with finite values", async () => {
    const result = await aggregate(name, randomReplies(1));
    expect(result.arrays).toBeDefined();
    expect(layoutOf(result.arrays!)).toEqual(layoutOf(arraysOf(global)));
    for (const p of result.arrays!.values()) {
      expect(p.data).toBeInstanceOf(Float32Array);
      expect(p.data.every(Number.isFinite)).toBe(true);
    }
  });

  it("is deterministic: fresh instances given the same round agree bit for bit", async () => {
    for (const seed of [1, 2]) {
      const a = flatResult(await aggregate(name, randomReplies(seed)));
      const b = flatResult(await aggregate(name, randomReplies(seed)));
      expect(a).toEqual(b);
    }
  });

  it(`given identical updates from every node ${behaviour === "returns-it" ? "returns that model" : "steps from the global model toward it"}`, async () => {
    const x = global.map((g, i) => g + (i % 2 === 0 ? 0.3 : -0.2) * (i + 1));
    const replies = Array.from({ length: NODES }, (_, i) => trainReply(String(i), x, i + 1));
    const result = flatResult(await aggregate(name, replies))!;
    if (behaviour === "returns-it") {
      expectClose(result, x);
    } else {
      result.forEach((v, i) => {
        expect(Math.sign(v - global[i]!), `coordinate ${i} moves toward x`).toBe(
          Math.sign(x[i]! - global[i]!),
        );
      });
    }
  });

  it("leaves the model where it is when every node sends it back unchanged", async () => {
    const replies = Array.from({ length: NODES }, (_, i) => trainReply(String(i), global, i + 1));
    expectClose(flatResult(await aggregate(name, replies)), global);
  });

  it("gives the same model for any order of the replies", async () => {
    const replies = randomReplies(4);
    const reference = flatResult(await aggregate(name, replies))!;
    for (let k = 0; k < 3; k++) {
      const permuted = shuffled(replies, createRng(mixSeed(9, k)));
      expectClose(flatResult(await aggregate(name, permuted)), reference);
    }
  });

  it("ignores error replies and evaluation replies among the training replies", async () => {
    const replies = randomReplies(5);
    const reference = flatResult(await aggregate(name, replies));
    const evaluation: Reply = {
      nodeId: "9",
      kind: "evaluate",
      round: 1,
      evaluation: { numExamples: 5, metrics: {} },
    };
    const noisy = [errorReply("7"), ...replies.slice(0, 3), errorReply("8"), evaluation, ...replies.slice(3)];
    expect(flatResult(await aggregate(name, noisy))).toEqual(reference);
  });

  it("rejects malformed updates without failing the round", async () => {
    const replies = randomReplies(6);
    const reference = flatResult(await aggregate(name, replies));
    const strategy = await configured(STRATEGIES[name]!({}), global, NODES);
    const malformed: Reply[] = [
      trainReply("10", [1, 2, 3]), // wrong layout
      trainReply(
        "11",
        global.map((g, i) => (i === 2 ? Number.NaN : g)),
      ),
      trainReply(
        "12",
        global.map(() => Number.POSITIVE_INFINITY),
      ),
      trainReply("13", global, 0), // no examples
    ];
    const result = strategy.aggregateTrain(1, [
      malformed[0]!,
      ...replies.slice(0, 4),
      ...malformed.slice(1),
      ...replies.slice(4),
    ]);
    expect(flatResult(result)).toEqual(reference);
    const rejected = (strategy as { rejected?: { nodeId: string; code: string }[] }).rejected;
    expect(rejected?.map((r) => r.nodeId)).toEqual(["10", "11", "12", "13"]);
    expect(rejected?.[0]?.code).toBe("FL_ARRAYS_MISMATCH");
  });

  it("makes no model from a round without a valid update", async () => {
    const result = await aggregate(name, [errorReply("0"), trainReply("1", [1])]);
    expect(result.arrays).toBeUndefined();
  });

  it("aggregates evaluation metrics weighted by examples, ignoring errors", async () => {
    const strategy = STRATEGIES[name]!({});
    const metrics = strategy.aggregateEvaluate(1, [
      { nodeId: "0", kind: "evaluate", round: 1, evaluation: { numExamples: 1, metrics: { accuracy: 0.5 } } },
      { nodeId: "1", kind: "evaluate", round: 1, evaluation: { numExamples: 3, metrics: { accuracy: 0.9 } } },
      { nodeId: "2", kind: "evaluate", round: 1, error: { code: "X", message: "dropped" } },
    ]);
    expect(metrics?.accuracy).toBeCloseTo(0.8, 12);
  });

  it("wrapped in central norm clipping with a norm no update reaches, gives the same model", async () => {
    const replies = randomReplies(7);
    const bare = flatResult(await aggregate(name, replies));
    const wrapped = await configured(
      new NormClipping(STRATEGIES[name]!({ seed: 3 }), { clippingNorm: 1e6 }),
      global,
      NODES,
    );
    expect(flatResult(wrapped.aggregateTrain(1, replies))).toEqual(bare);
  });

  it("runs three rounds of the real round loop over an InMemoryGrid", async () => {
    // node i pulls the model toward its own target t_i; one node always fails
    const app = {
      async train(message: Message) {
        const i = Number(message.nodeId);
        if (i === 0) throw new Error("dropped");
        const x = flatten(message.arrays!);
        const target = global.map((_, k) => Math.sin(i + k));
        return {
          arrays: arraysOf(Array.from(x, (v, k) => v + 0.5 * (target[k]! - v))),
          numExamples: i,
          metrics: {},
        };
      },
      async evaluate() {
        return { numExamples: 1, metrics: { loss: 1 } };
      },
    };
    const initialArrays: Arrays = arraysOf(global);
    const run = await runFederation({
      strategy: STRATEGIES[name]!({ fractionEvaluate: 0 }),
      grid: new InMemoryGrid({ nodes: 8, app }),
      initialArrays,
      rounds: 3,
    });
    expect(run.rounds).toHaveLength(3);
    expect(run.rounds.every((r) => r.sent === 8 && r.failed === 1)).toBe(true);
    expect(flatten(run.arrays).every(Number.isFinite)).toBe(true);
    expect(flatten(run.arrays)).not.toEqual(flatten(initialArrays));
  });
});

describe("known answers on one shared round (derived by hand)", () => {
  // Global (0, 0). Updates (x, y) and examples: (0, 4)·1, (1, 0)·2, (2, 1)·1, (5, 3)·1 and the outlier (10, −8)·5.
  const points = [
    [0, 4],
    [1, 0],
    [2, 1],
    [5, 3],
    [10, -8],
  ];
  const weights = [1, 2, 1, 1, 5];
  const replies = points.map((p, i) => trainReply(String(i), p, weights[i]));
  // Squared distances: 01 17, 02 13, 03 26, 04 244, 12 2, 13 25, 14 145, 23 13, 24 145, 34 146.
  // Krum scores, f = 0 (3 neighbours): 56, 44, 28, 64, 436 → node 2. f = 1 (2 neighbours): 30, 19, 15, 38, 290.
  const cases: [string, Strategy, number[] | undefined][] = [
    // Σ wx / Σ w = (0 + 2 + 2 + 5 + 50) / 10, (4 + 0 + 1 + 3 − 40) / 10
    ["fedavg", STRATEGIES.fedavg!({}), [5.9, -3.2]],
    // columns sorted [0, 1, 2, 5, 10] and [−8, 0, 1, 3, 4]
    ["fedmedian", STRATEGIES.fedmedian!({}), [2, 1]],
    // β 0.2 → int(1.0) = 1 cut per end: (1 + 2 + 5) / 3, (0 + 1 + 3) / 3
    ["fedtrimmedavg", STRATEGIES.fedtrimmedavg!({}), [8 / 3, 4 / 3]],
    ["krum (f = 0)", STRATEGIES.krum!({}), [2, 1]],
    ["multikrum (defaults: m = 1, Krum)", STRATEGIES.multikrum!({}), [2, 1]],
    // f = 1, m = 3: nodes 2, 1, 0 weighted 1, 2, 1: (2 + 2 + 0) / 4, (1 + 0 + 4) / 4
    ["multikrum (f = 1, m = 3)", new MultiKrum({ numMaliciousNodes: 1, numNodesToSelect: 3 }), [1, 1.25]],
    // f = 0: θ = β = 5, the unweighted mean (18 / 5, 0)
    ["bulyan (f = 0)", STRATEGIES.bulyan!({}), [3.6, 0]],
    // f = 1 needs 4·1 + 3 = 7 updates: skipped
    ["bulyan (f = 1)", new Bulyan({ numMaliciousNodes: 1 }), undefined],
  ];
  it.each(cases)("%s", async (_label, strategy, expected) => {
    await configured(strategy, [0, 0], 5);
    const result = flatResult(strategy.aggregateTrain(1, replies));
    if (expected === undefined) expect(result).toBeUndefined();
    else expectClose(result, expected, 6);
  });
});
