import type { GraphDType } from "../graph/dtype.ts";
import type { Tensor } from "../graph/graph.ts";
import type { ParameterSet } from "../nn/parameters.ts";
import type { HostArray } from "../runtime/ortTypes.ts";

/** A data input of a compiled step (fixed shape per compiled graph). */
export interface DataInput {
  name: string;
  dtype: GraphDType;
  shape: number[];
}

/** What a loss graph returns: the scalar to minimize, plus the per-example sums reported to the caller. */
export interface LossOutputs {
  /** Scalar minimized by the optimizer (e.g. Σ w·nll / Σ w). */
  loss: Tensor;
}

/**
 * Anything the Trainer can train: named weights (trainable and frozen), the data inputs of one step, a
 * loss built as graph code from bound weights and data, and how a data item fills the input buffers.
 */
export interface TrainingTask<Item> {
  readonly name: string;
  readonly trainable: ParameterSet;
  readonly frozen: ParameterSet;
  readonly dataInputs: readonly DataInput[];
  buildLoss(weights: ReadonlyMap<string, Tensor>, data: Readonly<Record<string, Tensor>>): LossOutputs;
  /**
   * Copy one item into the (pre-allocated) data buffers, by input name. `microStep` counts micro-batches
   * from the start of training (also across a resume), for per-step randomness such as dropout masks.
   */
  fill(item: Item, buffers: Readonly<Record<string, HostArray>>, microStep: number): void;
  /** Trainable parameters that get weight decay (default: every matrix). */
  decays?(name: string): boolean;
}
