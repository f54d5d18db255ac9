import type { ChainWriteRepository } from "@flock/store";
import type { ChainGateway } from "./chainGateway.ts";

/**
 * Chain writes as reconciled intents: each write the coordinator makes is recorded in `chain_writes` before it
 * is sent and confirmed (with its transaction hash, when the write returns one) after it is mined. The write
 * itself reads the chain first and treats "already done" as done (see ChainGateway), so after a crash at any
 * point the job that re-runs it resumes from what the chain says; an intent left unconfirmed is what the
 * reconciler and the operator look at when the two disagree.
 *
 * Wraps any gateway: every other property reads through to `inner` (also ones a test replaces later).
 */
export function journaledChainGateway(inner: ChainGateway, journal: ChainWriteRepository): ChainGateway {
  async function journaled<T>(kind: string, key: string, write: () => Promise<T>, hashOf?: (r: T) => string) {
    await journal.intend({ kind, key });
    const result = await write();
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
    closeTask: (taskId) => journaled("setTaskStatus", `task:${taskId}:closed`, () => inner.closeTask(taskId)),
    slash: (request) =>
      journaled(
        "slash",
        `slash:${request.taskId}:${request.account.toLowerCase()}:${request.evidenceHash}`,
        () => inner.slash(request),
      ),
  } satisfies Pick<ChainGateway, "registerTask" | "postEpochRoot" | "closeTask" | "slash">);
  return gateway;
}
