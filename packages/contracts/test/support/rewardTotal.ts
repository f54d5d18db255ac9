/** The `total` an epoch is posted with: the sum of every leaf amount of its reward trees. */
import type { RewardTree } from "@flock/protocol";

/** Σ leaf amounts over the given trees (an empty tree adds 0). */
export function rewardTotal(...trees: readonly RewardTree[]): bigint {
  return trees.flatMap((tree) => tree.leaves).reduce((sum, leaf) => sum + leaf.amount, 0n);
}
