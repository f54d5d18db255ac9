import { createRng, mixSeed, shuffled } from "@flock/engine";
import { describe, expect, it } from "vitest";
import type { Arrays } from "../arrays.ts";
import { loadDigits } from "../simulate/datasets.ts";
import { fedAvgUtility } from "./fedAvgUtility.ts";
import { gtgShapley } from "./gtgShapley.ts";
import { leaveOneOut } from "./leaveOneOut.ts";
import { trainRound } from "./testing/federatedRound.ts";
import {
  type Labelled,
  shuffleLabels,
  softmaxAccuracy,
  softmaxLoss,
  softmaxModel,
  trainSoftmax,
} from "./testing/softmaxTask.ts";
import type { ContributionValues } from "./values.ts";

/**
 * Issue 11's quality bar: contribution value ranks a client with clean data above a client with shuffled
 * labels in ≥ 95% of seeds. Real data (the shipped UCI digits), real local training (softmax regression,
 * 20 epochs of full-batch gradient descent per client) and real FedAvg aggregates evaluated on the digits
 * test split. Each seed draws five disjoint clients of 60 training rows; client `seed mod 5` has its labels
 * shuffled. A seed passes when the shuffled client is valued strictly below every clean client.
 */
const digits = loadDigits();
const F = digits.numFeatures;
const C = digits.numClasses;
const test: Labelled = { features: F, classes: C, x: digits.test.x, y: digits.test.y };
const SEEDS = 100;
const PLAYERS = ["0", "1", "2", "3", "4"];

function rows(indices: readonly number[]): Labelled {
  const x = new Float32Array(indices.length * F);
  const y = new Int32Array(indices.length);
  indices.forEach((r, k) => {
    x.set(digits.train.x.subarray(r * F, (r + 1) * F), k * F);
    y[k] = digits.train.y[r]!;
  });
  return { features: F, classes: C, x, y };
}

/**
 * One round for a seed. `warm`: the round starts from a model already trained on 100 other rows (81–89%
 * test accuracy), where the round's gain — and every marginal gain — is small; otherwise from zeros.
 */
function round(seed: number, warm: boolean) {
  const order = shuffled(
    Array.from({ length: digits.train.rows }, (_, i) => i),
    createRng(mixSeed(seed, 11)),
  );
  const zero = softmaxModel(F, C);
  const start = warm
    ? trainSoftmax(zero, rows(order.slice(1000, 1100)), { epochs: 30, learningRate: 0.5 })
    : zero;
  const shuffledClient = seed % 5;
  const clients = PLAYERS.map((_, i) => {
    const data = rows(order.slice(i * 60, (i + 1) * 60));
    return i === shuffledClient ? shuffleLabels(data, seed) : data;
  });
  const updates = trainRound(start, clients, { epochs: 20, learningRate: 0.5 });
  const utility = (metric: "accuracy" | "loss") =>
    fedAvgUtility({
      start,
      updates,
      evaluate: (a: Arrays) => (metric === "accuracy" ? softmaxAccuracy(a, test) : -softmaxLoss(a, test)),
    });
  return { shuffledClient, utility };
}

const rounds = new Map<string, ReturnType<typeof round>>();
/** A seed's round, trained once and shared by the tests that value it. */
function roundOf(seed: number, warm: boolean): ReturnType<typeof round> {
  const key = `${seed}/${warm}`;
  if (!rounds.has(key)) rounds.set(key, round(seed, warm));
  return rounds.get(key)!;
}

const rankedBelowEveryCleanClient = (r: ContributionValues, shuffledClient: number) =>
  r.values.every((v, i) => i === shuffledClient || v > r.values[shuffledClient]!);

async function passRate(
  warm: boolean,
  metric: "accuracy" | "loss",
  method: (
    seed: number,
    utility: ReturnType<ReturnType<typeof round>["utility"]>,
  ) => Promise<ContributionValues>,
): Promise<number> {
  let passed = 0;
  for (let seed = 0; seed < SEEDS; seed++) {
    const { shuffledClient, utility } = roundOf(seed, warm);
    if (rankedBelowEveryCleanClient(await method(seed, utility(metric)), shuffledClient)) passed++;
  }
  return passed / SEEDS;
}

const gtg = (seed: number, utility: Parameters<typeof gtgShapley>[1]) =>
  gtgShapley(PLAYERS, utility, { seed });

describe("contribution value ranks clean data above shuffled labels (digits, 100 seeds)", () => {
  // Measured on this data: GTG-Shapley 100% (round 1, accuracy), 98% (warm start, accuracy), 100% (warm
  // start, −loss); leave-one-out 100% with −loss but only 63% (round 1) and 36% (warm start) with accuracy,
  // too coarse a metric to see one client of five left out.
  it("GTG-Shapley, round 1 from zeros, accuracy as the utility", async () => {
    expect(await passRate(false, "accuracy", gtg)).toBeGreaterThanOrEqual(0.95);
  });

  it("GTG-Shapley, a warm-started round with small gains, accuracy as the utility", async () => {
    expect(await passRate(true, "accuracy", gtg)).toBeGreaterThanOrEqual(0.95);
  });

  it("GTG-Shapley and leave-one-out, a warm-started round, −loss as the utility", async () => {
    expect(await passRate(true, "loss", gtg)).toBeGreaterThanOrEqual(0.95);
    expect(await passRate(true, "loss", (_seed, u) => leaveOneOut(PLAYERS, u))).toBeGreaterThanOrEqual(0.95);
  });
});
