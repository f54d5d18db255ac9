import type { Arrays, Message, Reply, Strategy } from "@flock/fl";
import { SecAggPlus } from "@flock/fl";
import { flRoles } from "@flock/protocol";
import type { FlRoundRecord, FlTerms } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { buildCoalitions, commitmentOf, modelsToEvaluate, openReveal } from "./coalitions.ts";
import { readArrays, storeArrays } from "./flArrays.ts";
import { epsilonSpent, roundStrategy } from "./flStrategy.ts";
import { flPhases } from "./flTiming.ts";
import { FlPending, NetworkGrid } from "./networkGrid.ts";
import { endRound, failRound } from "./roundOutcome.ts";
import { roundParticipants } from "./roundParticipants.ts";
import type { RevealedVote, RoundStep } from "./roundTypes.ts";
import { continueServerState, storeServerState } from "./serverState.ts";

/**
 * One step of an FL round (SPEC §2.2), run by the round's jobs until the round ends. A step never waits: it
 * moves the round as far as the replies in the store allow and asks for the next step when replies are still
 * due. The phases, each persisted when it ends:
 * 1. start: the round is recorded with its start time; its roles come from the hash of the first block mined
 *    after it (recorded, so anyone recomputes `flRoles` from the frozen stakes), stake-weighted;
 * 2. training: the task's strategy runs over the round's proposers through the network grid, with secure
 *    aggregation when the task asks for it; the aggregate is the round's candidate;
 * 3. voting: voters evaluate the candidate against the global model on their own data and commit to a vote
 *    (under the `contribution` pay rule, also every coalition model the round lists, `coalitions.ts`);
 * 4. revealing: they reveal it; the outcome follows FLock's rule (`roundOutcome.ts`).
 */
export async function stepRound(ctx: AppContext, taskId: number, roundNo: number): Promise<RoundStep> {
  const task = await ctx.repos.tasks.get(taskId);
  if (task.status !== "validating") return null;
  const terms = await ctx.repos.fl.getTerms(taskId);
  if (terms.currentRound !== roundNo) return null;
  const phases = flPhases(terms.roundSeconds);
  let round = await ctx.repos.fl.findRound(taskId, roundNo);
  if (round === undefined) {
    const now = ctx.clock.now();
    round = await ctx.repos.fl.createRound({
      taskId,
      round: roundNo,
      seed: null,
      seedBlock: null,
      startedAt: now,
      deadline: new Date(now.getTime() + phases.trainMs),
      proposers: [],
      voters: [],
      baseModel: terms.globalModel,
    });
    await ctx.repos.events.append("fl.round.started", { taskId, round: roundNo });
  }
  try {
    if (round.status === "training" && round.seed === null) {
      const drawn = await drawRoles(ctx, terms, round);
      if (drawn === null) return { at: new Date(ctx.clock.now().getTime() + 1000) };
      round = drawn;
      if (round.proposers.length === 0)
        return failRound(ctx, terms, round, "fewer than two participants hold stake");
    }
    if (round.status === "training") {
      round = await train(ctx, terms, round, phases.commitMs);
      if (round.status === "failed") return failRound(ctx, terms, round, round.reason ?? "no usable update");
    }
    if (round.status === "voting") round = await commitVotes(ctx, terms, round, phases.revealMs);
    if (round.status === "revealing") {
      const reveals = await revealVotes(ctx, round);
      return endRound(ctx, terms, round, reveals);
    }
    return null;
  } catch (error) {
    if (error instanceof FlPending) {
      const poll = ctx.clock.now().getTime() + ctx.config.flPollMs;
      return { at: new Date(Math.min(error.until.getTime(), poll)) };
    }
    throw error;
  }
}

/** The roles of the round from the first block after its start, among the participants who joined with stake. */
async function drawRoles(
  ctx: AppContext,
  terms: FlTerms,
  round: FlRoundRecord,
): Promise<FlRoundRecord | null> {
  let block = await ctx.chain.firstBlockAfter(round.startedAt);
  if (block === null && (await ctx.chain.mineBlock(round.startedAt))) {
    block = await ctx.chain.firstBlockAfter(round.startedAt);
  }
  if (block === null) return null;
  const participants = await roundParticipants(ctx, terms.taskId);
  const phases = flPhases(terms.roundSeconds);
  if (participants.length < 2) {
    return ctx.repos.fl.updateRound(
      terms.taskId,
      round.round,
      { seed: block.hash, seedBlock: block.number },
      ["training"],
    );
  }
  const roles = flRoles({
    participants,
    seed: block.hash,
    round: round.round,
    proposerFractionBps: terms.proposerFractionBps,
  });
  const drawn = await ctx.repos.fl.updateRound(
    terms.taskId,
    round.round,
    {
      seed: block.hash,
      seedBlock: block.number,
      proposers: roles.proposers,
      voters: roles.voters.map((v) => ({ ...v, vote: null })),
      deadline: new Date(ctx.clock.now().getTime() + phases.trainMs),
    },
    ["training"],
  );
  await ctx.repos.events.append("fl.round.roles", {
    taskId: terms.taskId,
    round: round.round,
    seed: block.hash,
    proposers: roles.proposers.map((p) => p.account),
    voters: roles.voters.map((v) => v.account),
  });
  return drawn;
}

/** Training: the strategy over the proposers; the candidate is stored and the vote opens. */
async function train(
  ctx: AppContext,
  terms: FlTerms,
  round: FlRoundRecord,
  commitMs: number,
): Promise<FlRoundRecord> {
  const proposers = round.proposers.map((p) => p.account);
  const strategy: Strategy = roundStrategy(terms, round.seed!, proposers.length);
  // A server optimizer continues from the last accepted round's state (serverState.ts).
  const optimizer = await continueServerState(ctx, strategy, terms.taskId, round.round);
  const global = await readArrays(ctx, round.baseModel);
  const grid = new NetworkGrid(ctx, terms.taskId, proposers, round.deadline).known(global, round.baseModel);
  const config = { ...terms.trainConfig };
  let arrays: Arrays | undefined;
  let metrics: Record<string, number> = {};
  let contributors: string[];
  let updaters: string[];
  if (strategy.trainRound) {
    // Secure aggregation's stages share the training phase (each gets a fifth of it at most).
    const phaseMs = Math.max(1000, Math.floor((round.deadline.getTime() - round.startedAt.getTime()) / 5));
    try {
      const result = await strategy.trainRound(round.round, global, config, grid, { timeoutMs: phaseMs });
      arrays = result.arrays;
      metrics = { ...(result.metrics ?? {}) };
    } catch (error) {
      if (error instanceof FlPending) throw error;
      const e = error as { code?: string; message?: string };
      return ctx.repos.fl.updateRound(
        terms.taskId,
        round.round,
        { status: "failed", reason: `${e.code ?? "FL_ROUND_FAILED"}: ${e.message ?? String(error)}` },
        ["training"],
      );
    }
    // Under SecAgg+ the proposers whose masked input is in the unmasked sum did their part, and only they.
    const secure = strategy instanceof SecAggPlus ? strategy : (strategy as { inner?: unknown }).inner;
    contributors = secure instanceof SecAggPlus ? [...(secure.lastRound?.included ?? [])] : [];
    updaters = contributors;
  } else {
    const messages: Message[] = await strategy.configureTrain(round.round, global, config, grid);
    const replies: Reply[] = await grid.sendAndReceive(messages);
    const result = strategy.aggregateTrain(round.round, replies);
    arrays = result.arrays;
    metrics = { ...(result.metrics ?? {}) };
    const rejected = new Set(
      ((strategy as { rejected?: readonly { nodeId: string }[] }).rejected ?? []).map((r) => r.nodeId),
    );
    updaters = replies.filter((r) => "update" in r && !rejected.has(r.nodeId)).map((r) => r.nodeId);
    // A robust strategy (Krum, Multi-Krum, Bulyan) keeps some of them; the others are left out, unpaid.
    const selected = (strategy as { selected?: readonly string[] }).selected;
    contributors = selected === undefined ? updaters : updaters.filter((id) => selected.includes(id));
  }
  if (arrays === undefined || contributors.length === 0) {
    return ctx.repos.fl.updateRound(
      terms.taskId,
      round.round,
      {
        status: "failed",
        reason: "no proposer sent a usable update before the deadline",
        contributors,
        updaters,
      },
      ["training"],
    );
  }
  const candidate = await storeArrays(ctx, arrays);
  const serverState = optimizer === undefined ? null : await storeServerState(ctx, optimizer);
  if (terms.privacy.mode === "secagg+dp") {
    // The privacy budget spent so far: every round that released a model counts (the rounds are numbered).
    metrics.epsilon = epsilonSpent(terms, round.round);
  }
  const voting = await ctx.repos.fl.updateRound(
    terms.taskId,
    round.round,
    {
      status: "voting",
      candidateModel: candidate,
      contributors,
      updaters,
      metrics,
      ...(serverState === null ? {} : { serverState }),
      deadline: new Date(ctx.clock.now().getTime() + commitMs),
    },
    ["training"],
  );
  await ctx.repos.events.append("fl.round.candidate", {
    taskId: terms.taskId,
    round: round.round,
    candidate,
    contributors: contributors.length,
  });
  return voting;
}

/**
 * Voters evaluate the candidate against the global model on their own data and commit to a vote. A
 * `contribution` round first fixes its coalitions' models; the message lists them for evaluation.
 */
async function commitVotes(
  ctx: AppContext,
  terms: FlTerms,
  round: FlRoundRecord,
  revealMs: number,
): Promise<FlRoundRecord> {
  if (terms.payRule === "contribution" && round.coalitions.length === 0) {
    const coalitions = await buildCoalitions(ctx, round);
    round = await ctx.repos.fl.updateRound(round.taskId, round.round, { coalitions }, ["voting"]);
  }
  const models = round.coalitions.length === 0 ? {} : { models: modelsToEvaluate(round) };
  const voters = round.voters.map((v) => v.account);
  const candidate = await readArrays(ctx, round.candidateModel!);
  const grid = new NetworkGrid(ctx, round.taskId, voters, round.deadline).known(
    candidate,
    round.candidateModel!,
  );
  const replies = await grid.sendAndReceive(
    voters.map((nodeId) => ({
      nodeId,
      kind: "exchange" as const,
      round: round.round,
      arrays: candidate,
      config: { baseline: round.baseModel },
      body: { stage: "vote-commit", ...models },
    })),
  );
  const committed = replies.filter(
    (r) => "body" in r && commitmentOf({ reply: { body: r.body } }) !== undefined,
  );
  return ctx.repos.fl.updateRound(
    round.taskId,
    round.round,
    {
      status: "revealing",
      deadline: new Date(ctx.clock.now().getTime() + revealMs),
      voters: round.voters,
      reason: committed.length === 0 ? "no voter committed to a vote" : null,
    },
    ["voting"],
  );
}

/**
 * Voters who committed reveal; a reveal that does not open its commitment (with its evaluations, in a
 * contribution round) counts as none.
 */
async function revealVotes(ctx: AppContext, round: FlRoundRecord): Promise<RevealedVote[]> {
  const commits = await ctx.repos.fl.stageMessages(round.taskId, round.round, "vote-commit");
  const committedBy = new Map<string, string>();
  for (const m of commits) {
    const commitment = commitmentOf(m);
    if (commitment !== undefined) committedBy.set(m.node, commitment);
  }
  if (committedBy.size === 0) return [];
  const revealers = [...committedBy.keys()];
  const grid = new NetworkGrid(ctx, round.taskId, revealers, round.deadline);
  const replies = await grid.sendAndReceive(
    revealers.map((nodeId) => ({
      nodeId,
      kind: "exchange" as const,
      round: round.round,
      config: {},
      body: { stage: "vote-reveal", commitment: committedBy.get(nodeId)! },
    })),
  );
  const revealed: RevealedVote[] = [];
  for (const reply of replies) {
    if (!("body" in reply)) continue;
    try {
      const opened = openReveal(round, reply.nodeId, committedBy.get(reply.nodeId)!, reply.body);
      revealed.push({
        account: reply.nodeId,
        vote: opened.vote,
        metrics: opened.metrics,
        ...(opened.evaluations === undefined ? {} : { evaluations: opened.evaluations }),
      });
    } catch {
      // Not opened: the voter failed its duty (roundOutcome.ts).
    }
  }
  return revealed;
}
