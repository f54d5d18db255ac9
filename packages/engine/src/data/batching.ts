import { ValidationError } from "@flock/core";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import type { Batch } from "./batch.ts";
import type { TokenizedExample } from "./chatTemplate.ts";
import { epochPermutation } from "./random.ts";

/**
 * From tokenized examples to fixed-shape batches. A row holds up to seqLen + 1 tokens: inputs are tokens
 * 0..seqLen-1 and targets tokens 1..seqLen (next-token prediction). Padding has weight 0 and attention 0.
 */

/** Tokens of one batch row (≤ seqLen + 1), possibly several examples packed end to end. */
export interface PackedRow {
  ids: number[];
  scored: number[];
  targetBytes: number[];
}

export interface RowOptions {
  seqLen: number;
  /**
   * Pack several short examples into one row (best-fit decreasing), default true. Packed examples can
   * attend to each other (there is no block mask), so evaluation that must not depend on neighbours
   * uses `pack: false`. The target across a boundary is the next example's bos, which is never scored.
   */
  pack?: boolean;
}

function checkPositive(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError("BATCH_INVALID_OPTION", `${name} must be a positive integer, got ${value}`, {
      hint: `pass ${name} as a whole number ≥ 1`,
    });
  }
}

function exampleRow(e: TokenizedExample, capacity: number): PackedRow {
  const n = Math.min(e.ids.length, capacity);
  return {
    ids: Array.from(e.ids.subarray(0, n)),
    scored: Array.from(e.scored.subarray(0, n)),
    targetBytes: Array.from(e.targetBytes.subarray(0, n)),
  };
}

/**
 * Arrange examples into rows of at most seqLen + 1 tokens, truncating longer ones. With packing, examples
 * go longest first into the fullest row that still has room (best fit), which is deterministic.
 */
export function packRows(examples: readonly TokenizedExample[], options: RowOptions): PackedRow[] {
  checkPositive("seqLen", options.seqLen);
  const capacity = options.seqLen + 1;
  if (options.pack === false) return examples.map((e) => exampleRow(e, capacity));
  const order = examples
    .map((e, i) => ({ i, n: Math.min(e.ids.length, capacity) }))
    .sort((a, b) => b.n - a.n || a.i - b.i);
  const rows: PackedRow[] = [];
  // free[c] = indices of rows with exactly c tokens of room left (a stack: deterministic and O(1)).
  const free: number[][] = Array.from({ length: capacity + 1 }, () => []);
  for (const { i, n } of order) {
    const e = examples[i]!;
    let target = -1;
    for (let c = n; c < capacity && target < 0; c++) {
      if (free[c]!.length > 0) target = free[c]!.pop()!;
    }
    if (target < 0) {
      rows.push({ ids: [], scored: [], targetBytes: [] });
      target = rows.length - 1;
    }
    const row = rows[target]!;
    const part = exampleRow(e, n);
    row.ids.push(...part.ids);
    row.scored.push(...part.scored);
    row.targetBytes.push(...part.targetBytes);
    const room = capacity - row.ids.length;
    if (room > 0) free[room]!.push(target);
  }
  return rows;
}

/** Fill one batch from rows (fewer rows than batchSize → a smaller batch; the batch dimension is symbolic). */
export function rowsToBatch(rows: readonly PackedRow[], seqLen: number, padId: number): Batch {
  checkPositive("seqLen", seqLen);
  const batchSize = rows.length;
  const size = batchSize * seqLen;
  const batch: Batch = {
    batchSize,
    seqLen,
    inputIds: new Int32Array(size).fill(padId),
    targets: new Int32Array(size).fill(padId),
    weights: new Float32Array(size),
    targetBytes: new Int32Array(size),
    attentionMask: new Float32Array(size),
  };
  rows.forEach((row, b) => {
    const n = row.ids.length;
    if (n > seqLen + 1) {
      throw new ValidationError(
        "BATCH_ROW_TOO_LONG",
        `row ${b} has ${n} tokens; at most seqLen + 1 = ${seqLen + 1} fit`,
        {
          hint: "build rows with packRows for the same seqLen",
        },
      );
    }
    for (let t = 0; t < Math.min(n, seqLen); t++) {
      const at = b * seqLen + t;
      batch.inputIds[at] = row.ids[t]!;
      batch.attentionMask[at] = 1;
      if (t + 1 < n) {
        batch.targets[at] = row.ids[t + 1]!;
        const scored = row.scored[t + 1]!;
        batch.weights[at] = scored;
        batch.targetBytes[at] = scored ? row.targetBytes[t + 1]! : 0;
      }
    }
  });
  return batch;
}

export interface BatchOptions extends RowOptions {
  batchSize: number;
  padId: number;
  /** Drop a last batch smaller than batchSize (default false: it is kept, with fewer rows). */
  dropLast?: boolean;
}

/** Examples → rows (packed or not) → batches of `batchSize` rows, in row order. */
export function makeBatches(examples: readonly TokenizedExample[], options: BatchOptions): Batch[] {
  checkPositive("batchSize", options.batchSize);
  const rows = packRows(examples, options);
  const batches: Batch[] = [];
  for (let start = 0; start < rows.length; start += options.batchSize) {
    const chunk = rows.slice(start, start + options.batchSize);
    if (chunk.length < options.batchSize && options.dropLast === true) break;
    batches.push(rowsToBatch(chunk, options.seqLen, options.padId));
  }
  return batches;
}

/** The smallest bucket that holds an example of `length` tokens (as seqLen + 1), or the largest bucket. */
export function bucketFor(length: number, buckets: readonly number[]): number {
  const sorted = [...buckets].sort((a, b) => a - b);
  for (const b of sorted) if (length <= b + 1) return b;
  return sorted[sorted.length - 1]!;
}

export interface BucketedBatchOptions extends Omit<BatchOptions, "seqLen"> {
  /** Allowed sequence lengths (one compiled graph each); each example goes to the smallest that fits. */
  buckets: readonly number[];
}

/**
 * Group examples by length bucket and batch each group at its own seqLen, so short examples do not pay
 * for the longest one. Batches come out by ascending bucket; shuffle them with `BatchStream`.
 */
export function makeBucketedBatches(
  examples: readonly TokenizedExample[],
  options: BucketedBatchOptions,
): Batch[] {
  if (options.buckets.length === 0) {
    throw new ValidationError("BATCH_NO_BUCKETS", "bucketing needs at least one sequence length", {
      hint: "pass buckets such as [64, 128, 256]",
    });
  }
  for (const b of options.buckets) checkPositive("bucket", b);
  const groups = new Map<number, TokenizedExample[]>();
  for (const e of examples) {
    const b = bucketFor(e.ids.length, options.buckets);
    const group = groups.get(b);
    if (group === undefined) groups.set(b, [e]);
    else group.push(e);
  }
  return [...groups.keys()]
    .sort((a, b) => a - b)
    .flatMap((seqLen) => makeBatches(groups.get(seqLen)!, { ...options, seqLen }));
}

/**
 * A long text as pretraining examples: bos + its tokens, cut into windows of seqLen + 1 tokens that overlap
 * by one, so every token after bos is a scored target exactly once.
 */
export function textToExamples(text: string, tokenizer: Tokenizer, seqLen: number): TokenizedExample[] {
  checkPositive("seqLen", seqLen);
  const ids = [tokenizer.specials.bos, ...tokenizer.encode(text)];
  const examples: TokenizedExample[] = [];
  for (let start = 0; start + 1 < ids.length; start += seqLen) {
    const window = ids.slice(start, start + seqLen + 1);
    const scored = new Uint8Array(window.length).fill(1);
    if (start === 0) scored[0] = 0;
    examples.push({
      ids: new Int32Array(window),
      scored,
      targetBytes: Int32Array.from(window, (id) => tokenizer.tokenByteLength(id)),
    });
  }
  return examples;
}

/** Where a training run is in its data: the epoch and how many items of that epoch were consumed. */
export interface DataPosition {
  epoch: number;
  index: number;
}

export interface BatchStreamOptions {
  /** Seed of the per-epoch order; the same seed gives the same order on every machine. */
  seed: number;
  /** Shuffle each epoch (default true); false keeps the given order. */
  shuffle?: boolean;
  /** Resume from a recorded position (default the start). */
  position?: DataPosition;
}

/**
 * Endless, seeded, resumable iteration over items (batches) epoch after epoch. Epoch e uses the
 * permutation `epochPermutation(n, seed, e)`, so a run resumed from `position` continues with exactly
 * the items an uninterrupted run would have seen.
 */
export class BatchStream<T = Batch> {
  readonly #items: readonly T[];
  readonly #seed: number;
  readonly #shuffle: boolean;
  #epoch: number;
  #index: number;
  #order: number[];

  constructor(items: readonly T[], options: BatchStreamOptions) {
    if (items.length === 0) {
      throw new ValidationError("BATCH_STREAM_EMPTY", "cannot stream an empty list of batches", {
        hint: "check that the dataset produced at least one example",
      });
    }
    const position = options.position ?? { epoch: 0, index: 0 };
    if (
      !Number.isSafeInteger(position.epoch) ||
      position.epoch < 0 ||
      !Number.isSafeInteger(position.index) ||
      position.index < 0 ||
      position.index > items.length
    ) {
      throw new ValidationError(
        "BATCH_STREAM_BAD_POSITION",
        `data position ${JSON.stringify(position)} is invalid`,
        {
          hint: `epoch must be ≥ 0 and index within 0..${items.length} (was the dataset changed since the checkpoint?)`,
        },
      );
    }
    this.#items = items;
    this.#seed = options.seed;
    this.#shuffle = options.shuffle ?? true;
    this.#epoch = position.epoch;
    this.#index = position.index;
    this.#order = this.#orderOf(this.#epoch);
  }

  #orderOf(epoch: number): number[] {
    const n = this.#items.length;
    return this.#shuffle ? epochPermutation(n, this.#seed, epoch) : Array.from({ length: n }, (_, i) => i);
  }

  /** The position of the next item (record it in a checkpoint). */
  get position(): DataPosition {
    return { epoch: this.#epoch, index: this.#index };
  }

  /** Number of items per epoch. */
  get size(): number {
    return this.#items.length;
  }

  /** The next item, moving to a new epoch (and order) after the last one. */
  next(): T {
    if (this.#index >= this.#items.length) {
      this.#epoch += 1;
      this.#index = 0;
      this.#order = this.#orderOf(this.#epoch);
    }
    return this.#items[this.#order[this.#index++]!]!;
  }
}
