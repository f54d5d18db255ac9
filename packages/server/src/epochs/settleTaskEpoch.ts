import { ConflictError } from "@flock/core";
import { computeEpoch, rewardProof } from "@flock/protocol";
import { type ChainSlash, type Epoch, type NewReward, withTransaction } from "@flock/store";
import { createChainFactIndexer } from "../chain/chainFactIndexer.ts";
import type { AppContext } from "../deps.ts";
import { epochInputsFor, type TaskEpochSnapshot } from "./epochInputs.ts";
import { executedSlashesOf } from "./executedSlashes.ts";
import { slashJobsInFlight } from "./slashJobsInFlight.ts";

/**
 * What settlement reads from the chain, through the store's index (synced to the chain's head first): the σ
 * of every pool as last set (DelegationPools' SigmaSet) and the task's executed slashes (Slashing's Slashed),
 * by evidence hash.
 */
async function chainFacts(
  ctx: AppContext,
  taskId: number,
): Promise<{ sigmas: Map<string, number>; slashed: Map<string, ChainSlash> }> {
  await createChainFactIndexer(ctx).sync();
  const slashed = new Map<string, ChainSlash>();
  for (const slash of await ctx.repos.chainFacts.slashesOfTask(taskId))
    slashed.set(slash.evidenceHash, slash);
  return { sigmas: await ctx.repos.chainFacts.sigmas(), slashed };
}

/** Each staked trainer's pool: σ from the chain, delegations from the index. */
async function trainerPools(
  ctx: AppContext,
  taskId: number,
  sigmas: Map<string, number>,
): Promise<TaskEpochSnapshot["pools"]> {
  const pools: TaskEpochSnapshot["pools"] = new Map();
  for (const stake of await ctx.repos.stakes.listForTask(taskId, "trainer")) {
    pools.set(stake.account, {
      sigmaBps: sigmas.get(stake.account),
      delegations: await ctx.repos.delegations.listForPool(stake.account),
    });
  }
  return pools;
}

/** Σ of an epoch's rewards in both trees: what its root promises (the RewardDistributor checks it is funded). */
async function epochTotal(ctx: AppContext, epoch: number): Promise<bigint> {
  return (await ctx.repos.rewards.listForEpoch(epoch)).reduce((sum, r) => sum + r.amount, 0n);
}

/**
 * The emission an epoch distributes (SPEC §3: rewards come from the daily emission mints, which go to the
 * RewardDistributor): the configured per-task emission, but never more than the distributor holds beyond
 * what posted epochs still owe and recorded, not yet posted epochs will ask for. With nothing free the epoch
 * pays nothing (its inputs say so, and the audit recomputes it as is).
 */
async function epochEmission(ctx: AppContext): Promise<bigint> {
  const pool = await ctx.chain.rewardPool();
  let reserved = 0n;
  for (const unposted of await ctx.repos.epochs.listUnposted())
    reserved += await epochTotal(ctx, unposted.number);
  const free = pool.unallocated - reserved;
  if (free <= 0n) return 0n;
  if (free >= ctx.config.epochEmission) return ctx.config.epochEmission;
  return free;
}

/**
 * Settle a finalized task (SPEC §3): gather its snapshot, run the pure `computeEpoch`, store the canonical
 * report in the artifact store, record the epoch with every reward and its Merkle proof, then post the
 * report hash and both roots on-chain. The slashes already executed on-chain for the task are listed in the
 * report (`executedSlashes`), so it refuses to compute while a job that may still slash is in flight
 * (SETTLEMENT_WAITS_FOR_SLASHES; the task jobs wait for them). Idempotent and resumable: a task already
 * recorded is only posted, a posted one is left alone, so a crash between the steps is repaired by re-running.
 */
export async function settleTaskEpoch(ctx: AppContext, taskId: number): Promise<Epoch> {
  let [epoch] = await ctx.repos.epochs.list({ taskId });
  if (epoch === undefined) {
    const inFlight = await slashJobsInFlight(ctx, taskId);
    if (inFlight.length > 0) {
      throw new ConflictError(
        "SETTLEMENT_WAITS_FOR_SLASHES",
        `task ${taskId} has ${inFlight.length} slash job(s) in flight (${inFlight.map((j) => `${j.kind} #${j.id}`).join(", ")})`,
        {
          hint: "settle once the task's copy slashes and disputes are done, so the report lists every slash",
          details: { taskId, jobs: inFlight.map((j) => j.id) },
        },
      );
    }
    const task = await ctx.repos.tasks.get(taskId);
    const number = ((await ctx.repos.epochs.latest())?.number ?? 0) + 1;
    const facts = await chainFacts(ctx, taskId);
    const pools = await trainerPools(ctx, taskId, facts.sigmas);
    const slashes = await ctx.repos.slashes.list({ taskId });
    const result = computeEpoch(
      epochInputsFor({
        epoch: number,
        task,
        submissions: await ctx.repos.submissions.listAll({ taskId, status: "accepted" }),
        stakes: await ctx.repos.stakes.listForTask(taskId),
        scores: await ctx.repos.scores.listForTask(taskId),
        assignments: await ctx.repos.assignments.listForTask(taskId),
        emission: await epochEmission(ctx),
        treasury: ctx.config.treasury,
        gammaBps: ctx.config.gammaBps,
        pools,
        executedSlashes: executedSlashesOf(String(taskId), slashes, facts.slashed),
        refereed: new Map(
          [...(await ctx.repos.scores.refereedForTask(taskId))].map(([id, r]) => [id, r.score]),
        ),
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
    total: await epochTotal(ctx, epoch.number),
    pools: [],
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
