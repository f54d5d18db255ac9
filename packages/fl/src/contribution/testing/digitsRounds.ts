import { createRng, mixSeed, shuffled } from "@flock/engine";
import type { Arrays } from "../../arrays.ts";
import { loadDigits } from "../../simulate/datasets.ts";
import { fedAvgUtility } from "../fedAvgUtility.ts";
import type { Utility } from "../utility.ts";
import type { ContributionValues } from "../values.ts";
import { trainRound } from "./federatedRound.ts";
import {
  type Labelled,
  shuffleLabels,
  softmaxAccuracy,
  softmaxLoss,
  softmaxModel,
  trainSoftmax,
} from "./softmaxTask.ts";

/**
 * The rounds of issue 11's contribution quality bar ("contribution value ranks a client with clean data
 * above a client with shuffled labels in ≥ 95% of seeds"): real data (the shipped UCI digits), real local
 * training (softmax regression, 10 epochs of full-batch gradient descent per client) and real FedAvg
 * aggregates evaluated on the digits test split. Each seed draws five disjoint clients of 60 training
 * rows; client `seed mod 5` has its labels shuffled.
 */
const digits = loadDigits();
const F = digits.numFeatures;
const C = digits.numClasses;
const test: Labelled = { features: F, classes: C, x: digits.test.x, y: digits.test.y };

/** The five clients of a round, by id. */
export const DIGITS_PLAYERS = ["0", "1", "2", "3", "4"];

function rows(indices: readonly number[]): Labelled {
  const x = new Float32Array(indices.length * F);
  const y = new Int32Array(indices.length);
  indices.forEach((r, k) => {
    x.set(digits.train.x.subarray(r * F, (r + 1) * F), k * F);
    y[k] = digits.train.y[r]!;
  });
  return { features: F, classes: C, x, y };
}

/** A seed's round: which client is shuffled, and the round's utility under a metric. */
export interface DigitsRound {
  readonly shuffledClient: number;
  utility(metric: "accuracy" | "loss"): Utility;
}

/**
 * One round for a seed. `warm`: the round starts from a model already trained on 100 other rows (76–86%
 * test accuracy), where the round's gain — and every marginal gain — is small; otherwise from zeros.
 */
export function digitsRound(seed: number, warm: boolean): DigitsRound {
  const order = shuffled(
    Array.from({ length: digits.train.rows }, (_, i) => i),
    createRng(mixSeed(seed, 11)),
  );
  const zero = softmaxModel(F, C);
  const start = warm
    ? trainSoftmax(zero, rows(order.slice(1000, 1100)), { epochs: 30, learningRate: 1 })
    : zero;
  const shuffledClient = seed % 5;
  const clients = DIGITS_PLAYERS.map((_, i) => {
    const data = rows(order.slice(i * 60, (i + 1) * 60));
    return i === shuffledClient ? shuffleLabels(data, seed) : data;
  });
  const updates = trainRound(start, clients, { epochs: 10, learningRate: 1 });
  return {
    shuffledClient,
    utility: (metric) =>
      fedAvgUtility({
        start,
        updates,
        evaluate: (a: Arrays) => (metric === "accuracy" ? softmaxAccuracy(a, test) : -softmaxLoss(a, test)),
      }),
  };
}

/** The shuffled client is valued strictly below every clean client. */
export function rankedBelowEveryCleanClient(r: ContributionValues, shuffledClient: number): boolean {
  return r.values.every((v, i) => i === shuffledClient || v > r.values[shuffledClient]!);
}

/** The fraction of `rounds` where `value` ranks the shuffled client below every clean one. */
export async function passRate(
  rounds: readonly DigitsRound[],
  metric: "accuracy" | "loss",
  value: (seed: number, utility: Utility) => Promise<ContributionValues>,
): Promise<number> {
  let passed = 0;
  for (const [seed, round] of rounds.entries()) {
    if (rankedBelowEveryCleanClient(await value(seed, round.utility(metric)), round.shuffledClient)) passed++;
  }
  return passed / rounds.length;
}
