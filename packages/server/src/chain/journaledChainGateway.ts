import { onTransactionSent } from "@flock/chain";
import type { ChainWriteRepository } from "@flock/store";
import type { ChainGateway } from "./chainGateway.ts";

/**
 * Chain writes as reconciled intents: each write the coordinator makes is recorded in `chain_writes` before it
 * is sent, marked `sent` with its transaction hash as soon as the node accepted the transaction (before it is
 * mined: `@flock/chain`'s `onTransactionSent`), and confirmed after it is mined. The write
 * itself reads the chain first and treats "already done" as done (see ChainGateway), so after a crash at any
 * point the job that re-runs it resumes from what the chain says; an intent left unconfirmed is what the
 * reconciler and the operator look at when the two disagree.
 *
 * Wraps any gateway: every other property reads through to `inner` (also ones a test replaces later).
 */
export function journaledChainGateway(inner: ChainGateway, journal: ChainWriteRepository): ChainGateway {
  async function journaled<T>(
    kind: string,
    key: string,
    write: () => Promise<T>,
    hashOf?: (r: T) => string | null,
  ) {
    await journal.intend({ kind, key });
    const result = await onTransactionSent(async (hash) => {
      await journal.markSent(key, hash);
    }, write);
    await journal.confirm(key, hashOf === undefined ? null : hashOf(result));
    return result;
  }
  const gateway = Object.create(inner) as ChainGateway;
  Object.assign(gateway, {
    registerTask: (task) =>
      journaled("createTask", `task:${task.taskId}:create`, () => inner.registerTask(task)),
    postEpochRoot: (post) =>
      journaled(
        "postEpochRoot",
        `epoch:${post.epoch}:root`,
        () => inner.postEpochRoot(post),
        (r) => r.transactionHash,
      ),
    collectUsage: (collection) =>
      // An empty collection sends nothing, so there is nothing to journal.
      collection.charges.length === 0
        ? inner.collectUsage(collection)
        : journaled(
            "collectUsage",
            `epoch:${collection.epoch}:usage`,
            () => inner.collectUsage(collection),
            (r) => r.transactionHash,
          ),
    closeTask: (taskId) => journaled("setTaskStatus", `task:${taskId}:closed`, () => inner.closeTask(taskId)),
    cancelTaskPool: (taskId) =>
      journaled("cancelTaskPool", `task:${taskId}:cancelPool`, () => inner.cancelTaskPool(taskId)),
    slash: (request) =>
      journaled(
        "slash",
        `slash:${request.taskId}:${request.account.toLowerCase()}:${request.evidenceHash}`,
        () => inner.slash(request),
      ),
  } satisfies Pick<
    ChainGateway,
    "registerTask" | "postEpochRoot" | "collectUsage" | "closeTask" | "cancelTaskPool" | "slash"
  >);
  return gateway;
}
