/** A dense array of float64 values, the reference interpreter's only value type (ints and bools included). */
export interface NDArray {
  shape: number[];
  data: Float64Array;
}

export function ndarray(shape: readonly number[], data?: ArrayLike<number>): NDArray {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape: [...shape], data: data ? Float64Array.from(data) : new Float64Array(size) };
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1]! * shape[i + 1]!;
  return strides;
}

/** Numpy broadcast of concrete shapes. */
export function broadcastConcrete(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`cannot broadcast [${a}] and [${b}]`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Materialize `x` broadcast to `shape`. */
export function broadcastTo(x: NDArray, shape: readonly number[]): NDArray {
  const out = ndarray(shape);
  const rank = shape.length;
  const xShape = [...new Array<number>(rank - x.shape.length).fill(1), ...x.shape];
  const xStrides = stridesOf(xShape);
  const outStrides = stridesOf(shape);
  for (let i = 0; i < out.data.length; i++) {
    let rest = i;
    let src = 0;
    for (let d = 0; d < rank; d++) {
      const coord = Math.floor(rest / outStrides[d]!);
      rest -= coord * outStrides[d]!;
      if (xShape[d] !== 1) src += coord * xStrides[d]!;
    }
    out.data[i] = x.data[src]!;
  }
  return out;
}

/** Elementwise function of two broadcast arrays. */
export function zipWith(a: NDArray, b: NDArray, f: (x: number, y: number) => number): NDArray {
  const shape = broadcastConcrete(a.shape, b.shape);
  const aa = broadcastTo(a, shape);
  const bb = broadcastTo(b, shape);
  const out = ndarray(shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = f(aa.data[i]!, bb.data[i]!);
  return out;
}

export function map(a: NDArray, f: (x: number, i: number) => number): NDArray {
  const out = ndarray(a.shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = f(a.data[i]!, i);
  return out;
}

/** Split a shape at an axis into (outer, axis size, inner) for loops along one axis. */
export function around(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis]!, sizeOf(shape.slice(axis + 1))];
}

export function transpose(x: NDArray, perm: readonly number[]): NDArray {
  const shape = perm.map((p) => x.shape[p]!);
  const out = ndarray(shape);
  const inStrides = stridesOf(x.shape);
  const outStrides = stridesOf(shape);
  for (let i = 0; i < out.data.length; i++) {
    let rest = i;
    let src = 0;
    for (let d = 0; d < shape.length; d++) {
      const coord = Math.floor(rest / outStrides[d]!);
      rest -= coord * outStrides[d]!;
      src += coord * inStrides[perm[d]!]!;
    }
    out.data[i] = x.data[src]!;
  }
  return out;
}

export function reduce(
  x: NDArray,
  axes: readonly number[],
  keepdims: boolean,
  kind: "sum" | "mean" | "max",
): NDArray {
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = ndarray(keptShape);
  if (kind === "max") out.data.fill(Number.NEGATIVE_INFINITY);
  const inStrides = stridesOf(x.shape);
  const outStrides = stridesOf(keptShape);
  for (let i = 0; i < x.data.length; i++) {
    let rest = i;
    let dst = 0;
    for (let d = 0; d < x.shape.length; d++) {
      const coord = Math.floor(rest / inStrides[d]!);
      rest -= coord * inStrides[d]!;
      if (!axes.includes(d)) dst += coord * outStrides[d]!;
    }
    out.data[dst] = kind === "max" ? Math.max(out.data[dst]!, x.data[i]!) : out.data[dst]! + x.data[i]!;
  }
  if (kind === "mean") {
    const count = axes.reduce((a, ax) => a * x.shape[ax]!, 1);
    for (let i = 0; i < out.data.length; i++) out.data[i] = out.data[i]! / count;
  }
  if (!keepdims) out.shape = x.shape.filter((_, i) => !axes.includes(i));
  return out;
}

/** Batched matrix product with numpy broadcasting of leading dimensions. */
export function matmul(a: NDArray, b: NDArray): NDArray {
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  const batch = broadcastConcrete(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const aa = broadcastTo(a, [...batch, m, k]);
  const bb = broadcastTo(b, [...batch, k, n]);
  const out = ndarray([...batch, m, n]);
  const count = sizeOf(batch);
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let q = 0; q < k; q++) acc += aa.data[p * m * k + i * k + q]! * bb.data[p * k * n + q * n + j]!;
        out.data[p * m * n + i * n + j] = acc;
      }
    }
  }
  return out;
}
