/**
 * The weighted sum Σ wᵢ·xᵢ of float32 vectors into float64 accumulators, two coordinates per instruction in
 * WebAssembly SIMD (the fast path of `weightedMeanOf`). The module is assembled here from its opcodes, a
 * few hundred bytes, so nothing is loaded at run time.
 *
 * Bit-identical to the scalar loop: every lane computes a ← a + w·x with f64x2.mul and f64x2.add (IEEE 754
 * round-to-nearest, no fused multiply-add), x converted exactly by f64x2.promote_low_f32x4, the vectors of
 * each coordinate taken in the same order (four per pass, then one at a time).
 *
 * Data moves in blocks: each block of every vector is copied into the module's memory (a native copy into
 * the cache) and summed there, so the accumulators and the copies stay in the L2 cache and each input is
 * read from main memory once.
 */

/** Coordinates per block: accumulators (8 B) and four input slots (4 B each): 384 KiB. */
const BLOCK = 16_384;
const ACC = 0;
const SLOT = (k: number) => BLOCK * 8 + k * BLOCK * 4;

interface Kernel {
  readonly acc4: (
    acc: number,
    v0: number,
    v1: number,
    v2: number,
    v3: number,
    end: number,
    ...w: number[]
  ) => void;
  readonly acc1: (acc: number, v0: number, end: number, w0: number) => void;
  readonly accumulators: Float64Array;
  readonly slots: readonly Float32Array[];
}

let kernel: Kernel | null | undefined;

/** The part of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: object };
}

/** The instantiated module, or null where WebAssembly SIMD is not available (then the scalar loop runs). */
function getKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(moduleBytes()));
    const exports = instance.exports as Pick<Kernel, "acc4" | "acc1"> & { memory: { buffer: ArrayBuffer } };
    const buffer = exports.memory.buffer;
    kernel = {
      acc4: exports.acc4,
      acc1: exports.acc1,
      accumulators: new Float64Array(buffer, ACC, BLOCK),
      slots: [0, 1, 2, 3].map((k) => new Float32Array(buffer, SLOT(k), BLOCK)),
    };
  } catch {
    kernel = null;
  }
  return kernel;
}

/**
 * acc ← Σₖ w[k]·vectors[k], coordinate by coordinate in vector order, overwriting `acc`. Returns false
 * (and leaves `acc` alone) when WebAssembly SIMD is unavailable.
 */
export function simdWeightedSum(
  acc: Float64Array,
  vectors: readonly Float32Array[],
  w: readonly number[],
): boolean {
  const k = getKernel();
  if (!k) return false;
  const n = acc.length;
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    const count = end - start;
    // The kernel works on coordinate pairs; an odd block's extra lane is computed and never read.
    const pairs = count + (count & 1);
    k.accumulators.fill(0);
    let v = 0;
    for (; v + 4 <= vectors.length; v += 4) {
      for (let j = 0; j < 4; j++) k.slots[j]!.set(vectors[v + j]!.subarray(start, end));
      k.acc4(ACC, SLOT(0), SLOT(1), SLOT(2), SLOT(3), pairs, w[v]!, w[v + 1]!, w[v + 2]!, w[v + 3]!);
    }
    for (; v < vectors.length; v++) {
      k.slots[0]!.set(vectors[v]!.subarray(start, end));
      k.acc1(ACC, SLOT(0), pairs, w[v]!);
    }
    acc.set(k.accumulators.subarray(0, count), start);
  }
  return true;
}

// ---- The module, assembled (WebAssembly core spec 2.0 binary format, SIMD proposal opcodes). ----

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const name = (s: string) => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const simd = (op: number) => [0xfd, ...uleb(op)];
const memarg = (alignLog2: number) => [alignLog2, 0];
const localGet = (i: number) => [0x20, ...uleb(i)];
const localSet = (i: number) => [0x21, ...uleb(i)];

const OP = {
  v128Load: 0x00,
  v128Store: 0x0b,
  f64x2Splat: 0x14,
  v128Load64Zero: 0x5d,
  f64x2PromoteLowF32x4: 0x5f,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
} as const;

/**
 * `acc_k(acc, v₀ … v_{k−1}, end, w₀ … w_{k−1})`: for i = 0, 2, … < end,
 * acc[i..i+1] ← (((acc + w₀·v₀[i..i+1]) + w₁·v₁[i..i+1]) + …), the weights splatted once.
 * Parameters: 0 = acc, 1..k = vᵢ (byte offsets), k+1 = end, k+2.. = wᵢ; locals: i, a, splats.
 */
function accumulateFunction(k: number): { type: number[]; body: number[] } {
  const end = k + 1;
  const weight = (j: number) => k + 2 + j;
  const i = 2 * k + 2;
  const a = i + 1;
  const splat = (j: number) => a + 1 + j;
  const address = (base: number, shift: number) => [
    ...localGet(base),
    ...localGet(i),
    0x41,
    shift,
    0x74,
    0x6a,
  ];
  const body: number[] = [];
  for (let j = 0; j < k; j++)
    body.push(...localGet(weight(j)), ...simd(OP.f64x2Splat), ...localSet(splat(j)));
  body.push(0x02, 0x40, 0x03, 0x40); // block, loop
  body.push(...localGet(i), ...localGet(end), 0x4e, 0x0d, 1); // i32.ge_s, br_if out
  body.push(...address(0, 3), ...simd(OP.v128Load), ...memarg(3), ...localSet(a));
  for (let j = 0; j < k; j++) {
    body.push(...localGet(a), ...localGet(splat(j)));
    body.push(
      ...address(1 + j, 2),
      ...simd(OP.v128Load64Zero),
      ...memarg(2),
      ...simd(OP.f64x2PromoteLowF32x4),
    );
    body.push(...simd(OP.f64x2Mul), ...simd(OP.f64x2Add), ...localSet(a));
  }
  body.push(...address(0, 3), ...localGet(a), ...simd(OP.v128Store), ...memarg(3));
  body.push(...localGet(i), 0x41, 2, 0x6a, ...localSet(i), 0x0c, 0, 0x0b, 0x0b, 0x0b); // i += 2, br loop, ends
  const locals = [2, ...uleb(1), I32, ...uleb(1 + k), V128];
  const params = [...new Array(k + 2).fill(I32), ...new Array(k).fill(F64)];
  return { type: [0x60, ...uleb(params.length), ...params, 0], body: [...locals, ...body] };
}

function moduleBytes(): Uint8Array {
  const functions = [accumulateFunction(4), accumulateFunction(1)];
  const pages = Math.ceil(SLOT(4) / 65_536);
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [...uleb(functions.length), ...functions.flatMap((f) => f.type)]),
    ...section(3, [...uleb(functions.length), 0, 1]),
    ...section(5, [1, 0x00, ...uleb(pages)]),
    ...section(7, [3, ...name("acc4"), 0x00, 0, ...name("acc1"), 0x00, 1, ...name("memory"), 0x02, 0]),
    ...section(10, [
      ...uleb(functions.length),
      ...functions.flatMap((f) => [...uleb(f.body.length), ...f.body]),
    ]),
  ]);
}
