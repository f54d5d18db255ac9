import { computeEpoch, rewardProof } from "@flock/protocol";
import { type Epoch, type NewReward, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { epochInputsFor, type TaskEpochSnapshot } from "./epochInputs.ts";

/** The σ of every pool, as last set on-chain (DelegationPools' SigmaSet events), by participant. */
async function poolSigmas(ctx: AppContext): Promise<Map<string, number>> {
  const sigmas = new Map<string, number>();
  const toBlock = await ctx.chain.headBlock();
  for await (const event of ctx.chain.readEvents({
    fromBlock: ctx.chain.startBlock,
    toBlock,
    kinds: ["sigmaSet"],
  })) {
    if (event.kind === "sigmaSet") sigmas.set(event.args.participant.toLowerCase(), event.args.sigmaBps);
  }
  return sigmas;
}

/** Each staked trainer's pool: σ from the chain, delegations from the index. */
async function trainerPools(ctx: AppContext, taskId: number): Promise<TaskEpochSnapshot["pools"]> {
  const sigmas = await poolSigmas(ctx);
  const pools: TaskEpochSnapshot["pools"] = new Map();
  for (const stake of await ctx.repos.stakes.listForTask(taskId, "trainer")) {
    pools.set(stake.account, {
      sigmaBps: sigmas.get(stake.account),
      delegations: await ctx.repos.delegations.listForPool(stake.account),
    });
  }
  return pools;
}

/**
 * Settle a finalized task (SPEC §3): gather its snapshot, run the pure `computeEpoch`, store the canonical
 * report in the artifact store, record the epoch with every reward and its Merkle proof, then post the
 * report hash and both roots on-chain. Idempotent and resumable: a task already recorded is only posted,
 * a posted one is left alone, so a crash between the steps is repaired by re-running the job.
 */
export async function settleTaskEpoch(ctx: AppContext, taskId: number): Promise<Epoch> {
  let [epoch] = await ctx.repos.epochs.list({ taskId });
  if (epoch === undefined) {
    const task = await ctx.repos.tasks.get(taskId);
    const number = ((await ctx.repos.epochs.latest())?.number ?? 0) + 1;
    const pools = await trainerPools(ctx, taskId);
    const result = computeEpoch(
      epochInputsFor({
        epoch: number,
        task,
        submissions: (await ctx.repos.submissions.list({ taskId, limit: 500 })).items,
        stakes: await ctx.repos.stakes.listForTask(taskId),
        scores: await ctx.repos.scores.listForTask(taskId),
        assignments: await ctx.repos.assignments.listForTask(taskId),
        emission: ctx.config.epochEmission,
        treasury: ctx.config.treasury,
        gammaBps: ctx.config.gammaBps,
        pools,
      }),
    );
    const reportBytes = new TextEncoder().encode(result.reportJson);
    const report = await ctx.artifacts.put(reportBytes, { maxBytes: reportBytes.length });
    const rewards: NewReward[] = [];
    for (const tree of ["liquid", "vesting"] as const) {
      for (const leaf of result.trees[tree].leaves) {
        const { amount, proof } = rewardProof(result.trees[tree], leaf.account);
        rewards.push({ account: leaf.account, tree, amount, proof });
      }
    }
    epoch = await withTransaction(ctx.db, async (tx) => {
      await tx.artifacts.record({ id: report.id, size: report.size, mediaType: "application/json" });
      const recorded = await tx.epochs.record({
        number,
        taskId,
        reportId: report.id,
        reportHash: result.reportHash,
        liquidRoot: result.trees.liquid.root,
        vestingRoot: result.trees.vesting.root,
      });
      await tx.rewards.recordEpoch(number, rewards);
      await tx.events.append("epoch.recorded", { epoch: number, taskId, reportHash: result.reportHash });
      return recorded;
    });
  }
  if (epoch.txHash !== null) return epoch;
  const { transactionHash } = await ctx.chain.postEpochRoot({
    epoch: BigInt(epoch.number),
    liquidRoot: epoch.liquidRoot,
    vestingRoot: epoch.vestingRoot,
    reportHash: epoch.reportHash,
  });
  return withTransaction(ctx.db, async (tx) => {
    const posted = await tx.epochs.markPosted(epoch.number, {
      txHash: transactionHash,
      postedAt: ctx.clock.now(),
    });
    await tx.events.append("epoch.posted", { epoch: epoch.number, taskId, transactionHash });
    return posted;
  });
}
