import type { Arrays } from "../../arrays.ts";
import type { Update } from "../../messages.ts";
import { type Labelled, trainSoftmax } from "./softmaxTask.ts";

/**
 * One FedAvg round of softmax regression for the contribution tests: each client trains from the same
 * starting arrays on its own data (full-batch gradient descent) and reports its arrays and example count.
 */
export function trainRound(
  start: Arrays,
  clients: readonly Labelled[],
  options: { epochs: number; learningRate: number },
): Update[] {
  return clients.map((data) => ({
    arrays: trainSoftmax(start, data, options),
    numExamples: data.y.length,
    metrics: {},
  }));
}
