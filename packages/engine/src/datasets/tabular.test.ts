import { describe, expect, it } from "vitest";
import { createRng } from "../data/random.ts";
import {
  classifyByRule,
  generateClassificationDataset,
  generateRegressionDataset,
  regressionTarget,
  TABULAR_FEATURES,
} from "./tabular.ts";

/** A plain-JS 6-64-3 ReLU MLP trained with Adam: the reference that the stated accuracy is achievable. */
function trainReferenceMlp(
  x: Float32Array,
  y: Int32Array,
  rows: number,
  epochs: number,
): (row: Float32Array) => number {
  const D = TABULAR_FEATURES;
  const H = 64;
  const C = 3;
  const rng = createRng(11);
  const w1 = Float64Array.from({ length: D * H }, () => rng.nextNormal() * Math.sqrt(2 / D));
  const b1 = new Float64Array(H);
  const w2 = Float64Array.from({ length: H * C }, () => rng.nextNormal() * Math.sqrt(1 / H));
  const b2 = new Float64Array(C);
  const params = [w1, b1, w2, b2];
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const h = new Float64Array(H);
  const logits = new Float64Array(C);
  const forward = (row: ArrayLike<number>): void => {
    for (let j = 0; j < H; j++) {
      let s = b1[j]!;
      for (let i = 0; i < D; i++) s += row[i]! * w1[i * H + j]!;
      h[j] = Math.max(0, s);
    }
    for (let c = 0; c < C; c++) {
      let s = b2[c]!;
      for (let j = 0; j < H; j++) s += h[j]! * w2[j * C + c]!;
      logits[c] = s;
    }
  };
  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let start = 0; start < rows; start += 64) {
      const end = Math.min(start + 64, rows);
      const g = params.map((p) => new Float64Array(p.length));
      for (let r = start; r < end; r++) {
        const row = x.subarray(r * D, (r + 1) * D);
        forward(row);
        const max = Math.max(...logits);
        const e = Array.from(logits, (z) => Math.exp(z - max));
        const sum = e.reduce((a, b) => a + b, 0);
        const dh = new Float64Array(H);
        for (let c = 0; c < C; c++) {
          const dl = e[c]! / sum - (c === y[r] ? 1 : 0);
          g[3]![c]! += dl;
          for (let j = 0; j < H; j++) {
            g[2]![j * C + c]! += h[j]! * dl;
            dh[j]! += w2[j * C + c]! * dl;
          }
        }
        for (let j = 0; j < H; j++) {
          if (h[j]! <= 0) continue;
          g[1]![j]! += dh[j]!;
          for (let i = 0; i < D; i++) g[0]![i * H + j]! += row[i]! * dh[j]!;
        }
      }
      step++;
      params.forEach((p, k) => {
        for (let i = 0; i < p.length; i++) {
          const gi = g[k]![i]! / (end - start);
          m[k]![i] = 0.9 * m[k]![i]! + 0.1 * gi;
          v[k]![i] = 0.999 * v[k]![i]! + 0.001 * gi * gi;
          p[i]! -=
            (0.003 * (m[k]![i]! / (1 - 0.9 ** step))) / (Math.sqrt(v[k]![i]! / (1 - 0.999 ** step)) + 1e-8);
        }
      });
    }
  }
  return (row) => {
    forward(row);
    return logits.indexOf(Math.max(...logits));
  };
}

describe("tabular classification dataset", () => {
  const ds = generateClassificationDataset({ seed: 1 });

  it("is deterministic per seed, with balanced classes and the stated label noise", () => {
    const again = generateClassificationDataset({ seed: 1 });
    expect(again.train.x).toEqual(ds.train.x);
    expect(again.test.y).toEqual(ds.test.y);
    expect(generateClassificationDataset({ seed: 2 }).train.x).not.toEqual(ds.train.x);
    expect(ds.train.x).toHaveLength(8000 * 6);
    const counts = [0, 0, 0];
    for (const label of ds.train.y) counts[label]!++;
    for (const c of counts) expect(Math.abs(c / 8000 - 1 / 3)).toBeLessThan(0.02);
  });

  it("lets the true rule score the Bayes accuracy (1 − label noise) and no better", () => {
    let correct = 0;
    for (let r = 0; r < ds.test.rows; r++) {
      if (classifyByRule(ds.test.x.subarray(r * 6, r * 6 + 6)) === ds.test.y[r]) correct++;
    }
    expect(ds.bayesAccuracy).toBe(0.95);
    expect(Math.abs(correct / ds.test.rows - ds.bayesAccuracy)).toBeLessThan(0.015);
  });

  it("is learnable: a reference MLP reaches at least 85% test accuracy", () => {
    const predict = trainReferenceMlp(ds.train.x, ds.train.y, ds.train.rows, 12);
    let correct = 0;
    for (let r = 0; r < ds.test.rows; r++)
      if (predict(ds.test.x.subarray(r * 6, r * 6 + 6)) === ds.test.y[r]) correct++;
    expect(correct / ds.test.rows).toBeGreaterThanOrEqual(0.85);
  });

  it("rejects impossible options", () => {
    expect(() => generateClassificationDataset({ seed: 1, labelNoise: 0.7 })).toThrow(/labelNoise/);
    expect(() => generateClassificationDataset({ seed: 1, trainRows: 0 })).toThrow(/trainRows/);
  });
});

describe("tabular regression dataset", () => {
  it("has the noise level as its best RMSE and a much worse constant baseline", () => {
    const ds = generateRegressionDataset({ seed: 1 });
    let se = 0;
    let seMean = 0;
    const mean = ds.train.y.reduce((a, b) => a + b, 0) / ds.train.rows;
    for (let r = 0; r < ds.test.rows; r++) {
      se += (regressionTarget(ds.test.x.subarray(r * 6, r * 6 + 6)) - ds.test.y[r]!) ** 2;
      seMean += (mean - ds.test.y[r]!) ** 2;
    }
    expect(ds.bestRmse).toBe(0.3);
    expect(Math.abs(Math.sqrt(se / ds.test.rows) - 0.3)).toBeLessThan(0.02);
    expect(Math.sqrt(seMean / ds.test.rows)).toBeGreaterThan(1.8);
    expect(generateRegressionDataset({ seed: 1 }).test.y).toEqual(ds.test.y);
  });
});
