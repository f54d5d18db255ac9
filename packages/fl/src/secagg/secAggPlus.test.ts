import { describe, expect, it } from "vitest";
import { flatten } from "../arrays.ts";
import { InMemoryGrid, type NodeApp } from "../inMemoryGrid.ts";
import type { NodeId } from "../messages.ts";
import { runFederation } from "../runFederation.ts";
import { FedAdam } from "../strategies/fedAdam.ts";
import { FedAvg } from "../strategies/fedAvg.ts";
import { secAggPlusNode } from "./node.ts";
import { SecAggPlus, type SecAggPlusOptions } from "./secAggPlus.ts";
import { type DropoutPoint, droppingNode } from "./simulation.ts";
import { maxDiff, modelOf, plainMean, quantizationBound, trainingApp } from "./testKit.ts";

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));

async function secureRound(
  n: number,
  app: NodeApp,
  options: SecAggPlusOptions = {},
  size = 40,
): Promise<{ mean: Float64Array; strategy: SecAggPlus; sent: number; replied: number; failed: number }> {
  const base = modelOf(size);
  const strategy = new SecAggPlus(new FedAvg({ minTrainNodes: n, minAvailableNodes: n }), options);
  const grid = new InMemoryGrid({ nodes: n, app });
  const out = await strategy.trainRound(1, base, {}, grid);
  return { mean: Float64Array.from(flatten(out.arrays!)), strategy, ...out };
}

const drop = (nodes: readonly NodeId[], point: DropoutPoint): Map<NodeId, DropoutPoint> =>
  new Map(nodes.map((id) => [id, point]));

/** SecAgg+ nodes that fail as planned: in local training (inside masked-input) or at a stage. */
const failing = (plan: ReadonlyMap<NodeId, DropoutPoint>): NodeApp =>
  droppingNode(secAggPlusNode(droppingNode(trainingApp, plan)), plan);

describe("SecAgg+ over an InMemoryGrid", () => {
  it("the unmasked mean equals the plaintext FedAvg mean within the quantization bound", async () => {
    const { mean, strategy, sent, replied, failed } = await secureRound(10, secAggPlusNode(trainingApp));
    const expected = plainMean(modelOf(40), ids(10));
    expect(maxDiff(mean, expected)).toBeLessThanOrEqual(quantizationBound(ids(10)));
    expect({ sent, replied, failed }).toEqual({ sent: 10, replied: 10, failed: 0 });
    expect(strategy.lastRound).toMatchObject({ sampled: 10, neighbours: 9, threshold: 7, complete: true });
    expect(strategy.lastRound!.included).toHaveLength(10);
  });

  it("encodes whole models as Flower does when relative is off", async () => {
    const { mean } = await secureRound(6, secAggPlusNode(trainingApp), { relative: false });
    expect(maxDiff(mean, plainMean(modelOf(40), ids(6)))).toBeLessThanOrEqual(quantizationBound(ids(6)));
  });

  const points: DropoutPoint[] = ["setup", "share-keys", "train", "masked-input", "unmask"];

  it.each(points)("recovers from ⌊n/3⌋ = 3 of 10 nodes dropping at %s", async (point) => {
    const gone = ["1", "4", "8"];
    const app = failing(drop(gone, point));
    const { mean, strategy, failed } = await secureRound(10, app);
    // A node that drops during unmask has already sent its masked input: its update is in the sum.
    const included = point === "unmask" ? ids(10) : ids(10).filter((id) => !gone.includes(id));
    expect([...strategy.lastRound!.included].sort()).toEqual(included);
    expect(maxDiff(mean, plainMean(modelOf(40), included))).toBeLessThanOrEqual(quantizationBound(included));
    expect(failed).toBe(point === "unmask" ? 0 : 3);
  });

  it.each(points)(
    "fails with FL_SECAGG_TOO_MANY_DROPOUTS, not a wrong sum, when 4 of 10 drop at %s",
    async (point) => {
      const app = failing(drop(["0", "3", "6", "9"], point));
      await expect(secureRound(10, app)).rejects.toMatchObject({
        code: "FL_SECAGG_TOO_MANY_DROPOUTS",
        message: expect.stringMatching(/threshold is 7|7 are needed/),
      });
    },
  );

  it("recovers from dropouts spread over every stage", async () => {
    const plan = new Map<NodeId, DropoutPoint>([
      ["2", "share-keys"],
      ["5", "masked-input"],
      ["7", "unmask"],
    ]);
    const { mean, strategy } = await secureRound(10, failing(plan));
    const included = ids(10).filter((id) => id !== "2" && id !== "5");
    expect([...strategy.lastRound!.included].sort()).toEqual(included);
    expect(maxDiff(mean, plainMean(modelOf(40), included))).toBeLessThanOrEqual(quantizationBound(included));
    expect(strategy.lastRound!.dropped).toMatchObject({
      "share-keys": ["2"],
      "masked-input": ["5"],
      unmask: ["7"],
    });
  });

  it("drops stragglers that miss a stage's deadline like any dropout", async () => {
    const base = modelOf(20);
    const slow = (id: string, m: { body?: { stage?: unknown } }) =>
      id === "3" && m.body?.stage === "masked-input" ? 60_000 : 1;
    const strategy = new SecAggPlus(new FedAvg({ fractionEvaluate: 0 }));
    const result = await runFederation({
      strategy,
      grid: new InMemoryGrid({ nodes: 8, app: secAggPlusNode(trainingApp), latencyMs: slow }),
      initialArrays: base,
      rounds: 1,
      roundTimeoutMs: 10_000,
    });
    const included = ids(8).filter((id) => id !== "3");
    expect(strategy.lastRound!.dropped["masked-input"]).toEqual(["3"]);
    expect(result.rounds[0]).toMatchObject({ sent: 8, replied: 7, failed: 0, timedOut: 1 });
    expect(maxDiff(flatten(result.arrays), plainMean(base, included))).toBeLessThanOrEqual(
      quantizationBound(included),
    );
  });

  it("runs whole federations: the same models as plain FedAvg, round after round", async () => {
    const base = modelOf(20);
    const plain = await runFederation({
      strategy: new FedAvg({ fractionEvaluate: 0 }),
      grid: new InMemoryGrid({ nodes: 8, app: trainingApp }),
      initialArrays: base,
      rounds: 2,
    });
    const secure = await runFederation({
      strategy: new SecAggPlus(new FedAvg({ fractionEvaluate: 0 }), { revealMetrics: true }),
      grid: new InMemoryGrid({ nodes: 8, app: secAggPlusNode(trainingApp, { roundingSeed: 1 }) }),
      initialArrays: base,
      rounds: 2,
    });
    expect(maxDiff(flatten(secure.arrays), flatten(plain.arrays))).toBeLessThan(
      2 * quantizationBound(ids(8)),
    );
    expect(secure.rounds[1]).toMatchObject({ sent: 8, replied: 8, failed: 0 });
    expect(secure.rounds[1]!.trainMetrics!.loss).toBeCloseTo(plain.rounds[1]!.trainMetrics!.loss!, 9);
  });

  it("wraps a server optimizer too: FedAdam under SecAgg+ follows plain FedAdam", async () => {
    const base = modelOf(20);
    const run = (strategy: FedAdam | SecAggPlus, app: NodeApp) =>
      runFederation({ strategy, grid: new InMemoryGrid({ nodes: 6, app }), initialArrays: base, rounds: 3 });
    const plain = await run(new FedAdam({ fractionEvaluate: 0, tau: 1e-3 }), trainingApp);
    const secure = await run(
      new SecAggPlus(new FedAdam({ fractionEvaluate: 0, tau: 1e-3 })),
      secAggPlusNode(trainingApp),
    );
    // Three Adam steps of η = 0.1 moved the model by ~0.3; the quantization error of the mean (~3e-4 here)
    // is divided by √v + τ in Adam's step, so a value whose pseudo-gradient is small moves a little more.
    expect(maxDiff(flatten(plain.arrays), flatten(base))).toBeGreaterThan(0.1);
    expect(maxDiff(flatten(secure.arrays), flatten(plain.arrays))).toBeLessThan(5e-3);
  });

  it("wraps only linear strategies and never runs a plain round", async () => {
    const notLinear = { ...new FedAvg(), linear: false } as unknown as FedAvg;
    expect(() => new SecAggPlus(notLinear)).toThrow(
      expect.objectContaining({ code: "FL_SECAGG_NOT_LINEAR" }),
    );
    class Uniform extends FedAvg {
      override weightOf(): number {
        return 1;
      }
    }
    expect(() => new SecAggPlus(new Uniform())).toThrow(
      expect.objectContaining({ code: "FL_SECAGG_NOT_LINEAR" }),
    );
    const s = new SecAggPlus(new FedAvg());
    await expect(s.configureTrain()).rejects.toMatchObject({ code: "FL_SECAGG_PLAIN_ROUND" });
  });

  it("a node refuses stages out of order", async () => {
    const node = secAggPlusNode(trainingApp);
    await expect(
      node.exchange!({ nodeId: "0", kind: "exchange", round: 1, config: {}, body: { stage: "unmask" } }),
    ).rejects.toMatchObject({ code: "FL_SECAGG_STAGE" });
  });
});
