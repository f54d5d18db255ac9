import { join } from "node:path";
import { approve, getBalances, getStake, lockFlock, stake } from "@flock/chain";
import { FlockError, formatFlock, parseFlock } from "@flock/core";
import {
  type BaseModel,
  type Batch,
  ByteTokenizer,
  decodeAdapterArtifact,
  decodeBaseModel,
  encodeBaseModel,
  evaluateLanguageModel,
  formatShareGpt,
  generateInstructionDataset,
  makeBatches,
  mergeLora,
  mixSeed,
  type ParameterSet,
  renderChat,
} from "@flock/engine";
import { type Arrays, decodeArrays, flLoraRecipeOf, type NodeApp } from "@flock/fl";
import {
  FlParticipantStateFile,
  type FlProgress,
  type LoraFlApp,
  loraFlApp,
  runFlParticipant,
} from "@flock/node";
import type { FlRound } from "@flock/sdk";
import type { Address } from "viem";
import { type AuditCheck, auditEpoch } from "../commands/audit.ts";
import { type ClaimLine, claimAll } from "../commands/claim.ts";
import { fundTaskPool } from "../commands/task.ts";
import type { CommandContext } from "../context.ts";
import type { EmbeddedNetwork } from "../network/embeddedNetwork.ts";
import type { Participant } from "../network/participant.ts";
import { publishArtifact } from "../network/publishArtifact.ts";
import { table } from "../output.ts";
import type { DemoSettings } from "./demoSettings.ts";
import { reusableLock } from "./homeReuse.ts";

/**
 * The FL chapter's cast: four organizations (dev accounts; the Arena chapter uses all seven, on its own task).
 * Roles are drawn stake-weighted from each round's block hash: three proposers and one voter a round, most
 * often the smallest stake — bo, which also holds the most conversations (`share`: of the settings' count).
 */
export const FL_ORGS = [
  { name: "bo", org: "north clinic", stake: "1000", share: 1.5 },
  { name: "cy", org: "river hospital", stake: "3000", share: 1 },
  { name: "di", org: "lake hospital", stake: "3000", share: 1 },
  { name: "ed", org: "hill clinic", stake: "2000", share: 0.75 },
] as const;
/** The creator of the federated task, who funds its pool. */
const FL_CREATOR = "ada";
const FL_POOL = parseFlock("600");
/**
 * The poisoner replaces its trained adapter by ±this (a fixed sign pattern): noise at the edge of SecAgg+'s
 * clipping range, large enough to spoil the average even from the party with the fewest conversations.
 */
const POISON_MAGNITUDE = 8;

export interface DemoFlRound {
  round: number;
  status: FlRound["status"];
  proposers: string[];
  voters: { name: string; vote: number | null }[];
  tally: bigint | null;
  /** Bits per byte on the held-out conversations of the round's candidate (null when none) and of the global model after it. */
  candidateBpc: number | null;
  globalBpc: number;
  /** Who dropped out of / poisoned this round. */
  droppedOut: string[];
  poisoned: string[];
  slashes: { name: string; amount: bigint }[];
  rewards: { name: string; amount: bigint }[];
  reason: string | null;
}

export interface DemoFlReport {
  taskId: number;
  dataset: string;
  privacy: string;
  /** What the federation fine-tunes: the Arena winner merged into the base model, or the base model. */
  startingModel: string;
  /** Held-out bits per byte of the starting model and of the final global adapter on it. */
  baseBpc: number;
  finalBpc: number;
  rounds: DemoFlRound[];
  /** Per organization: gmFLOCK staked, slashed on-chain (stake before − after), FLOCK paid by the epoch. */
  organizations: {
    name: string;
    org: string;
    /** honest, dropout (left a round mid-way) or poisoner. */
    behaviour: "honest" | "dropout" | "poisoner";
    staked: bigint;
    slashed: bigint;
    reward: bigint;
  }[];
  epoch: number;
  epochTx: string;
  /** The creator's refund of what the rounds left of its pool. */
  refund: bigint;
  claims: (ClaimLine & { name: string })[];
  audit: { verified: boolean; checks: AuditCheck[] };
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

/** Audit an epoch and say on screen what failed and how many checks passed. */
export async function auditAndNote(
  ctx: CommandContext,
  epoch: number,
): Promise<{ audit: Awaited<ReturnType<typeof auditEpoch>>; verified: boolean }> {
  const audit = await auditEpoch(ctx, epoch);
  const verified = audit.checks.every((c) => c.ok);
  for (const c of audit.checks.filter((c) => !c.ok))
    ctx.output.note(`FAIL ${c.check}: expected ${c.expected}, got ${c.actual}`);
  ctx.output.note(
    `audit of epoch ${epoch}: ${verified ? "verified" : "FAILED"} (${audit.checks.filter((c) => c.ok).length}/${audit.checks.length} checks)`,
  );
  return { audit, verified };
}

function chapterError(code: string, message: string, hint: string): FlockError {
  return new FlockError(code, message, { hint });
}

/**
 * Who misbehaves, decided as the rounds go (roles are drawn from block hashes, so no one knows in advance who
 * will propose): the first organization asked to train drops out; the first other one asked to train in a
 * later round poisons that update.
 */
interface Misbehaviour {
  dropout?: { name: string; round: number };
  poison?: { name: string; round: number };
}

/**
 * An organization's app: the LoRA app on its conversations. The dropout stops its own participant (aborts it) when
 * asked to train — under SecAgg+ that is the masked-input stage, after the key exchange — so its masked input
 * never comes. The poisoner sends ±POISON_MAGNITUDE noise instead of its trained weights, once; then it trains
 * honestly.
 */
function organizationApp(name: string, inner: NodeApp, script: Misbehaviour, stop: AbortController): NodeApp {
  return {
    async train(message) {
      if (script.dropout === undefined) {
        script.dropout = { name, round: message.round };
        stop.abort();
        throw chapterError("FL_NODE_STOPPED", `${name}'s node stopped`, "it restarts after the round");
      }
      const update = await inner.train(message);
      if (
        script.poison === undefined &&
        name !== script.dropout.name &&
        message.round > script.dropout.round
      ) {
        script.poison = { name, round: message.round };
        const poisoned: Arrays = new Map(
          [...update.arrays].map(([key, a]) => [
            key,
            {
              ...a,
              data: Float32Array.from(a.data as Float32Array, (_, i) =>
                (i * 7919) % 13 < 6 ? POISON_MAGNITUDE : -POISON_MAGNITUDE,
              ),
            },
          ]),
        );
        return { ...update, arrays: poisoned };
      }
      return update;
    },
    evaluate: (message) => inner.evaluate(message),
  };
}

/** The Arena chapter's outcome the FL chapter starts from: its base model and its winning submission. */
export interface ArenaOutcome {
  baseModel: Uint8Array;
  baseModelId: string;
  winner?: { submissionId: number; name: string; recipe: string };
}

/**
 * The model the federation fine-tunes: the Arena winner's adapter merged into the base model (W + (α/r)·B·A), so
 * the organizations train a fresh LoRA on top of the best model the Arena produced; the base model itself when
 * the Arena has no scored winner.
 */
async function startingModel(
  network: EmbeddedNetwork,
  arena: ArenaOutcome,
): Promise<{ model: BaseModel; label: string }> {
  const base = decodeBaseModel(arena.baseModel);
  if (arena.winner === undefined) return { model: base, label: "the Arena's base model" };
  const submission = await network.repos.submissions.get(arena.winner.submissionId);
  if (submission.artifactId === null) return { model: base, label: "the Arena's base model" };
  const { lora, adapter } = decodeAdapterArtifact(
    await network.artifacts.read(submission.artifactId),
    base.config,
    arena.baseModelId,
  );
  return {
    model: { config: base.config, params: mergeLora(base.config, base.params, lora, adapter) },
    label: `the Arena winner (${arena.winner.name}, ${arena.winner.recipe} recipe) merged into its base model`,
  };
}

/**
 * FL Alliance on the same network (SPEC §2.2): four organizations with private instruction conversations
 * fine-tune the Arena's winner with LoRA under secure aggregation (SecAgg+) with a funded pool. One drops out mid-round
 * and the round completes; one poisons its update, the voters vote the candidate down and the round's proposers
 * are slashed on-chain; honest rounds are accepted; the epoch pays the rounds; claims; the epoch's audit.
 */
export async function runFlChapter(
  ctx: CommandContext,
  network: EmbeddedNetwork,
  settings: DemoSettings,
  who: (name: string) => Participant,
  arena: ArenaOutcome,
): Promise<DemoFlReport> {
  const started = performance.now();
  const { output, home, signal } = ctx;
  const step = (text: string) => output.note(`\n== ${text}`);
  const fl = settings.fl;

  step("FL Alliance: four organizations fine-tune the Arena's winner with LoRA under secure aggregation");
  const start = await startingModel(network, arena);
  const { config } = start.model;
  output.note(
    `the federation fine-tunes ${start.label}: each organization trains a LoRA adapter on its own conversations; only adapters (masked) travel`,
  );
  const tokenizer = new ByteTokenizer();
  const seqLen = Math.min(fl.seqLen, config.max_position_embeddings);
  const trainConfig = {
    loraRank: fl.loraRank,
    loraAlpha: 2 * fl.loraRank,
    targetModules: fl.targetModules,
    learningRate: fl.learningRate,
    localSteps: fl.localSteps,
    batchSize: fl.batchSize,
    seqLen,
    seed: fl.seed,
  };
  const { lora } = flLoraRecipeOf(trainConfig, config);
  const conversations = (seed: number, count: number) =>
    generateInstructionDataset({ seed, count }).map((e) => e.conversation);
  const data = FL_ORGS.map((o, i) => ({
    train: formatShareGpt(conversations(mixSeed(fl.seed, i, 1), Math.round(fl.trainConversations * o.share))),
    test: formatShareGpt(conversations(mixSeed(fl.seed, i, 2), fl.testConversations)),
  }));
  const heldOut: Batch[] = makeBatches(
    conversations(mixSeed(fl.seed, 99), fl.heldOutConversations).map((c) =>
      renderChat(c, tokenizer, { maxTokens: seqLen + 1 }),
    ),
    { batchSize: 8, seqLen, padId: tokenizer.specials.pad, pack: false },
  );
  const apps: LoraFlApp[] = [];
  const creator = who(FL_CREATOR);
  const names = new Map(FL_ORGS.map((o) => [who(o.name).address.toLowerCase(), o.name]));
  const nameOf = (account: string) => names.get(account.toLowerCase()) ?? account;
  const bpcCache = new Map<string, number>();

  try {
    FL_ORGS.forEach((o) => {
      output.note(
        `${o.name.padEnd(4)} (${o.org}) holds ${Math.round(fl.trainConversations * o.share)} training and ${fl.testConversations} test conversations of its own`,
      );
    });
    output.note(
      `held-out set: ${fl.heldOutConversations} other conversations no one trains on (bits per assistant byte)`,
    );

    const baseId = await publishArtifact(ctx, creator.api, encodeBaseModel(start.model), "FL base model");
    let task = await creator.api.fl.create({
      title: "Instruction following across four organizations",
      description:
        "A LoRA adapter of the Arena's winner federated over private conversations under secure aggregation.",
      modelType: "lm-lora",
      baseModel: baseId,
      rounds: fl.rounds,
      roundSeconds: fl.roundSeconds,
      minParticipants: FL_ORGS.length,
      maxParticipants: FL_ORGS.length,
      joinDeadline: new Date(Date.now() + fl.joinSeconds * 1000),
      rewardWeight: 0n,
      pool: FL_POOL,
      minStake: parseFlock("1000"),
      minLockDays: 0,
      strategy: { name: "fedavg" },
      privacy: { mode: "secagg" },
      payRule: "stake",
      proposerFractionBps: 7500,
      trainConfig,
    });
    await fundTaskPool(creator, task.id, FL_POOL, (line) => output.note(line));
    task = await creator.api.fl.open(task.id);
    output.note(
      `federated task ${task.id} ${task.status}: ${task.rounds} round(s) to accept, ${task.roundSeconds} s to train, LoRA rank ${fl.loraRank} on ${fl.targetModules}, ${fl.localSteps} local steps a round, fedavg under SecAgg+, ${formatFlock(FL_POOL)} FLOCK pool; joining until ${task.joinDeadline}`,
    );
    const bpcOf = async (id: string): Promise<number> => {
      const cached = bpcCache.get(id);
      if (cached !== undefined) return cached;
      const { arrays } = decodeArrays(await creator.api.fl.arrays(task.id, id));
      const { bpc } = await evaluateLanguageModel(config, start.model.params, heldOut, {
        lora: { config: lora, adapter: arrays as ParameterSet },
      });
      bpcCache.set(id, bpc);
      return bpc;
    };
    // The first global model is a fresh adapter (B = 0): exactly the starting model.
    const baseBpc = await bpcOf(task.globalModel);
    output.note(`starting model on the held-out set: ${baseBpc.toFixed(3)} bits per byte`);

    step("the organizations stake gmFLOCK as trainers and join");
    // Side by side (each from its own account): the join window is short.
    const staked = new Map<string, bigint>();
    const stakes = await Promise.all(
      FL_ORGS.map(async (o) => {
        const me = who(o.name);
        const amount = parseFlock(o.stake);
        let lockId = await reusableLock(me, amount);
        if (lockId === undefined) {
          const locked = parseFlock("10000");
          await approve(me.chain, { token: "FLOCK", spender: "GmFlock", amount: locked });
          lockId = (await lockFlock(me.chain, { amount: locked, days: 365 })).lockId;
        }
        await approve(me.chain, { token: "gmFLOCK", spender: "TaskStaking", amount });
        await stake(me.chain, { taskId: BigInt(task.id), role: "trainer", amount, lockId });
        return { o, amount, lockId };
      }),
    );
    for (const { o, amount, lockId } of stakes) {
      staked.set(o.name, amount);
      output.note(
        `${o.name.padEnd(4)} staked ${o.stake} gmFLOCK on task ${task.id} as trainer (lock #${lockId})`,
      );
    }

    // Each organization's participant: the node's own daemon loop, on its own shard and state file.
    const script: Misbehaviour = {};
    const chapterStop = new AbortController();
    const onAbort = () => chapterStop.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    const runs = new Map<string, Promise<unknown>>();
    const failures: string[] = [];
    const run = (o: (typeof FL_ORGS)[number], i: number, app: LoraFlApp) => {
      const me = who(o.name);
      const stop = new AbortController();
      return runFlParticipant({
        client: me.api,
        account: me.address,
        taskId: task.id,
        app: organizationApp(o.name, app, script, stop),
        state: new FlParticipantStateFile(
          join(home.nodesDir, `fl-${me.address}-task-${task.id}.json`),
          task.id,
          me.address,
        ),
        signal: AbortSignal.any([chapterStop.signal, stop.signal]),
        waitMs: 2000,
        onProgress: (p: FlProgress) => {
          if (p.type === "joined") output.note(`${o.name.padEnd(4)} joined task ${task.id}`);
          if (p.type === "failed" && p.error.code !== "FL_MESSAGE_EXPIRED")
            failures.push(`${o.name} round ${p.round} ${p.stage}: ${p.error.code} ${p.error.message}`);
        },
      }).then((result) => ({ result, index: i }));
    };
    FL_ORGS.forEach((o, i) => {
      const app = loraFlApp({
        base: start.model,
        trainJsonl: data[i]!.train,
        testJsonl: data[i]!.test,
        trainConfig: task.trainConfig,
        seed: i,
      });
      apps.push(app);
      runs.set(o.name, run(o, i, app));
    });
    // Each organization compiles its trainer while the others join: the first round's deadline is short.
    for (const [i, app] of apps.entries()) {
      app.prepare().catch((error: unknown) => failures.push(`${FL_ORGS[i]!.name} prepare: ${String(error)}`));
    }

    step("rounds: roles from the block hash, SecAgg+ training, commit-reveal votes");
    const printed = new Map<number, DemoFlRound>();
    let restarted = false;
    const budgetMs = (fl.joinSeconds + fl.roundSeconds * 2 * fl.rounds * 3 + 60) * 1000;
    const until = Date.now() + budgetMs;
    for (;;) {
      if (signal.aborted) throw chapterError("DEMO_INTERRUPTED", "the demo was interrupted", "run it again");
      const current = await creator.api.fl.get(task.id);
      if (current.status === "cancelled") {
        throw chapterError(
          "DEMO_TOO_SLOW",
          `federated task ${task.id} was cancelled: too few organizations joined before its join deadline`,
          "this machine was slow to stake; run the demo again",
        );
      }
      for (const r of await creator.api.fl.rounds(task.id)) {
        if (printed.has(r.round) || !["accepted", "rejected", "failed"].includes(r.status)) continue;
        const line: DemoFlRound = {
          round: r.round,
          status: r.status,
          proposers: r.proposers.map((p) => nameOf(p.account)),
          voters: r.voters.map((v) => ({ name: nameOf(v.account), vote: v.vote })),
          tally: r.tally,
          candidateBpc: r.candidateModel === null ? null : await bpcOf(r.candidateModel),
          globalBpc: await bpcOf(r.status === "accepted" ? r.candidateModel! : r.baseModel),
          droppedOut: script.dropout?.round === r.round ? [script.dropout.name] : [],
          poisoned: script.poison?.round === r.round ? [script.poison.name] : [],
          slashes: r.slashes.map((s) => ({ name: nameOf(s.account), amount: s.amount })),
          rewards: r.rewards.map((s) => ({ name: nameOf(s.account), amount: s.amount })),
          reason: r.reason,
        };
        printed.set(r.round, line);
        for (const text of describeRound(line)) output.note(text);
      }
      // The dropout's node comes back once the round it left has ended, and plays on from the next one.
      const left = script.dropout;
      if (!restarted && left !== undefined && printed.has(left.round)) {
        await runs.get(left.name);
        restarted = true;
        const i = FL_ORGS.findIndex((o) => o.name === left.name);
        output.note(`${left.name.padEnd(4)} restarts its node: it plays again from round ${left.round + 1}`);
        runs.set(left.name, run(FL_ORGS[i]!, i, apps[i]!));
      }
      if (current.status === "finished" || current.status === "closed") {
        if ([...printed.keys()].length >= current.currentRound - 1) break;
      }
      if (Date.now() > until) {
        throw chapterError(
          "DEMO_TOO_SLOW",
          `federated task ${task.id} did not finish its rounds within ${Math.round(budgetMs / 1000)} s`,
          "check the coordinator's log in <home>/logs and run the demo again",
        );
      }
      await sleep(300, signal);
    }
    chapterStop.abort();
    await Promise.all(runs.values());
    signal.removeEventListener("abort", onAbort);
    if (failures.length > 0) output.note(`participant errors: ${failures.join("; ")}`);
    const finished = await creator.api.fl.get(task.id);
    const finalBpc = await bpcOf(finished.globalModel);
    output.note(
      `task ${task.id} ${finished.status}: ${finished.acceptedRounds} round(s) accepted; held-out bits per byte ${baseBpc.toFixed(3)} → ${finalBpc.toFixed(3)}`,
    );

    step("settlement: the network's next epoch pays the FL task's rounds");
    let epoch: Awaited<ReturnType<typeof network.repos.epochs.list>>[number] | undefined;
    const settleBy = Date.now() + 90_000;
    for (;;) {
      [epoch] = await network.repos.epochs.list({ taskId: task.id });
      if (epoch?.txHash != null) break;
      if (Date.now() > settleBy) {
        throw chapterError(
          "DEMO_NOT_SETTLED",
          `federated task ${task.id} was not settled within 90 s of its last round`,
          "check the coordinator's log in <home>/logs",
        );
      }
      if (signal.aborted) throw chapterError("DEMO_INTERRUPTED", "the demo was interrupted", "run it again");
      await sleep(250, signal);
    }
    output.note(`epoch ${epoch.number}: report ${epoch.reportHash} posted in transaction ${epoch.txHash}`);
    const report = JSON.parse(new TextDecoder().decode(await creator.api.epochs.report(epoch.number))) as {
      stages?: {
        fl?: { task: string; refund: string; rounds: { rewards: { account: string; amount: string }[] }[] }[];
      };
    };
    const settlement = report.stages?.fl?.find((t) => t.task === String(task.id));
    const rewardOf = new Map<string, bigint>();
    for (const round of settlement?.rounds ?? []) {
      for (const r of round.rewards) {
        const name = nameOf(r.account);
        rewardOf.set(name, (rewardOf.get(name) ?? 0n) + BigInt(r.amount));
      }
    }
    const organizations: DemoFlReport["organizations"] = [];
    for (const o of FL_ORGS) {
      const me = who(o.name);
      const now = await getStake(me.chain, { taskId: BigInt(task.id), account: me.address as Address });
      organizations.push({
        name: o.name,
        org: o.org,
        behaviour:
          script.dropout?.name === o.name
            ? "dropout"
            : script.poison?.name === o.name
              ? "poisoner"
              : "honest",
        staked: staked.get(o.name)!,
        slashed: staked.get(o.name)! - now.amount,
        reward: rewardOf.get(o.name) ?? 0n,
      });
    }
    output.note(
      table(
        ["organization", "behaviour", "staked", "slashed on-chain", "paid by the epoch"],
        organizations.map((o) => [
          `${o.name} (${o.org})`,
          o.behaviour,
          formatFlock(o.staked),
          formatFlock(o.slashed),
          formatFlock(o.reward),
        ]),
      ),
    );

    step("the organizations claim; audit of the epoch that settled the task");
    const claims: DemoFlReport["claims"] = [];
    for (const name of [FL_CREATOR, ...FL_ORGS.map((o) => o.name)]) {
      const before = (await getBalances(who(name).chain, { account: who(name).address as Address })).flock;
      for (const line of await claimAll(ctx, name, epoch.number)) claims.push({ ...line, name });
      const after = (await getBalances(who(name).chain, { account: who(name).address as Address })).flock;
      if (after !== before) output.note(`${name.padEnd(4)} claimed ${formatFlock(after - before)} FLOCK`);
    }
    const { audit, verified } = await auditAndNote(ctx, epoch.number);
    return {
      taskId: task.id,
      dataset: "instructions",
      privacy: "secagg",
      startingModel: start.label,
      baseBpc,
      finalBpc,
      rounds: [...printed.values()].sort((a, b) => a.round - b.round),
      organizations,
      epoch: epoch.number,
      epochTx: epoch.txHash,
      refund: settlement === undefined ? 0n : BigInt(settlement.refund),
      claims,
      audit: { verified, checks: audit.checks },
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    for (const app of apps) await app.release();
  }
}

/** The lines printed when a round ends. */
export function describeRound(r: DemoFlRound): string[] {
  const votes = r.voters
    .map((v) => `${v.name} ${v.vote === null ? "no vote" : v.vote === 1 ? "+1" : "−1"}`)
    .join(", ");
  const lines = [
    `round ${r.round}: proposers ${r.proposers.join(", ") || "-"}; voters ${votes || "-"} → ${r.status}${r.tally === null ? "" : ` (tally ${formatFlock(r.tally)})`}`,
  ];
  for (const name of r.droppedOut) {
    lines.push(
      `  ${name} dropped out after the key exchange; SecAgg+ recovered the sum of the others' masked inputs and the round completed`,
    );
  }
  for (const name of r.poisoned) {
    lines.push(
      `  ${name} poisoned its update (its adapter replaced by ±${POISON_MAGNITUDE} noise); under SecAgg+ no one sees single updates, so it cannot be filtered, only voted down`,
    );
  }
  lines.push(
    `  held-out bits per byte: candidate ${r.candidateBpc === null ? "-" : r.candidateBpc.toFixed(3)}, global model now ${r.globalBpc.toFixed(3)}`,
  );
  if (r.slashes.length > 0) {
    lines.push(
      `  slashed on-chain: ${r.slashes.map((s) => `${s.name} ${formatFlock(s.amount)} gmFLOCK`).join(", ")}`,
    );
  }
  if (r.rewards.some((s) => s.amount > 0n)) {
    lines.push(
      `  round reward: ${r.rewards.map((s) => `${s.name} ${formatFlock(s.amount)}`).join(", ")} FLOCK`,
    );
  }
  if (r.status === "failed" && r.reason !== null) lines.push(`  ${r.reason}`);
  return lines;
}

/** The chapter's part of the demo's final screen. */
export function renderFlReport(fl: DemoFlReport): string[] {
  return [
    "",
    `FL task ${fl.taskId}: a LoRA of ${fl.startingModel} over four organizations' private ${fl.dataset}, privacy ${fl.privacy}; held-out bits per byte ${fl.baseBpc.toFixed(3)} → ${fl.finalBpc.toFixed(3)}`,
    table(
      ["round", "proposers", "votes", "outcome", "bits per byte after", "slashed"],
      fl.rounds.map((r) => [
        String(r.round),
        r.proposers.join(" ") || "-",
        r.voters.map((v) => `${v.name}${v.vote === null ? "?" : v.vote === 1 ? "+" : "−"}`).join(" ") || "-",
        `${r.status}${r.droppedOut.length > 0 ? ` (${r.droppedOut.join(" ")} dropped)` : ""}${r.poisoned.length > 0 ? ` (${r.poisoned.join(" ")} poisoned)` : ""}`,
        r.globalBpc.toFixed(3),
        r.slashes.map((s) => s.name).join(" ") || "-",
      ]),
    ),
    table(
      ["organization", "behaviour", "staked", "slashed", "paid FLOCK"],
      fl.organizations.map((o) => [
        o.name,
        o.behaviour,
        formatFlock(o.staked),
        formatFlock(o.slashed),
        formatFlock(o.reward),
      ]),
    ),
    `Audit of epoch ${fl.epoch} (the FL task's): ${fl.audit.verified ? "verified" : "FAILED"} (${fl.audit.checks.filter((c) => c.ok).length}/${fl.audit.checks.length} checks); FL chapter ${fl.seconds} s`,
  ];
}
