import { canonicalJson, contentIdToBytes32 } from "@flock/core";
import { withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";

export interface EvidencedSlash {
  taskId: number;
  account: string;
  fractionBps: number;
  /** Published as canonical JSON; its sha256 is the on-chain evidence hash. */
  evidence: Record<string, unknown>;
  reason: string;
  /** Extra fields of the `slash.recorded` event (e.g. the submission or assignment). */
  event: Record<string, unknown>;
}

/**
 * A slash the coordinator proves itself (SPEC §3): the evidence is stored and published in the artifact
 * store, the stake is slashed on-chain with the evidence's hash (the treasury named as prover, since the
 * contract needs one), and the slash is recorded with an event. Idempotent: a retry finds the slash
 * recorded under the same evidence, and the chain refuses an evidence hash twice.
 */
export async function slashWithEvidence(ctx: AppContext, slash: EvidencedSlash): Promise<void> {
  const evidence = new TextEncoder().encode(canonicalJson(slash.evidence));
  const stored = await ctx.artifacts.put(evidence, { maxBytes: evidence.length });
  const done = await ctx.repos.slashes.list({ taskId: slash.taskId, account: slash.account });
  if (done.some((s) => s.evidenceId === stored.id)) return;
  const { amount } = await ctx.chain.slash({
    taskId: slash.taskId,
    account: slash.account,
    fractionBps: slash.fractionBps,
    evidenceHash: contentIdToBytes32(stored.id),
    prover: ctx.config.treasury,
  });
  await withTransaction(ctx.db, async (tx) => {
    // Published (GET /artifacts/:id) so that anyone can check it against the on-chain evidence hash.
    await tx.artifacts.publish({
      id: stored.id,
      size: stored.size,
      mediaType: "application/json",
      publisher: ctx.chain.coordinator ?? ctx.config.treasury,
    });
    if (amount > 0n) {
      await tx.slashes.record({
        epoch: null,
        taskId: slash.taskId,
        account: slash.account,
        amount,
        reason: slash.reason,
        evidenceId: stored.id,
        prover: null,
      });
    }
    await tx.events.append("slash.recorded", {
      taskId: slash.taskId,
      ...slash.event,
      account: slash.account,
      amount: amount.toString(),
      evidenceId: stored.id,
    });
  });
}
