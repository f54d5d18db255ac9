import { computeEpoch, type EpochInputs, rewardProof } from "@flock/protocol";
import {
  type ChainSlash,
  type Epoch,
  type NewReward,
  type Task,
  type UncollectedUsage,
  UsageSettlementRepository,
  withTransaction,
} from "@flock/store";
import { createChainFactIndexer } from "../chain/chainFactIndexer.ts";
import type { AppContext } from "../deps.ts";
import { registerTaskModel } from "../models/registerModel.ts";
import { countedStakes } from "../stakes/freezeStakes.ts";
import { networkEpochInputs, type TaskEpochSnapshot, taskEpochParts } from "./epochInputs.ts";
import { executedSlashesOf } from "./executedSlashes.ts";
import { flEpochTask } from "./flEpochInputs.ts";
import { epochUsage } from "./revenueInputs.ts";
import { slashJobsInFlight } from "./slashJobsInFlight.ts";

/**
 * What settlement reads from the chain, through the store's index (synced to the chain's head first): the σ
 * of every pool as last set (DelegationPools' SigmaSet) and the executed slashes (Slashing's Slashed) by
 * evidence hash.
 */
async function chainFacts(ctx: AppContext, taskIds: readonly number[]) {
  await createChainFactIndexer(ctx).sync();
  const slashed = new Map<number, Map<string, ChainSlash>>();
  for (const taskId of taskIds) {
    const byEvidence = new Map<string, ChainSlash>();
    for (const slash of await ctx.repos.chainFacts.slashesOfTask(taskId))
      byEvidence.set(slash.evidenceHash, slash);
    slashed.set(taskId, byEvidence);
  }
  return { sigmas: await ctx.repos.chainFacts.sigmas(), slashed };
}

/** Σ of an epoch's rewards in both trees: what its root promises (the RewardDistributor checks it is funded). */
async function epochTotal(ctx: AppContext, epoch: number): Promise<bigint> {
  return (await ctx.repos.rewards.listForEpoch(epoch)).reduce((sum, r) => sum + r.amount, 0n);
}

/**
 * The emission an epoch distributes (SPEC §3: an epoch is one period of the emission clock): the amount of the
 * latest emission mint, once — a mint an earlier epoch used funds nothing more — and never more than the
 * RewardDistributor holds beyond what posted epochs owe and recorded, unposted epochs will ask for. With no
 * unused mint the epoch pays from its tasks' pools only. Pure given its reads, and recorded in the report
 * (`mintIndex`, `emission`) so the audit checks it against the chain's Minted event.
 */
async function epochEmission(ctx: AppContext): Promise<{ emission: bigint; mintIndex: bigint | null }> {
  const mint = await ctx.chain.latestMint();
  if (mint === null || (await ctx.repos.epochs.usedMints()).has(mint.mintIndex)) {
    return { emission: 0n, mintIndex: null };
  }
  const pool = await ctx.chain.rewardPool();
  let reserved = 0n;
  for (const unposted of await ctx.repos.epochs.listUnposted())
    reserved += await epochTotal(ctx, unposted.number);
  const free = pool.unallocated - reserved;
  // The mint, capped by what is free (bigint: no Math.min).
  let emission = mint.amount;
  if (free < emission) emission = free > 0n ? free : 0n;
  return { emission, mintIndex: mint.mintIndex };
}

/** Every finalized task, oldest first, with the epoch that settled it if any (one page at a time, nothing cut). */
async function finalizedTasks(ctx: AppContext): Promise<{ task: Task; epoch: Epoch | undefined }[]> {
  const tasks: { task: Task; epoch: Epoch | undefined }[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await ctx.repos.tasks.list({
      status: "finalized",
      limit: 500,
      ...(after === undefined ? {} : { after }),
    });
    for (const task of page.items) tasks.push({ task, epoch: await ctx.repos.epochs.ofTask(task.id) });
    if (page.next === undefined) return tasks;
    after = page.next;
  }
}

/**
 * The finalized tasks an epoch closing now settles: every one whose copy slashes and disputes are done (SPEC
 * §3: the report lists every slash). A task with a slash job in flight waits for the next epoch.
 */
export async function tasksReadyToSettle(ctx: AppContext): Promise<Task[]> {
  const ready: Task[] = [];
  for (const { task, epoch } of await finalizedTasks(ctx)) {
    if (epoch === undefined && (await slashJobsInFlight(ctx, task.id)).length === 0) ready.push(task);
  }
  return ready;
}

/** The settlement snapshot of one task: frozen stakes, pools, scores, reveals, refereed scores, slashes. */
async function taskSnapshot(
  ctx: AppContext,
  task: Task,
  facts: Awaited<ReturnType<typeof chainFacts>>,
): Promise<TaskEpochSnapshot> {
  const frozen = await ctx.repos.snapshots.find(task.id);
  // SPEC §2.1: the stakes that count are those frozen at the submission deadline.
  const stakes = await countedStakes(ctx.repos, task.id);
  const pools: TaskEpochSnapshot["pools"] = new Map();
  for (const stake of stakes) {
    if (stake.role !== "trainer") continue;
    pools.set(stake.account, {
      sigmaBps: facts.sigmas.get(stake.account),
      delegations: await ctx.repos.delegations.listForPool(stake.account),
    });
  }
  const funding = await ctx.repos.funding.find(task.id);
  return {
    task,
    submissions: await ctx.repos.submissions.listAll({ taskId: task.id, status: "accepted" }),
    stakes: stakes.map((s) => ({ account: s.account, role: s.role, amount: s.amount })),
    scores: await ctx.repos.scores.listForTask(task.id),
    assignments: await ctx.repos.assignments.listForTask(task.id),
    gammaBps: ctx.config.gammaBps,
    pools,
    executedSlashes: executedSlashesOf(
      String(task.id),
      await ctx.repos.slashes.list({ taskId: task.id }),
      facts.slashed.get(task.id) ?? new Map(),
    ),
    refereed: new Map([...(await ctx.repos.scores.refereedForTask(task.id))].map(([id, r]) => [id, r.score])),
    // A funded task's whole on-chain pool is paid through this epoch (its unpaid part back to the creator).
    pool: funding === undefined ? 0n : await ctx.chain.taskPool(task.id),
    // Emission weight: what an operator approved; tasks from before funding terms existed keep their weight.
    emissionWeight: funding === undefined ? task.rewardWeight : (funding.approvedWeight ?? 0n),
    ...(frozen === undefined
      ? {}
      : {
          stakeSnapshotBlock: frozen.blockNumber,
          drawSeed: { blockNumber: frozen.blockNumber, blockHash: frozen.blockHash },
        }),
  };
}

/**
 * Record an epoch: its report in the artifact store, the epoch with its tasks, every reward with its proof, and
 * the usage records it collects marked with its number — in one transaction, so a record is billed by one epoch.
 */
async function recordEpoch(
  ctx: AppContext,
  number: number,
  tasks: readonly Task[],
  mintIndex: bigint | null,
  inputs: EpochInputs,
  usage: UncollectedUsage,
): Promise<Epoch> {
  const result = computeEpoch(inputs);
  const reportBytes = new TextEncoder().encode(result.reportJson);
  const report = await ctx.artifacts.put(reportBytes, { maxBytes: reportBytes.length });
  const rewards: NewReward[] = [];
  for (const tree of ["liquid", "vesting"] as const) {
    for (const leaf of result.trees[tree].leaves) {
      const { amount, proof } = rewardProof(result.trees[tree], leaf.account);
      rewards.push({ account: leaf.account, tree, amount, proof });
    }
  }
  return ctx.db.transaction().execute((trx) =>
    withTransaction(trx, async (tx) => {
      await new UsageSettlementRepository(trx).markCollected(number, usage);
      await tx.artifacts.record({ id: report.id, size: report.size, mediaType: "application/json" });
      const recorded = await tx.epochs.record({
        number,
        tasks: tasks.map((t) => t.id),
        mintIndex,
        reportId: report.id,
        reportHash: result.reportHash,
        liquidRoot: result.trees.liquid.root,
        vestingRoot: result.trees.vesting.root,
      });
      await tx.rewards.recordEpoch(number, rewards);
      await tx.events.append("epoch.recorded", {
        epoch: number,
        tasks: recorded.tasks,
        reportHash: result.reportHash,
        ...(mintIndex === null ? {} : { mintIndex: mintIndex.toString() }),
        ...(usage.total === 0n ? {} : { usage: usage.total.toString() }),
      });
      return recorded;
    }),
  );
}

/**
 * Close a task its posted epoch settled: on-chain first (reconciled: a task the chain already closed is done),
 * then in the store, re-reading the task in the transaction so a close that raced another finds it done.
 */
export async function closeSettledTask(ctx: AppContext, taskId: number): Promise<void> {
  await registerTaskModel(ctx, taskId);
  if ((await ctx.repos.tasks.get(taskId)).status !== "finalized") return;
  await ctx.chain.closeTask(taskId);
  await withTransaction(ctx.db, async (tx) => {
    if ((await tx.tasks.get(taskId)).status !== "finalized") return;
    await tx.tasks.transition(taskId, "closed");
    await tx.events.append("task.status", { taskId, from: "finalized", to: "closed" });
  });
}

/**
 * Post a recorded epoch's roots on-chain, drawing each funded task's pool (the report pays it in full: its
 * winners, and its creator for what they did not earn), then close its tasks, on-chain and here.
 */
async function postEpoch(ctx: AppContext, epoch: Epoch): Promise<Epoch> {
  let posted = epoch;
  if (epoch.txHash === null) {
    const report = JSON.parse(new TextDecoder().decode(await ctx.artifacts.read(epoch.reportId))) as {
      inputs: {
        tasks: { id: string; pool?: string }[];
        flTasks?: { id: string; pool?: string }[];
        revenue?: { charges: { account: `0x${string}`; amount: string }[] };
      };
    };
    // SPEC §2.4: the usage the report pays is collected from the payers' prepaid credit into the
    // RewardDistributor first (journaled: an epoch the chain already collected is not collected again).
    const charges = (report.inputs.revenue?.charges ?? [])
      .map((c) => ({ account: c.account, amount: BigInt(c.amount) }))
      .filter((c) => c.amount > 0n);
    if (charges.length > 0) await ctx.chain.collectUsage({ epoch: BigInt(epoch.number), charges });
    const pools = [...report.inputs.tasks, ...(report.inputs.flTasks ?? [])]
      .filter((t) => t.pool !== undefined && BigInt(t.pool) > 0n)
      .map((t) => ({ taskId: Number(t.id), amount: BigInt(t.pool!) }));
    const { transactionHash } = await ctx.chain.postEpochRoot({
      epoch: BigInt(epoch.number),
      liquidRoot: epoch.liquidRoot,
      vestingRoot: epoch.vestingRoot,
      reportHash: epoch.reportHash,
      total: await epochTotal(ctx, epoch.number),
      pools,
    });
    posted = await withTransaction(ctx.db, async (tx) => {
      const current = await tx.epochs.get(epoch.number);
      if (current.txHash !== null) return current;
      const marked = await tx.epochs.markPosted(epoch.number, {
        txHash: transactionHash,
        postedAt: ctx.clock.now(),
      });
      await tx.events.append("epoch.posted", { epoch: epoch.number, tasks: epoch.tasks, transactionHash });
      return marked;
    });
  }
  // Settled: close on-chain (the dispute window starts; stakes are withdrawable after it), then here.
  for (const taskId of posted.tasks) await closeSettledTask(ctx, taskId);
  return posted;
}

/**
 * Finish what a crash interrupted: post every epoch recorded but not posted (reconciled with the chain: roots
 * already posted are marked, not sent again) and close the tasks of posted epochs left unclosed.
 */
export async function finishRecordedEpochs(ctx: AppContext): Promise<void> {
  for (const unposted of await ctx.repos.epochs.listUnposted()) await postEpoch(ctx, unposted);
  for (const { epoch } of await finalizedTasks(ctx)) if (epoch?.txHash != null) await postEpoch(ctx, epoch);
}

/**
 * Close the network's current epoch (SPEC §3: epochs are network-wide periods of the emission clock): first
 * finish any epoch recorded but not posted (a crash between the steps), then gather every finalized task that is
 * ready — its slash jobs done — compute ONE epoch over all of them with the pure `computeEpoch` (the latest
 * unused emission mint split by stake and weight, plus each task's own pool), record it, post it and close its
 * tasks. The usage metered up to now and not yet collected is its revenue (SPEC §2.4): collected on-chain before
 * the roots are posted and split over each model's lineage in the same report and trees; an epoch closes for
 * revenue alone too. Returns the new epoch, or null when neither a task nor any charged usage was pending.
 * Idempotent and resumable.
 */
export async function closeEpoch(ctx: AppContext): Promise<Epoch | null> {
  await finishRecordedEpochs(ctx);
  const closeAt = ctx.clock.now();
  const tasks = await tasksReadyToSettle(ctx);
  if (tasks.length === 0 && (await new UsageSettlementRepository(ctx.db).uncollected(closeAt)).total === 0n) {
    return null;
  }
  const facts = await chainFacts(
    ctx,
    tasks.map((t) => t.id),
  );
  const { usage, revenue } = await epochUsage(ctx, closeAt, facts.sigmas);
  if (tasks.length === 0 && revenue === null) return null;
  const number = ((await ctx.repos.epochs.latest())?.number ?? 0) + 1;
  const snapshots: TaskEpochSnapshot[] = [];
  for (const task of tasks) if (task.kind === "arena") snapshots.push(await taskSnapshot(ctx, task, facts));
  // Federated tasks (SPEC §2.2): their rounds are paid from the FL share of the emission and their pools; the
  // slashes their rounds executed on-chain are listed like the Arena's.
  const flTasks = [];
  const flSlashes = [];
  for (const task of tasks) {
    if (task.kind !== "federated") continue;
    flTasks.push(await flEpochTask(ctx, task));
    flSlashes.push(
      ...executedSlashesOf(
        String(task.id),
        await ctx.repos.slashes.list({ taskId: task.id }),
        facts.slashed.get(task.id) ?? new Map(),
      ),
    );
  }
  // An epoch of revenue alone spends no emission mint: the mint waits for an epoch with tasks to pay.
  const { emission, mintIndex } =
    tasks.length === 0 ? { emission: 0n, mintIndex: null } : await epochEmission(ctx);
  const network = networkEpochInputs({
    epoch: number,
    emission,
    mintIndex,
    treasury: ctx.config.treasury,
    tasks: snapshots.map(taskEpochParts),
  });
  const executed = [...(network.executedSlashes ?? []), ...flSlashes];
  const inputs = {
    ...network,
    ...(executed.length === 0 ? {} : { executedSlashes: executed }),
    ...(flTasks.length === 0 ? {} : { flTasks }),
    ...(revenue === null ? {} : { revenue }),
  };
  const epoch = await recordEpoch(ctx, number, tasks, mintIndex, inputs, usage);
  return postEpoch(ctx, epoch);
}
