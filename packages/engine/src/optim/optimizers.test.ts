import { describe, expect, it } from "vitest";
import { Graph } from "../graph/graph.ts";
import { interpret } from "../reference/interpret.ts";
import { adamw } from "./adamw.ts";
import { clipByGlobalNorm } from "./clip.ts";
import type { Optimizer } from "./optimizer.ts";
import { learningRate } from "./schedule.ts";
import { sgd } from "./sgd.ts";

/** Run `steps` graph updates of one parameter with fixed gradients, in the float64 reference interpreter. */
function graphSteps(
  optimizer: Optimizer,
  p0: number[],
  grads: number[][],
  lr: number,
  clip?: number,
): number[] {
  const g = new Graph("update");
  const p = g.input("p", "float64", [p0.length]);
  const grad = g.input("g", "float64", [p0.length]);
  const state = optimizer.slots.map((slot) => g.input(slot, "float64", [p0.length]));
  const scalars = Object.fromEntries(
    optimizer.scalarNames.map((name) => [name, g.input(name, "float64", [])]),
  );
  const { scale } = clipByGlobalNorm([grad], clip);
  const next = optimizer.update(p, grad, scale, state, scalars, true);
  let values = { p: p0, ...Object.fromEntries(optimizer.slots.map((s) => [s, p0.map(() => 0)])) } as Record<
    string,
    number[]
  >;
  grads.forEach((gradient, t) => {
    const feeds = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, { shape: [v.length], data: Float64Array.from(v) }]),
    );
    feeds.g = { shape: [gradient.length], data: Float64Array.from(gradient) };
    for (const [name, value] of Object.entries(optimizer.scalars(t + 1, lr)))
      feeds[name] = { shape: [], data: Float64Array.of(value) };
    const [param, ...slots] = interpret(g, feeds, [next.param, ...next.state]);
    values = {
      p: Array.from(param!.data),
      ...Object.fromEntries(optimizer.slots.map((s, k) => [s, Array.from(slots[k]!.data)])),
    };
  });
  return values.p!;
}

describe("optimizers written as graph code match their textbook definitions", () => {
  const p0 = [0.5, -1.2, 2.0];
  const grads = [
    [0.3, -0.1, 2.5],
    [-0.2, 0.4, 1.0],
    [0.05, 0.6, -3.0],
  ];

  it("AdamW with bias correction, decoupled weight decay and global-norm clipping", () => {
    const [b1, b2, eps, wd, lr, clip] = [0.9, 0.99, 1e-8, 0.1, 0.01, 1.5];
    const p = [...p0];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    grads.forEach((raw, t) => {
      const norm = Math.hypot(...raw);
      const g = raw.map((x) => x * Math.min(1, clip / (norm + 1e-6)));
      for (let i = 0; i < p.length; i++) {
        m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
        v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
        const mHat = m[i]! / (1 - b1 ** (t + 1));
        const vHat = v[i]! / (1 - b2 ** (t + 1));
        p[i] = p[i]! - lr * wd * p[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
    });
    const got = graphSteps(adamw({ beta1: b1, beta2: b2, eps, weightDecay: wd }), p0, grads, lr, clip);
    for (const [i, x] of got.entries()) expect(x).toBeCloseTo(p[i]!, 12);
  });

  it("SGD with momentum", () => {
    const p = [...p0];
    const buf = [0, 0, 0];
    for (const g of grads) {
      for (let i = 0; i < p.length; i++) {
        buf[i] = 0.9 * buf[i]! + g[i]!;
        p[i] = p[i]! - 0.05 * buf[i]!;
      }
    }
    const got = graphSteps(sgd({ momentum: 0.9 }), p0, grads, 0.05);
    for (const [i, x] of got.entries()) expect(x).toBeCloseTo(p[i]!, 12);
  });

  it("the schedule warms up linearly, then decays along a cosine to the floor", () => {
    const s = { peak: 1, warmupSteps: 10, totalSteps: 110, minRatio: 0.1 };
    expect(learningRate(5, s)).toBeCloseTo(0.5, 12);
    expect(learningRate(10, s)).toBeCloseTo(1, 12);
    expect(learningRate(60, s)).toBeCloseTo(0.55, 12);
    expect(learningRate(110, s)).toBeCloseTo(0.1, 12);
    expect(learningRate(500, s)).toBeCloseTo(0.1, 12);
  });
});
