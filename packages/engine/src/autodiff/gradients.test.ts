import { describe, expect, it } from "vitest";
import { createRng } from "../data/random.ts";
import { Graph, type Tensor } from "../graph/graph.ts";
import type { NDArray } from "../reference/ndarray.ts";
import { opCases } from "../testing/opCases.ts";
import { gradCheck } from "./gradCheck.ts";

const rng = createRng(7);

function randn(shape: number[], scale = 1): NDArray {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float64Array.from({ length: n }, () => rng.nextNormal() * scale) };
}

/** Scalar loss Σ out ⊙ R with a fixed random R, so every output element matters differently. */
function project(out: Tensor): Tensor {
  const shape = out.shape as number[];
  const r = randn(shape);
  return out.mul(out.graph.constant(r.data, shape, "float64")).sum();
}

describe("autodiff matches central finite differences in float64", () => {
  for (const [name, c] of Object.entries(opCases)) {
    it(`gradient of ${name}`, () => {
      const g = new Graph(name);
      const tensors: Record<string, Tensor> = {};
      const feeds: Record<string, NDArray> = {};
      for (const [input, shape] of Object.entries(c.inputs)) {
        tensors[input] = g.input(input, "float64", shape);
        const values = randn(shape);
        if (c.positive?.includes(input))
          values.data.forEach((v, i) => {
            values.data[i] = Math.abs(v) + 0.5;
          });
        feeds[input] = values;
      }
      const loss = project(c.build(g, tensors));
      const result = gradCheck(g, loss, Object.values(tensors), feeds);
      expect(result.checked).toBeGreaterThan(0);
      expect(result.maxError).toBeLessThan(1e-6);
    });
  }
});
