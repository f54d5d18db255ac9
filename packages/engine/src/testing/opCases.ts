import type { Graph, Tensor } from "../graph/graph.ts";

/** One small computation per op family, used by the gradient checks and the ONNX-vs-reference checks. */
export type OpCase = {
  inputs: Record<string, number[]>;
  build: (g: Graph, x: Record<string, Tensor>) => Tensor;
  positive?: string[];
};

export const opCases: Record<string, OpCase> = {
  "Add/Sub/Mul/Div with broadcasting": {
    inputs: { a: [3, 4], b: [4] },
    build: (_g, { a, b }) => a!.add(b!).mul(a!).sub(b!.mul(2)).div(b!.mul(b!).add(1)),
  },
  "Max/Min": {
    inputs: { a: [3, 4], b: [3, 4] },
    build: (_g, { a, b }) => a!.maximum(b!).add(a!.minimum(b!.mul(0.3))),
  },
  "Exp/Log/Sqrt/Reciprocal": {
    inputs: { a: [2, 5] },
    positive: ["a"],
    build: (_g, { a }) => a!.exp().add(a!.log()).add(a!.sqrt()).add(a!.reciprocal()),
  },
  "Tanh/Erf/Sigmoid/Neg/Abs": {
    inputs: { a: [2, 5] },
    build: (_g, { a }) => a!.tanh().add(a!.erf()).add(a!.sigmoid()).sub(a!.neg().abs()),
  },
  Relu: { inputs: { a: [3, 5] }, build: (_g, { a }) => a!.relu() },
  "MatMul with broadcasting": {
    inputs: { a: [2, 3, 4], b: [4, 5] },
    build: (_g, { a, b }) => a!.matmul(b!),
  },
  "MatMul batched": { inputs: { a: [2, 3, 4], b: [2, 4, 3] }, build: (_g, { a, b }) => a!.matmul(b!) },
  "Gemm with transposes": {
    inputs: { a: [3, 4], b: [5, 4], c: [3, 5] },
    build: (_g, { a, b, c }) =>
      a!
        .gemm(b!, { transB: true })
        .add(a!.gemm(c!, { transA: true }).gemm(a!, { transA: true, transB: true }).transpose([1, 0]))
        .add(c!.gemm(b!).gemm(b!, { transB: true })),
  },
  "ReduceSum/ReduceMean/ReduceMax": {
    inputs: { a: [3, 4, 2] },
    build: (_g, { a }) =>
      a!
        .sum(1)
        .add(a!.max(1))
        .add(a!.sumSquares(1))
        .add(a!.mean(1))
        .add(a!.mean([0, 2], true).reshape([4]).square().sum()),
  },
  "Reshape/Transpose/Slice/Concat": {
    inputs: { a: [2, 3, 4] },
    build: (g, { a }) => {
      const t = a!.transpose([2, 0, 1]).reshape([4, 6]);
      return g.concat([t.slice(1, 1, 4), t.slice(1, 0, 1).mul(3)], 1).slice(0, 1, 3);
    },
  },
  Split: {
    inputs: { a: [3, 7] },
    build: (g, { a }) => {
      const [p, q, r] = a!.split(1, [2, 4, 1]) as [Tensor, Tensor, Tensor];
      void q; // an unused part: its gradient is zeros
      return g.concat([r.mul(p.slice(1, 0, 1)), p.exp()], 1);
    },
  },
  "Gather (embedding)": {
    inputs: { table: [6, 3] },
    build: (g, { table }) => table!.gather(g.constant([1, 4, 1, 0, 5, 1], [2, 3], "int64")),
  },
  "Gather from a table too large for the one-hot gradient (ScatterND)": {
    inputs: { table: [4100, 2] },
    build: (g, { table }) => table!.gather(g.constant([4099, 7, 4099, 0], [4], "int32")),
  },
  "Softmax/LogSoftmax": {
    inputs: { a: [3, 5] },
    build: (_g, { a }) => a!.softmax(-1).add(a!.logSoftmax(0).mul(0.5)),
  },
  Where: {
    inputs: { a: [3, 4], b: [4] },
    build: (g, { a, b }) => g.where(a!.greater(0.2), a!.mul(b!), b!.exp()),
  },
  LayerNormalization: {
    inputs: { x: [3, 6], w: [6], b: [6] },
    build: (_g, { x, w, b }) => x!.layerNorm(w!, b!, 1e-5),
  },
  RMSNorm: { inputs: { x: [2, 3, 6], w: [6] }, build: (_g, { x, w }) => x!.rmsNorm(w!, 1e-6) },
  "GELU (erf)": { inputs: { a: [3, 5] }, build: (_g, { a }) => a!.gelu("none") },
  "GELU (tanh)": { inputs: { a: [3, 5] }, build: (_g, { a }) => a!.gelu("tanh") },
  SiLU: { inputs: { a: [3, 5] }, build: (_g, { a }) => a!.silu() },
  RoPE: {
    inputs: { x: [2, 2, 3, 4] },
    build: (g, { x }) => {
      const cos = g.constant([1, 0.9, 0.7, 0.99, 0.2, 0.95], [3, 2], x!.dtype);
      const sin = g.constant([0, 0.43, 0.71, 0.14, 0.98, 0.31], [3, 2], x!.dtype);
      return x!.rope(cos, sin);
    },
  },
  CrossEntropy: {
    inputs: { logits: [4, 7] },
    build: (g, { logits }) => logits!.crossEntropy(g.constant([3, 0, 6, 3], [4], "int64")),
  },
  "Cast to the other float type and back": {
    inputs: { a: [2, 3] },
    build: (_g, { a }) =>
      a!
        .cast(a!.dtype === "float64" ? "float32" : "float64")
        .mul(2)
        .cast(a!.dtype),
  },
};
