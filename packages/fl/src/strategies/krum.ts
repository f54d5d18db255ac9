import { MultiKrum, type MultiKrumOptions } from "./multiKrum.ts";

/** Krum's options: Multi-Krum's without the number kept (always 1). */
export interface KrumOptions extends Omit<MultiKrumOptions, "numNodesToSelect"> {}

/**
 * Krum — Blanchard, El Mhamdi, Guerraoui, Stainer, "Machine Learning with Adversaries: Byzantine Tolerant
 * Gradient Descent", NeurIPS 2017 (§4, Definition of Krum).
 *
 * Rule (Flower's `Krum`: Multi-Krum with `num_nodes_to_select = 1`): with n valid updates and f assumed
 * Byzantine (default 0), each update scores the sum of its squared L2 distances to its `max(1, n − f − 2)`
 * nearest other updates, and the new model is the update of lowest score, unchanged (a weighted mean of one
 * update). Equal scores are won by the earlier reply (Flower's legacy `np.argmin`; its current `argsort`
 * leaves ties to numpy's unspecified order). The training
 * metrics are the chosen node's.
 */
export class Krum extends MultiKrum {
  override readonly name: string = "Krum";

  constructor(options: KrumOptions = {}) {
    super({ ...options, numNodesToSelect: 1 });
  }
}
