import { join } from "node:path";
import { approve, delegate, getBalances, lockFlock, setSigma, stake } from "@flock/chain";
import { contentId, FlockError, formatFlock, parseFlock } from "@flock/core";
import { formatShareGpt } from "@flock/engine";
import {
  engineEvaluationBackend,
  engineTrainingBackend,
  recipe,
  TrainerDaemon,
  ValidatorDaemon,
} from "@flock/node";
import { SCORE_DECIMALS } from "@flock/protocol";
import type { Address } from "viem";
import { type AuditCheck, auditEpoch } from "../commands/audit.ts";
import { type ClaimLine, claimAll } from "../commands/claim.ts";
import { createTask } from "../commands/task.ts";
import type { CommandContext } from "../context.ts";
import { recordCreatedTask } from "../network/createdTasks.ts";
import type { EmbeddedNetwork } from "../network/embeddedNetwork.ts";
import { participant } from "../network/participant.ts";
import { trainerProgress, validatorProgress } from "../nodeProgress.ts";
import { table } from "../output.ts";
import { createProgress } from "../progress.ts";
import { demoBaseModel } from "./baseModel.ts";
import { baseModelBpc } from "./baseModelBpc.ts";
import { calibrateTraining, demoTimings } from "./calibration.ts";
import { demoData } from "./demoData.ts";
import type { DemoSettings } from "./demoSettings.ts";
import { type DemoFlReport, renderFlReport, runFlChapter } from "./flChapter.ts";
import { delegatesTo, poolSigma, reusableLock, withdrawClosedStakes } from "./homeReuse.ts";
import { type DemoMoonbaseReport, renderMoonbaseReport, runMoonbaseChapter } from "./moonbaseChapter.ts";

/** The demo's cast: dev accounts 3–9 (see keys.ts). */
const CREATOR = "ada";
/** FLOCK the creator funds its task's reward pool with (SPEC §3: a task may fund its own pool). */
const DEMO_POOL = parseFlock("2000");
const TRAINERS = [
  { name: "bo", recipe: "careful", stake: "3000" },
  { name: "cy", recipe: "balanced", stake: "6000" },
  { name: "di", recipe: "bold", stake: "9000" },
] as const;
/**
 * The trainer whose delegation pool the creator backs: the boldest recipe, which usually wins, so the creator
 * also earns through it when the winner's model is called on Moonbase.
 */
const DELEGATEE = "di";
const VALIDATORS = [
  { name: "ed", stake: "5000" },
  { name: "flo", stake: "5000" },
  { name: "gus", stake: "5000" },
] as const;

export interface DemoLeaderboardLine {
  rank: number | null;
  submissionId: number;
  trainer: string;
  name: string;
  recipe: string;
  bpc: number | null;
  /** Base model BPC − this entry's BPC: bits per byte the fine-tune saved (positive = better than base). */
  improvement: number | null;
  reports: number;
}

export interface DemoReport {
  taskId: number;
  epoch: number;
  epochTx: string;
  /** BPC of the base model without an adapter on the hidden set, scored as validators score submissions. */
  baseBpc: number;
  leaderboard: DemoLeaderboardLine[];
  claims: (ClaimLine & { name: string })[];
  balances: { name: string; account: string; flockBefore: bigint; flockAfter: bigint }[];
  audit: { verified: boolean; checks: AuditCheck[] };
  /** The FL chapter after the Arena: a federated task under secure aggregation, settled by its own epoch. */
  fl: DemoFlReport;
  /** The Moonbase chapter: the winner in the registry, called with the official openai client. */
  moonbase: DemoMoonbaseReport;
  seconds: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

function demoError(code: string, message: string, hint: string): FlockError {
  return new FlockError(code, message, { hint });
}

/**
 * The whole Arena story on one embedded network (SPEC §2.1, §3): a pretrained base model, a task from the
 * synthetic instruction data with a hidden validation set, three trainers with different recipes, three
 * validators, consensus and rewards computed by the protocol, the epoch root on-chain, claims, an audit.
 */
export async function runDemo(
  ctx: CommandContext,
  network: EmbeddedNetwork,
  settings: DemoSettings,
  options: { fixedDeadline?: boolean } = {},
): Promise<DemoReport> {
  const started = performance.now();
  const { output, io, home, signal } = ctx;
  const step = (text: string) => output.note(`\n== ${text}`);

  step("base model");
  const base = await demoBaseModel(home, settings, (total) =>
    createProgress(io, "pretraining base model", total, "steps"),
  );
  output.note(
    base.cached
      ? "reusing the base model made earlier in this home"
      : `pretrained a ${base.bytes.length}-byte base model`,
  );

  step("participants lock FLOCK for gmFLOCK (365 days: 3.01x)");
  const names = [CREATOR, ...TRAINERS.map((t) => t.name), ...VALIDATORS.map((v) => v.name)];
  const people = new Map(names.map((name) => [name, participant(home, name)]));
  const who = (name: string) => people.get(name)!;
  // Stakes of tasks earlier runs left behind (closed, or interrupted and since settled) come back first, and
  // again before staking: the coordinator closes a task a little after settling it, maybe only now.
  const takeBackStakes = async () => {
    // The local chain mines only on demand: a fresh block puts its clock at now, so a dispute window that ended
    // since the last transaction reads as ended (a withdrawal is judged by the latest block's time).
    await network.chain.advanceTime(0);
    for (const name of names) {
      for (const { taskId, amount } of await withdrawClosedStakes(who(name))) {
        output.note(
          `${name.padEnd(4)} took back ${formatFlock(amount)} gmFLOCK staked on closed task ${taskId}`,
        );
      }
    }
  };
  await takeBackStakes();
  const locks = new Map<string, bigint>();
  for (const { name, stake: stakeText } of [...TRAINERS, ...VALIDATORS]) {
    // A home that ran the demo before keeps its locks: one that still backs the stake is used again.
    const reused = await reusableLock(who(name), parseFlock(stakeText));
    if (reused !== undefined) {
      locks.set(name, reused);
      output.note(`${name.padEnd(4)} reuses lock #${reused} made by an earlier run in this home`);
      continue;
    }
    const amount = parseFlock("10000");
    await approve(who(name).chain, { token: "FLOCK", spender: "GmFlock", amount });
    const lock = await lockFlock(who(name).chain, { amount, days: 365 });
    locks.set(name, lock.lockId);
    output.note(
      `${name.padEnd(4)} locked 10000 FLOCK → ${formatFlock(lock.gmAmount)} gmFLOCK (lock #${lock.lockId})`,
    );
  }

  step("a delegator backs a trainer's pool");
  // SPEC §3: the trainer keeps po + σ·(pw − po) of its reward and the pool gets the rest. σ can change only
  // after a cooldown, so a pool an earlier run opened is kept as it is.
  const sigma = await poolSigma(who(DELEGATEE));
  if (sigma === undefined) await setSigma(who(DELEGATEE).chain, { sigmaBps: 5000 });
  if (await delegatesTo(who(CREATOR), who(DELEGATEE))) {
    output.note(
      `${DELEGATEE}'s pool (σ = ${(sigma ?? 5000) / 100}%) and ${CREATOR}'s delegation to it are kept from an earlier run`,
    );
  } else {
    const amount = parseFlock("2000");
    await approve(who(CREATOR).chain, { token: "FLOCK", spender: "GmFlock", amount });
    const lock = await lockFlock(who(CREATOR).chain, { amount, days: 365 });
    await approve(who(CREATOR).chain, {
      token: "gmFLOCK",
      spender: "DelegationPools",
      amount: lock.gmAmount,
    });
    await delegate(who(CREATOR).chain, {
      participant: who(DELEGATEE).address as Address,
      amount: lock.gmAmount,
    });
    output.note(
      `${DELEGATEE} opened its pool with σ = ${(sigma ?? 5000) / 100}%; ${CREATOR} delegated ${formatFlock(lock.gmAmount)} gmFLOCK to it`,
    );
  }

  const balancesBefore = new Map<string, bigint>();
  for (const name of names)
    balancesBefore.set(
      name,
      (await getBalances(who(name).chain, { account: who(name).address as Address })).flock,
    );

  step("task from the synthetic instruction data");
  // A hidden set no task of this network used yet: earlier runs (finished or interrupted) took theirs.
  let round = 0;
  while (
    (await network.repos.tasks.usingHiddenSet(contentId(formatShareGpt(demoData(settings, round).hidden))))
      .length > 0
  )
    round++;
  const { train, hidden } = demoData(settings, round);
  const validationSet = formatShareGpt(hidden);
  const baseBpc = await baseModelBpc(base.bytes, validationSet, settings.model.contextLength);
  output.note(`base model on the hidden set: ${baseBpc.toFixed(3)} BPC (the score fine-tuning must beat)`);
  const trainingText = formatShareGpt(train);
  let timings = { deadlineSeconds: settings.deadlineSeconds, validationSeconds: settings.validationSeconds };
  if (options.fixedDeadline !== true) {
    // Deadlines sized on this machine as it is now: a few timed training steps, then the formula in
    // calibration.ts (a fixed deadline only fits the machine it was measured on).
    const calibration = await calibrateTraining(base.bytes, trainingText, settings);
    timings = demoTimings(settings, calibration, {
      trainers: TRAINERS.length,
      validators: VALIDATORS.length,
    });
    output.note(
      `measured ${calibration.secondsPerStep.toFixed(3)} s per training step (+${calibration.setupSeconds.toFixed(1)} s setup) on ${calibration.cores} core(s): deadline ${timings.deadlineSeconds} s, validation ${timings.validationSeconds} s`,
    );
  }
  const now = Date.now();
  const task = await createTask(
    ctx,
    CREATOR,
    {
      title: "Follow instructions: arithmetic, units, dates, sorting, lookups",
      description:
        "Fine-tune the base model to answer the generated instructions in their fixed reply style.",
      baseModel: base.bytes,
      trainingSet: new TextEncoder().encode(trainingText),
      validationSet: new TextEncoder().encode(validationSet),
      contextLength: settings.model.contextLength,
      maxTrainableParams: 1_000_000,
      submissionDeadline: new Date(now + timings.deadlineSeconds * 1000),
      endTime: new Date(now + (timings.deadlineSeconds + timings.validationSeconds) * 1000),
      // SPEC §3: ada funds the task's own pool and asks for emission weight 1, which the network's operator
      // (the local chain's admin) approves below.
      rewardWeight: 1n,
      pool: DEMO_POOL,
      minStake: parseFlock("3000"),
      minLockDays: 0,
    },
    (line) => output.note(line),
  );
  const approved = await participant(home, network.chain.roles.admin.privateKey).api.tasks.approve(
    task.id,
    1n,
  );
  output.note(
    `the network's operator approved emission weight ${approved.approvedWeight} for task ${task.id}: its epoch pays emission plus ${CREATOR}'s ${formatFlock(DEMO_POOL)} FLOCK pool`,
  );
  // Like `flock task create`: the creator's home keeps the base model's score for `flock task leaderboard`.
  recordCreatedTask(home, { taskId: task.id, validationCommitment: task.validationCommitment, baseBpc });
  output.note(
    `task ${task.id} open: ${train.length} public training conversations, ${hidden.length} hidden (committed ${task.validationCommitment.slice(0, 19)}…)`,
  );
  output.note(
    `submission deadline in ${timings.deadlineSeconds} s, validation for ${timings.validationSeconds} s after it`,
  );

  step("trainers and validators stake on the task");
  await takeBackStakes();
  for (const s of [
    ...TRAINERS.map((t) => ({ ...t, role: "trainer" as const })),
    ...VALIDATORS.map((v) => ({ ...v, role: "validator" as const })),
  ]) {
    const amount = parseFlock(s.stake);
    await approve(who(s.name).chain, { token: "gmFLOCK", spender: "TaskStaking", amount });
    await stake(who(s.name).chain, {
      taskId: BigInt(task.id),
      role: s.role,
      amount,
      lockId: locks.get(s.name)!,
    });
    output.note(`${s.name.padEnd(4)} staked ${s.stake} gmFLOCK as ${s.role}`);
  }

  step("trainers fine-tune LoRA adapters, commit and upload");
  const trainers = TRAINERS.map(
    (t) =>
      new TrainerDaemon({
        coordinator: who(t.name).coordinator,
        backend: engineTrainingBackend(),
        recipe: recipe(t.recipe, {
          steps: settings.recipeSteps,
          batchSize: settings.batchSize,
          seqLen: settings.model.contextLength,
        }),
        stateDir: join(home.nodesDir, `trainer-${t.name}`),
        onEvent: trainerProgress(io, output, `${t.name} (${t.recipe})`),
      }),
  );
  const validators = VALIDATORS.map(
    (v) =>
      new ValidatorDaemon({
        coordinator: who(v.name).coordinator,
        backend: engineEvaluationBackend(),
        stateDir: join(home.nodesDir, `validator-${v.name}`),
        maxArtifactBytes: network.app.config.maxArtifactBytes,
        onEvent: validatorProgress(io, output, v.name),
      }),
  );
  try {
    for (const t of trainers) t.start(500);
    const deadline = new Date(task.submissionDeadline).getTime();
    for (;;) {
      const states = await Promise.all(trainers.map((t) => t.state()));
      const phases = states.map((s) => s.tasks[String(task.id)]?.phase);
      if (phases.every((p) => p === "uploaded")) break;
      if (phases.some((p) => p === "failed")) {
        const failed = states.map((s) => s.tasks[String(task.id)]).find((e) => e?.phase === "failed");
        throw demoError(
          "DEMO_TRAINER_FAILED",
          `a trainer failed: ${failed?.error?.code} ${failed?.error?.message}`,
          "see the trainer's state in <home>/nodes",
        );
      }
      if (Date.now() > deadline) {
        throw demoError(
          "DEMO_TOO_SLOW",
          "the trainers did not upload before the submission deadline",
          `this machine was slower than measured before the task; rerun with a larger deadline: \`flock demo --deadline ${timings.deadlineSeconds * 2}\` (or \`npm start -- --deadline ${timings.deadlineSeconds * 2}\`)`,
        );
      }
      if (signal.aborted) throw demoError("DEMO_INTERRUPTED", "the demo was interrupted", "run it again");
      await sleep(250, signal);
    }
    for (const t of trainers) await t.stop();

    step("deadline: validators evaluate every submission on the hidden set");
    for (const v of validators) v.start(500);
    const endTime = new Date(task.endTime).getTime();
    let epoch: Awaited<ReturnType<typeof network.repos.epochs.list>>[number] | undefined;
    for (;;) {
      [epoch] = await network.repos.epochs.list({ taskId: task.id });
      if (epoch?.txHash != null) break;
      // Settled once the score reveal window after the end has closed (and disputes, if any, ran).
      if (Date.now() > endTime + network.app.config.revealWindowMs + 60_000) {
        throw demoError(
          "DEMO_NOT_SETTLED",
          `task ${task.id} was not settled within a minute of its score reveal window`,
          "check the coordinator's log in <home>/logs",
        );
      }
      if (signal.aborted) throw demoError("DEMO_INTERRUPTED", "the demo was interrupted", "run it again");
      await sleep(250, signal);
    }
    for (const v of validators) await v.stop();

    step(`consensus, rewards and the epoch root on-chain (epoch ${epoch.number})`);
    output.note(`report ${epoch.reportHash} posted in transaction ${epoch.txHash}`);
    const api = who(CREATOR).api;
    const board = await api.tasks.leaderboard(task.id);
    const nameOf = (account: string) => TRAINERS.find((t) => who(t.name).address === account.toLowerCase());
    const leaderboard: DemoLeaderboardLine[] = board.map((e) => {
      const bpc = e.consensusScore === null ? null : Number(e.consensusScore) / 10 ** SCORE_DECIMALS;
      return {
        rank: e.rank,
        submissionId: e.submissionId,
        trainer: e.trainer,
        name: nameOf(e.trainer)?.name ?? e.trainer,
        recipe: nameOf(e.trainer)?.recipe ?? "",
        bpc,
        improvement: bpc === null ? null : baseBpc - bpc,
        reports: e.reports,
      };
    });

    step("everyone claims with Merkle proofs from the reward pool the emission funded");
    const claims: DemoReport["claims"] = [];
    for (const name of names) {
      for (const line of await claimAll(ctx, name, epoch.number)) claims.push({ ...line, name });
    }
    const balances: DemoReport["balances"] = [];
    for (const name of names) {
      const after = (await getBalances(who(name).chain, { account: who(name).address as Address })).flock;
      balances.push({
        name,
        account: who(name).address,
        flockBefore: balancesBefore.get(name)!,
        flockAfter: after,
      });
    }

    step(`audit: recompute epoch ${epoch.number} from its published report`);
    const audit = await auditEpoch(ctx, epoch.number);
    // The FL chapter fine-tunes the Arena's winner: the best-ranked scored submission.
    const winner = leaderboard.find((l) => l.rank === 0 && l.bpc !== null);
    const fl = await runFlChapter(ctx, network, settings, who, {
      baseModel: base.bytes,
      baseModelId: task.baseModel,
      ...(winner === undefined
        ? {}
        : { winner: { submissionId: winner.submissionId, name: winner.name, recipe: winner.recipe } }),
    });
    const moonbase = await runMoonbaseChapter(
      ctx,
      network,
      who,
      { taskId: task.id, winnerSubmissionId: winner?.submissionId ?? null },
      { taskId: fl.taskId },
    );
    const report: DemoReport = {
      taskId: task.id,
      epoch: epoch.number,
      epochTx: epoch.txHash,
      baseBpc,
      leaderboard,
      claims,
      balances,
      audit: { verified: audit.checks.every((c) => c.ok), checks: audit.checks },
      fl,
      moonbase,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
    return report;
  } finally {
    for (const t of trainers) await t.stop();
    for (const v of validators) await v.stop();
  }
}

/** The demo's final screen. */
export function renderDemoReport(report: DemoReport): string[] {
  return [
    "",
    `Leaderboard of task ${report.taskId} (consensus BPC on the hidden set, lower is better)`,
    `base model without an adapter: ${report.baseBpc.toFixed(4)} BPC; improvement = base BPC − entry BPC`,
    table(
      ["rank", "trainer", "recipe", "BPC", "improvement", "reports"],
      report.leaderboard.map((l) => [
        l.rank === null ? "-" : String(l.rank + 1),
        l.name,
        l.recipe,
        l.bpc === null ? "-" : l.bpc.toFixed(4),
        l.improvement === null ? "-" : `${l.improvement >= 0 ? "+" : ""}${l.improvement.toFixed(4)}`,
        String(l.reports),
      ]),
    ),
    "",
    `On-chain reward claims of epoch ${report.epoch} (root posted in ${report.epochTx.slice(0, 18)}…)`,
    table(
      ["account", "tree", "entitled FLOCK", "paid now", "result"],
      report.claims.map((c) => [
        c.name,
        c.tree,
        formatFlock(c.amount),
        c.paid === undefined ? "-" : formatFlock(c.paid),
        c.error === undefined
          ? c.tree === "vesting"
            ? "claimed what has vested so far"
            : "claimed"
          : c.error.code === "NOTHING_TO_CLAIM"
            ? "vesting, nothing vested yet"
            : c.error.code,
      ]),
    ),
    "",
    "FLOCK balances",
    table(
      ["account", "before", "after", "change"],
      report.balances.map((b) => [
        b.name,
        formatFlock(b.flockBefore),
        formatFlock(b.flockAfter),
        formatFlock(b.flockAfter - b.flockBefore),
      ]),
    ),
    "",
    `Audit of epoch ${report.epoch}: ${report.audit.verified ? "verified" : "FAILED"} (${report.audit.checks.filter((c) => c.ok).length}/${report.audit.checks.length} checks)`,
    ...renderFlReport(report.fl),
    ...renderMoonbaseReport(report.moonbase),
    `Demo finished in ${report.seconds} s`,
  ];
}
