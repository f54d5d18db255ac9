import { describe, expect, it } from "vitest";
import { gradCheck } from "../autodiff/gradCheck.ts";
import { gradients } from "../autodiff/gradients.ts";
import { createRng } from "../data/random.ts";
import { Graph } from "../graph/graph.ts";
import { cloneParameters, type ParameterSet } from "../nn/parameters.ts";
import { initTabularMlp } from "../nn/tabularMlp.ts";
import { sgd } from "../optim/sgd.ts";
import { interpret } from "../reference/interpret.ts";
import type { NDArray } from "../reference/ndarray.ts";
import { proximalTerm } from "./proximal.ts";
import { type TabularBatch, tabularTask } from "./tabularTask.ts";
import { Trainer, type TrainerOptions } from "./trainer.ts";

const rng = createRng(11);
const randn = (shape: number[]): NDArray => ({
  shape,
  data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.nextNormal()),
});

describe("the proximal term μ/2·‖w − w_anchor‖²", () => {
  it("has the gradient μ·(w − w_anchor), by finite differences and in closed form", () => {
    const g = new Graph("prox");
    const w = [g.input("a", "float64", [3, 2]), g.input("b", "float64", [4])];
    const anchors = [g.input("a0", "float64", [3, 2]), g.input("b0", "float64", [4])];
    const r = randn([3, 2]);
    // A data loss Σ a ⊙ R plus the term, μ = 0.7
    const loss = w[0]!
      .mul(g.constant(r.data, [3, 2], "float64"))
      .sum()
      .add(proximalTerm(w, anchors, 0.7));
    const feeds = { a: randn([3, 2]), b: randn([4]), a0: randn([3, 2]), b0: randn([4]) };
    const check = gradCheck(g, loss, w, feeds);
    expect(check.checked).toBe(10);
    expect(check.maxError).toBeLessThan(1e-7);
    const [ga, gb] = interpret(g, feeds, gradients(loss, w));
    ga!.data.forEach((v, i) => {
      expect(v).toBeCloseTo(r.data[i]! + 0.7 * (feeds.a.data[i]! - feeds.a0.data[i]!), 12);
    });
    gb!.data.forEach((v, i) => {
      expect(v).toBeCloseTo(0.7 * (feeds.b.data[i]! - feeds.b0.data[i]!), 12);
    });
  });
});

const config = { kind: "classifier" as const, numFeatures: 3, hidden: [4], numClasses: 2 };
const batches: TabularBatch[] = [
  { x: Float32Array.of(1, 0, 2, 0, 1, -1), y: Int32Array.of(0, 1) },
  { x: Float32Array.of(-1, 2, 0, 1, 1, 1), y: Int32Array.of(1, 0) },
  { x: Float32Array.of(0.5, -0.5, 1, 2, 0, -2), y: Int32Array.of(1, 1) },
];
const lr = 0.1;

async function trainer(params: ParameterSet, extra: Partial<TrainerOptions> = {}, batchSize = 2) {
  return Trainer.create(tabularTask(config, cloneParameters(params), batchSize), {
    optimizer: sgd(),
    schedule: { peak: lr },
    ...extra,
  });
}

function maxDiff(a: Float32Array, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe("Trainer with a proximal term (FedProx local training)", () => {
  it("one SGD step from w₁ moves by −lr·μ·(w₁ − w₀) more than without the term", async () => {
    const params = initTabularMlp(config, createRng(3));
    const mu = 0.5;
    const plain = await trainer(params);
    const prox = await trainer(params, { proximal: { mu } });
    // Step 1 starts at the anchor: the term and its gradient are zero, both trainers agree exactly.
    const a1 = await plain.trainStep([batches[0]!]);
    const b1 = await prox.trainStep([batches[0]!]);
    expect(b1.loss).toBe(a1.loss);
    const w1 = plain.parameters();
    for (const [name, p] of prox.parameters()) expect([...p.data]).toEqual([...w1.get(name)!.data]);
    // Step 2: same data gradient at w₁, plus μ·(w₁ − w₀) in the proximal run.
    const a2 = await plain.trainStep([batches[1]!]);
    const b2 = await prox.trainStep([batches[1]!]);
    expect(b2.loss).toBe(a2.loss); // the reported loss is the task's, without the term
    expect(b2.gradNorm).not.toBeCloseTo(a2.gradNorm, 6);
    let moved = 0;
    for (const [name, p] of prox.parameters()) {
      const w0 = params.get(name)!.data;
      const step1 = w1.get(name)!.data;
      const plainW2 = plain.parameters().get(name)!.data;
      const expected = plainW2.map((v, i) => v - lr * mu * (step1[i]! - w0[i]!));
      expect(maxDiff(p.data, expected)).toBeLessThan(1e-6);
      moved = Math.max(moved, maxDiff(p.data, plainW2));
    }
    expect(moved).toBeGreaterThan(1e-4);
    await plain.release();
    await prox.release();
  });

  it("reset re-anchors to the new weights and setProximalMu changes μ without recompiling", async () => {
    const params = initTabularMlp(config, createRng(4));
    const other = initTabularMlp(config, createRng(5));
    const prox = await trainer(params, { proximal: { mu: 2 } });
    for (const b of batches) await prox.trainStep([b]);
    prox.reset(other);
    expect(prox.proximalMu).toBe(2);
    // From `other` with μ = 0: exactly a plain trainer started at `other`.
    prox.setProximalMu(0);
    const plain = await trainer(other);
    for (const b of batches) {
      const a = await plain.trainStep([b]);
      const c = await prox.trainStep([b]);
      expect(c.loss).toBe(a.loss);
    }
    for (const [name, p] of prox.parameters()) {
      expect(maxDiff(p.data, plain.parameters().get(name)!.data)).toBe(0);
    }
    // A large μ after reset keeps the weights near the new anchor, not the construction-time one.
    prox.reset(other);
    prox.setProximalMu(5);
    plain.reset(other);
    for (let i = 0; i < 6; i++) {
      await prox.trainStep([batches[i % 3]!]);
      await plain.trainStep([batches[i % 3]!]);
    }
    const distance = (t: Trainer<TabularBatch>) => {
      let s = 0;
      for (const [name, p] of t.parameters()) {
        const a = other.get(name)!.data;
        p.data.forEach((v, i) => {
          s += (v - a[i]!) ** 2;
        });
      }
      return Math.sqrt(s);
    };
    expect(distance(prox)).toBeLessThan(0.8 * distance(plain));
    await prox.release();
    await plain.release();
  });

  it("accumulated micro-batches add the term once per step, like one fused batch", async () => {
    const params = initTabularMlp(config, createRng(6));
    const joined = (a: TabularBatch, b: TabularBatch): TabularBatch => ({
      x: Float32Array.from([...a.x, ...b.x]),
      y: Int32Array.from([...a.y, ...b.y]),
    });
    const fused = await trainer(params, { proximal: { mu: 1.5 } }, 4);
    const accumulated = await trainer(params, { proximal: { mu: 1.5 }, accumulation: 2 }, 2);
    for (let i = 0; i < 3; i++) {
      const [a, b] = [batches[i % 3]!, batches[(i + 1) % 3]!];
      await fused.trainStep([joined(a, b)]);
      await accumulated.trainStep([a, b]);
    }
    for (const [name, p] of accumulated.parameters()) {
      expect(maxDiff(p.data, fused.parameters().get(name)!.data)).toBeLessThan(1e-6);
    }
    await fused.release();
    await accumulated.release();
  });

  it("refuses a negative μ and setting μ on a trainer built without the term", async () => {
    const params = initTabularMlp(config, createRng(7));
    await expect(trainer(params, { proximal: { mu: -1 } })).rejects.toMatchObject({
      code: "TRAINER_PROXIMAL_INVALID",
    });
    const plain = await trainer(params);
    expect(plain.proximalMu).toBeUndefined();
    expect(() => plain.setProximalMu(0.1)).toThrow(/without a proximal term/);
    await plain.release();
  });
});
