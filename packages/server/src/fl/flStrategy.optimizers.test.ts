import {
  type Arrays,
  decodeStrategyState,
  encodeStrategyState,
  flatten,
  InMemoryGrid,
  layoutOf,
  type Message,
  type NodeApp,
  runFederation,
  STRATEGIES,
  statefulPart,
  unflatten,
} from "@flock/fl";
import type { FlTerms } from "@flock/store";
import { describe, expect, it } from "vitest";
import { checkFlStrategy, roundStrategy } from "./flStrategy.ts";

const NODES = 4;
const ROUNDS = 3;

/** Node i's update in round r: a fixed pull of the model it was sent toward its own target. */
const app: NodeApp = {
  async train(message: Message) {
    const node = Number(message.nodeId);
    const x = flatten(message.arrays!);
    const target = [1 + node * 0.25, -2 + message.round * 0.5, 0.5 * node, 3 - node];
    return {
      arrays: unflatten(
        layoutOf(message.arrays!),
        x.map((v, i) => v + (0.3 + 0.1 * node) * (target[i]! - v)),
      ),
      numExamples: 5 + 3 * node,
      metrics: {},
    };
  },
  async evaluate() {
    return { numExamples: 1, metrics: {} };
  },
};

const initial: Arrays = new Map([
  ["w", { shape: [3], data: Float32Array.of(0, 0.5, -1) }],
  ["b", { shape: [1], data: Float32Array.of(2) }],
]);

const seed = `0x${"5a".repeat(32)}`;

function terms(strategy: FlTerms["strategy"]) {
  return {
    strategy,
    privacy: { mode: "plain" as const },
    rounds: ROUNDS,
    proposerFractionBps: 5000,
  };
}

/**
 * The network path of a server optimizer: each round a new strategy built as the coordinator builds it
 * (`roundStrategy`), loaded from the bytes the previous round stored, aggregating that round's updates.
 */
async function networkRounds(strategy: FlTerms["strategy"]): Promise<number[][]> {
  const grid = new InMemoryGrid({ nodes: NODES, app });
  let global = initial;
  let stored: Uint8Array | undefined;
  const globals: number[][] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const s = roundStrategy(terms(strategy), seed, NODES);
    const optimizer = statefulPart(s)!;
    if (stored !== undefined) optimizer.importState(decodeStrategyState(stored));
    const messages = await s.configureTrain(round, global, {}, grid);
    global = s.aggregateTrain(round, await grid.sendAndReceive(messages)).arrays!;
    stored = encodeStrategyState(optimizer.exportState());
    globals.push([...flatten(global)]);
  }
  return globals;
}

/** The simulator's path: the round loop with one strategy object for the whole run. */
async function simulatorRounds(strategy: FlTerms["strategy"]): Promise<number[][]> {
  const globals: number[][] = [];
  await runFederation({
    strategy: STRATEGIES[strategy.name]!({
      fractionEvaluate: 0,
      minTrainNodes: 1,
      minAvailableNodes: 1,
      ...(strategy.params ?? {}),
    } as never),
    grid: new InMemoryGrid({ nodes: NODES, app }),
    initialArrays: initial,
    rounds: ROUNDS,
    onRound: (_record, arrays) => globals.push([...flatten(arrays)]),
  });
  return globals;
}

describe("server optimizers on the network path", () => {
  it.each<{ name: string; params?: Record<string, number> }>([
    { name: "fedadam" },
    { name: "fedadam", params: { eta: 0.3, beta1: 0.8, beta2: 0.9, tau: 0.05 } },
    { name: "fedyogi", params: { eta: 0.2 } },
    { name: "fedadagrad", params: { eta: 0.4, tau: 0.01 } },
    { name: "fedavgm", params: { serverLearningRate: 0.8, serverMomentum: 0.9 } },
  ])(
    "$name $params: three rounds rebuilt from stored state aggregate bit for bit as the simulator's",
    async (strategy) => {
      checkFlStrategy({ strategy, privacy: { mode: "plain" } });
      const network = await networkRounds(strategy);
      const simulator = await simulatorRounds(strategy);
      expect(network).toEqual(simulator);
      // And not FedAvg's: the optimizer's state is what makes the difference.
      expect(network).not.toEqual(await simulatorRounds({ name: "fedavg" }));
    },
  );

  it("under SecAgg+ the optimizer is the strategy SecAgg+ wraps, and it is found to load its state", () => {
    const s = roundStrategy({ ...terms({ name: "fedadam" }), privacy: { mode: "secagg" } }, seed, NODES);
    expect(s.name).toBe("SecAggPlus(FedAdam)");
    expect(statefulPart(s)?.name).toBe("FedAdam");
    expect(statefulPart(roundStrategy(terms({ name: "fedavg" }), seed, NODES))).toBeUndefined();
  });
});
