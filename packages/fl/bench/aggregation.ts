import { createRng } from "@flock/engine";
import { flatten, weightedMeanOf } from "../src/arrays.ts";
import { InMemoryGrid } from "../src/inMemoryGrid.ts";
import type { Reply } from "../src/messages.ts";
import { FedAvg } from "../src/strategies/fedAvg.ts";

/** Best (shortest) time of `fn` in ms over repetitions lasting about `budgetMs` in all (at least 3). */
export function bestOf(fn: () => void, budgetMs = 1_500): number {
  let best = Number.POSITIVE_INFINITY;
  const start = performance.now();
  for (let i = 0; i < 3 || performance.now() - start < budgetMs; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
    if (i > 200) break;
  }
  return best;
}

/** This machine's copy bandwidth: Float32Array.prototype.set of `floats` values (a buffer far beyond cache). */
export function measureMemcpy(floats: number) {
  const from = new Float32Array(floats).fill(1.5);
  const to = new Float32Array(floats);
  const ms = bestOf(() => to.set(from));
  const floatsPerSecond = floats / (ms / 1000);
  return { floats, ms, floatsPerSecond, bytesPerSecond: 4 * floatsPerSecond };
}

/** A model of `parameters` values in four arrays (two layers' weights and biases, as a small MLP). */
function modelShapes(parameters: number): number[][] {
  const bias = Math.max(1, Math.floor(parameters / 100));
  const rest = parameters - 2 * bias;
  const first = Math.floor(rest / 2);
  return [[first], [bias], [rest - first], [bias]];
}

/** `clients` training replies of random models, and a FedAvg configured for the round. */
async function round(clients: number, parameters: number) {
  const shapes = modelShapes(parameters);
  const rng = createRng(7);
  const arraysOf = () =>
    new Map(
      shapes.map((shape, i) => {
        const data = new Float32Array(shape[0]!);
        for (let j = 0; j < data.length; j++) data[j] = rng.next() - 0.5;
        return [`p${i}`, { shape, data }] as const;
      }),
    );
  const strategy = new FedAvg({ minTrainNodes: clients, minAvailableNodes: clients });
  const grid = new InMemoryGrid({
    nodes: clients,
    app: {
      train: async () => ({ arrays: arraysOf(), numExamples: 1, metrics: {} }),
      evaluate: async () => ({ numExamples: 0, metrics: {} }),
    },
  });
  const messages = await strategy.configureTrain(1, arraysOf(), {}, grid);
  const replies: Reply[] = messages.map((m, i) => ({
    nodeId: m.nodeId,
    kind: "train",
    round: 1,
    update: { arrays: arraysOf(), numExamples: 10 + (i % 7), metrics: { loss: 1 } },
  }));
  return { strategy, replies };
}

/**
 * FedAvg's server step on `clients` updates of `parameters` values: the whole `aggregateTrain` (update
 * checks, flattening, weighted mean, new arrays) and the weighted-mean kernel alone, in parameters read
 * per second (clients × parameters / time).
 */
export async function measureFedAvg(clients: number, parameters: number) {
  const { strategy, replies } = await round(clients, parameters);
  const ms = bestOf(() => strategy.aggregateTrain(1, replies));
  const flats = replies.map((r) => flatten((r as Extract<Reply, { kind: "train" }>).update.arrays));
  const weights = flats.map((_, i) => 10 + (i % 7));
  // The kernel into one reused buffer: its steady-state speed, without first-touch page faults.
  const out = new Float64Array(parameters);
  const kernelMs = bestOf(() => weightedMeanOf(flats, weights, out));
  const values = clients * parameters;
  return {
    ms,
    parametersPerSecond: values / (ms / 1000),
    kernelMs,
    kernelParametersPerSecond: values / (kernelMs / 1000),
  };
}

/** The plain (unsecured) server step SecAgg+ is compared with: FedAvg.aggregateTrain on the same sizes. */
export async function measurePlainServer(clients: number, parameters: number) {
  const { strategy, replies } = await round(clients, parameters);
  return { ms: bestOf(() => strategy.aggregateTrain(1, replies), 500) };
}
