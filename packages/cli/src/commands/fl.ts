import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { approve, getLock, getStake, getTaskPool, lockFlock, readEvents, stake } from "@flock/chain";
import { FlockError, formatFlock, NotFoundError, parseFlock, ValidationError } from "@flock/core";
import {
  decodeBaseModel,
  formatShareGpt,
  formatTabularCsv,
  generateInstructionDataset,
  mixSeed,
  readTabularModel,
} from "@flock/engine";
import {
  FlParticipantStateFile,
  type FlProgress,
  flShards,
  type LoraFlApp,
  loraFlApp,
  runFlParticipant,
  type TabularFlApp,
  tabularFlApp,
} from "@flock/node";
import type { FlRound, FlTask } from "@flock/sdk";
import type { Address } from "viem";
import type { CommandContext } from "../context.ts";
import { readNetworkInfo } from "../network/networkFile.ts";
import { type Participant, participant } from "../network/participant.ts";
import { publishArtifact } from "../network/publishArtifact.ts";
import { table } from "../output.ts";
import { type FlCreateOptions, planFlCreate, planFlShards, wholeOption } from "./flOptions.ts";
import { fundTaskPool, publicClient } from "./task.ts";

/** `flock fl create`: a federated task from flags, its base model built from a CSV's header or given. */
export async function runFlCreate(ctx: CommandContext, options: FlCreateOptions) {
  // Every option is checked and the base model built before anything is published or posted.
  const plan = planFlCreate(options, Date.now());
  const me = participant(ctx.home, options.account);
  const baseModel =
    typeof plan.baseModel === "string"
      ? (await me.api.artifacts.info(plan.baseModel)).id
      : await publishArtifact(ctx, me.api, plan.baseModel, "base model");
  let task = await me.api.fl.create({ ...plan.task, baseModel });
  ctx.output.note(`created federated task ${task.id} (${task.status})`);
  const pool = plan.task.pool ?? 0n;
  if (task.status === "draft" && pool > 0n) {
    const held = await getTaskPool(me.chain, { taskId: BigInt(task.id) });
    if (held < pool) await fundTaskPool(me, task.id, pool - held, (line) => ctx.output.note(line));
    task = await me.api.fl.open(task.id);
  }
  ctx.output.result({ ...task, ...(plan.spec === undefined ? {} : { spec: plan.spec }) }, () => [
    `federated task ${task.id} "${task.title}" is ${task.status}: ${task.rounds} round(s) of ${task.roundSeconds} s, ${task.modelType}, ${task.strategy.name}, privacy ${task.privacy.mode}`,
    ...(plan.spec === undefined
      ? []
      : [
          `model: ${plan.spec.features.length} features → ${[...plan.spec.config.hidden, plan.spec.config.kind === "classifier" ? `${plan.spec.config.numClasses} classes` : "1 output"].join(" → ")} (label ${plan.spec.label})`,
        ]),
    ...(plan.languageModel === undefined
      ? []
      : [
          `model: LoRA adapter on a ${plan.languageModel.num_hidden_layers}-layer decoder (hidden ${plan.languageModel.hidden_size}); the first global model is ${task.globalModel}`,
        ]),
    task.modelType === "lm-lora"
      ? `participants join until ${task.joinDeadline}: \`flock fl join ${task.id} --train FILE.jsonl --test FILE.jsonl\` (ShareGPT JSONL)`
      : `participants join until ${task.joinDeadline}: \`flock fl join ${task.id} --train FILE.csv --test FILE.csv\``,
    ...(task.status === "draft" ? (task.next ?? []).map((step) => `next: ${step}`) : []),
  ]);
}

/** `flock fl list`. */
export async function runFlList(ctx: CommandContext) {
  const tasks = await publicClient(ctx).fl.list();
  ctx.output.result(tasks, () =>
    tasks.length === 0
      ? "no federated tasks"
      : table(
          ["id", "status", "type", "round", "participants", "privacy", "title", "join until"],
          tasks.map((t) => [
            String(t.id),
            t.status,
            t.modelType,
            `${t.acceptedRounds}/${t.rounds}`,
            `${t.participants}/${t.maxParticipants}`,
            t.privacy.mode,
            t.title,
            t.joinDeadline,
          ]),
        ),
  );
}

/** `flock fl show <task>`: the task and its participants. */
export async function runFlShow(ctx: CommandContext, idText: string) {
  const id = wholeOption(idText, "task", 0, Number.MAX_SAFE_INTEGER);
  const client = publicClient(ctx);
  const task = await client.fl.get(id);
  const participants = await client.fl.participants(id);
  ctx.output.result({ task, participants }, () => [
    `federated task ${task.id}: ${task.title} (${task.status})`,
    `model        ${task.modelType}, base ${task.baseModel}`,
    `global model ${task.globalModel}`,
    `rounds       ${task.acceptedRounds} accepted of ${task.rounds}, playing round ${task.currentRound}, ${task.roundSeconds} s each`,
    `strategy     ${task.strategy.name}${task.strategy.params === undefined ? "" : ` ${JSON.stringify(task.strategy.params)}`}; privacy ${task.privacy.mode}; pay by ${task.payRule}`,
    `pool         ${formatFlock(task.remainingPool)} of ${formatFlock(task.pool)} FLOCK left; min stake ${formatFlock(task.minStake)} gmFLOCK`,
    `join until   ${task.joinDeadline} (${task.minParticipants}–${task.maxParticipants} participants)`,
    `train config ${JSON.stringify(task.trainConfig)}`,
    "",
    participants.length === 0
      ? "no participants yet"
      : table(
          ["participant", "stake", "joined", "missed"],
          participants.map((p) => [p.account, formatFlock(p.stake), p.joinedAt, String(p.missed)]),
        ),
  ]);
}

const short = (account: string) => `${account.slice(0, 6)}…${account.slice(-4)}`;

/** A proposer in `flock fl rounds`; under the contribution pay rule with its value (φ, in units of loss). */
function proposerCell(r: FlRound, account: string): string {
  const value = r.contributions?.find((c) => c.account === account)?.valueWad;
  return value === undefined ? short(account) : `${short(account)} φ ${formatFlock(BigInt(value))}`;
}

/** One line of `flock fl rounds`. */
export function roundRow(r: FlRound): string[] {
  const revealed = r.voters.filter((v) => v.vote !== null);
  const paid = r.rewards.reduce((sum, a) => sum + a.amount, 0n);
  const slashed = r.slashes.reduce((sum, a) => sum + a.amount, 0n);
  return [
    String(r.round),
    r.status,
    r.proposers.map((p) => proposerCell(r, p.account)).join(" ") || "-",
    `${revealed.length}/${r.voters.length}${revealed.length === 0 ? "" : ` (${revealed.filter((v) => v.vote === 1).length}+ ${revealed.filter((v) => v.vote === -1).length}−)`}`,
    r.tally === null ? "-" : formatFlock(r.tally),
    r.status === "accepted" ? "yes" : r.status === "rejected" ? "no" : "-",
    `${formatFlock(paid)}${slashed > 0n ? ` (slashed ${formatFlock(slashed)})` : ""}`,
  ];
}

/** `flock fl rounds <task>`: round, status, proposers, voters, tally, accepted, rewards. */
export async function runFlRounds(ctx: CommandContext, idText: string) {
  const id = wholeOption(idText, "task", 0, Number.MAX_SAFE_INTEGER);
  const rounds = await publicClient(ctx).fl.rounds(id);
  ctx.output.result(rounds, () =>
    rounds.length === 0
      ? `task ${id} has played no round yet`
      : table(
          ["round", "status", "proposers", "votes", "tally", "accepted", "rewards"],
          rounds.map(roundRow),
        ),
  );
}

/** A progress line for one step of the participant. */
export function flProgressLine(p: FlProgress): string | undefined {
  const fixed = (n: number | undefined) => (n === undefined ? "?" : n.toFixed(4));
  switch (p.type) {
    case "joined":
      return p.alreadyJoined
        ? `task ${p.taskId}: already a participant as ${p.account}`
        : `task ${p.taskId}: joined as ${p.account}`;
    case "answered": {
      const m = p.metrics;
      const head = `round ${p.round} · ${p.role} · ${p.stage}`;
      if (p.stage === "vote-commit") {
        const accuracy =
          m.candidateAccuracy === undefined
            ? ""
            : `, accuracy ${fixed(m.candidateAccuracy)} vs ${fixed(m.globalAccuracy)}`;
        return `${head}: candidate loss ${fixed(m.candidateLoss)} vs global ${fixed(m.globalLoss)}${accuracy} → vote ${p.vote === 1 ? "+1" : "−1"} (committed)`;
      }
      if (p.stage === "vote-reveal") return `${head}: revealed ${p.vote === 1 ? "+1" : "−1"}`;
      if (m["train-loss"] !== undefined) {
        const first =
          m["train-loss-first-step"] !== undefined
            ? `first step ${fixed(m["train-loss-first-step"])}, ${m.steps} steps`
            : `first epoch ${fixed(m["train-loss-first-epoch"])}`;
        return `${head}: local training loss ${fixed(m["train-loss"])} (${first})`;
      }
      if (m.loss !== undefined) {
        return `${head}: local loss ${fixed(m.loss)}${m.accuracy === undefined ? "" : `, accuracy ${fixed(m.accuracy)}`}${m.rmse === undefined ? "" : `, rmse ${fixed(m.rmse)}`}${m.bpc === undefined ? "" : ` (bits per byte)`}`;
      }
      return `${head}: answered`;
    }
    case "failed":
      return `round ${p.round} · ${p.role} · ${p.stage}: ${p.error.code}: ${p.error.message}`;
    case "retrying":
      return `the coordinator did not answer (${p.error.code}); again in ${Math.round(p.delayMs / 1000)} s`;
    case "waiting":
      return undefined;
    case "stopped":
      return p.taskStatus === "aborted"
        ? `task ${p.taskId}: stopped; run the same command again to go on`
        : `task ${p.taskId} is ${p.taskStatus}: nothing more to do`;
    default:
      return p satisfies never;
  }
}

/**
 * The participant's stake on the task as trainer: enough already, or staked now (SPEC §3: gmFLOCK, never as
 * both trainer and validator), from one of its locks that holds enough for long enough, else from a new lock.
 */
async function ensureTrainerStake(
  ctx: CommandContext,
  me: Participant,
  task: FlTask,
  wanted: bigint,
  lockDays: number,
): Promise<bigint> {
  const taskId = BigInt(task.id);
  const current = await getStake(me.chain, { taskId, account: me.address as Address });
  if (current.role === "validator") {
    throw new ValidationError(
      "FL_STAKED_AS_VALIDATOR",
      `${me.name} is staked on task ${task.id} as a validator`,
      {
        hint: "a participant of a federated task stakes as trainer; use another account",
      },
    );
  }
  if (current.amount >= wanted) return current.amount;
  if (current.amount > 0n) {
    throw new ValidationError(
      "FL_STAKE_TOO_LOW",
      `${me.name} has ${formatFlock(current.amount)} gmFLOCK at stake on task ${task.id}; it needs ${formatFlock(wanted)}`,
      {
        hint: `add the rest with \`flock stake ${task.id} <amount> --role trainer --lock <id> --account ${me.name}\` (your locks: \`flock locks --account ${me.name}\`)`,
      },
    );
  }
  if (task.status !== "open") {
    throw new ValidationError("FL_TASK_NOT_OPEN", `task ${task.id} is ${task.status}: joining is closed`, {
      hint: "join an open federated task: `flock fl list`",
      details: { taskId: task.id, status: task.status },
    });
  }
  let lockId: bigint | undefined;
  for await (const event of readEvents(me.chain, { fromBlock: me.deploymentBlock, kinds: ["locked"] })) {
    if (event.kind !== "locked" || event.args.owner.toLowerCase() !== me.address) continue;
    const lock = await getLock(me.chain, { lockId: event.args.lockId });
    // A lock backs stakes up to what it minted, for tasks no longer than it lasts.
    if (!lock.unlocked && lock.gmAmount >= wanted && lock.durationDays >= task.minLockDays)
      lockId = event.args.lockId;
  }
  if (lockId === undefined) {
    const days = Math.max(lockDays, task.minLockDays);
    await approve(me.chain, { token: "FLOCK", spender: "GmFlock", amount: wanted });
    const lock = await lockFlock(me.chain, { amount: wanted, days });
    lockId = lock.lockId;
    ctx.output.note(
      `${me.name} locked ${formatFlock(wanted)} FLOCK for ${days} days: lock #${lockId}, ${formatFlock(lock.gmAmount)} gmFLOCK`,
    );
  }
  await approve(me.chain, { token: "gmFLOCK", spender: "TaskStaking", amount: wanted });
  const staked = await stake(me.chain, { taskId, role: "trainer", amount: wanted, lockId });
  ctx.output.note(
    `${me.name} staked ${formatFlock(wanted)} gmFLOCK on task ${task.id} as trainer (lock #${lockId})`,
  );
  return staked.totalStake;
}

function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    throw new FlockError("FILE_UNREADABLE", `${flag} ${path} cannot be read`, {
      hint: `check the path given to ${flag}`,
      cause,
    });
  }
}

/**
 * `flock fl join <task> --train FILE --test FILE`: stake (and lock) if needed, join, then answer the task's
 * messages with the local data until the task ends or Ctrl-C; the data never leaves this machine. The files
 * are CSV for a classifier or regressor task, ShareGPT JSONL for an lm-lora task (the app follows the task's
 * model type). `--coordinator URL` talks to that coordinator instead of the home's network's.
 */
export async function runFlJoin(
  ctx: CommandContext,
  idText: string,
  options: {
    train: string;
    test: string;
    stake?: string;
    lockDays?: string;
    seed: string;
    account?: string;
    coordinator?: string;
  },
) {
  const id = wholeOption(idText, "task", 0, Number.MAX_SAFE_INTEGER);
  const trainText = readText(options.train, "--train");
  const testText = readText(options.test, "--test");
  const wantedText = options.stake;
  const extra = wantedText === undefined ? undefined : parseFlock(wantedText);
  const lockDays = options.lockDays === undefined ? 0 : wholeOption(options.lockDays, "--lock-days", 0, 365);
  const seed = wholeOption(options.seed, "--seed", 0, 2 ** 31);
  let coordinator: string | undefined;
  if (options.coordinator !== undefined) {
    try {
      coordinator = new URL(options.coordinator).origin;
    } catch {
      throw new ValidationError("FL_OPTION_INVALID", `--coordinator ${options.coordinator} is not a URL`, {
        hint: "pass the coordinator's API URL, e.g. --coordinator http://10.0.0.5:8780",
      });
    }
  }
  const network = readNetworkInfo(ctx.home);
  const me = participant(
    ctx.home,
    options.account,
    coordinator === undefined ? network : { ...network, apiUrl: coordinator },
  );
  const task = await me.api.fl.get(id).catch((error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
    throw new NotFoundError("FL_TASK_NOT_FOUND", `there is no federated task ${id} on this network`, {
      hint: "list them with `flock fl list`",
      cause: error,
    });
  });
  // The files are checked against the task's model before any stake is locked.
  const baseBytes = await me.api.artifacts.download(task.baseModel);
  let app: TabularFlApp | LoraFlApp;
  let holding: string;
  if (task.modelType === "lm-lora") {
    const lora = loraFlApp({
      base: decodeBaseModel(baseBytes),
      trainJsonl: trainText,
      testJsonl: testText,
      trainConfig: task.trainConfig,
      seed,
    });
    holding = `${lora.trainConversations} training and ${lora.testConversations} test conversations`;
    app = lora;
  } else {
    const { spec } = readTabularModel(baseBytes);
    const tabular = tabularFlApp({ trainCsv: trainText, testCsv: testText, spec, seed });
    holding = `${tabular.trainRows} training and ${tabular.testRows} test rows`;
    app = tabular;
  }
  ctx.output.note(
    `${me.name} (${me.address}) takes part in task ${id} "${task.title}" with ${holding}; Ctrl-C to stop`,
  );
  try {
    const wanted = extra === undefined || extra < task.minStake ? task.minStake : extra;
    const stakeHeld = await ensureTrainerStake(ctx, me, task, wanted, lockDays);
    const state = new FlParticipantStateFile(
      join(ctx.home.nodesDir, `fl-${me.address}-task-${id}.json`),
      id,
      me.address,
    );
    const result = await runFlParticipant({
      client: me.api,
      account: me.address,
      taskId: id,
      app,
      state,
      signal: ctx.signal,
      onProgress: (p) => {
        const line = flProgressLine(p);
        if (line !== undefined) ctx.output.note(line);
      },
    });
    ctx.output.result({ taskId: id, account: me.address, stake: stakeHeld, ...result }, () =>
      result.taskStatus === "aborted"
        ? `${me.name} stopped after answering ${result.answered} message(s) of task ${id}`
        : `task ${id} is ${result.taskStatus}: ${me.name} answered ${result.answered} message(s) in this run (\`flock fl rounds ${id}\`)`,
    );
  } finally {
    await app.release();
  }
}

/** `flock fl shards`: each party's private train and test CSVs for a use case, one folder per party. */
export async function runFlShards(
  ctx: CommandContext,
  options: { dataset: string; parts: string; out: string; seed: string },
) {
  const plan = planFlShards(options);
  if (plan.dataset === "instructions")
    return writeInstructionShards(ctx, { ...plan, dataset: "instructions" });
  const shards = flShards({ dataset: plan.dataset, parts: plan.parts, seed: plan.seed });
  const files = shards.parts.map((part, i) => {
    const dir = join(plan.out, `party-${i + 1}`);
    mkdirSync(dir, { recursive: true });
    const train = join(dir, "train.csv");
    const test = join(dir, "test.csv");
    writeFileSync(train, formatTabularCsv(part.train));
    writeFileSync(test, formatTabularCsv(part.test));
    return { party: i + 1, train, test, trainRows: part.train.rows, testRows: part.test.rows };
  });
  const schema = files[0]!.train;
  const create =
    shards.kind === "classifier"
      ? `flock fl create --title "${plan.dataset}" --model-type classifier --schema ${schema} --classes ${shards.numClasses} --hidden 32 --pool 100`
      : `flock fl create --title "${plan.dataset}" --model-type regressor --schema ${schema} --hidden 32 --lr 0.000001 --pool 100`;
  ctx.output.result({ dataset: plan.dataset, kind: shards.kind, label: shards.label, files }, () => [
    table(
      ["party", "train rows", "test rows", "folder"],
      files.map((f) => [
        String(f.party),
        String(f.trainRows),
        String(f.testRows),
        join(plan.out, `party-${f.party}`),
      ]),
    ),
    `${shards.features.length} feature columns, label ${shards.label} (${shards.kind})`,
    `create a task: ${create}`,
    `each party joins: flock fl join <task> --train ${join(plan.out, "party-N", "train.csv")} --test ${join(plan.out, "party-N", "test.csv")} --account <its key>`,
  ]);
}

/** Conversations per party written by `flock fl shards --dataset instructions`: train and test. */
const INSTRUCTION_SHARD_TRAIN = 64;
const INSTRUCTION_SHARD_TEST = 16;

/**
 * `flock fl shards --dataset instructions`: each party's private instruction conversations (the engine's
 * generated instruction tasks, a seed per party) as ShareGPT JSONL, for an lm-lora task.
 */
function writeInstructionShards(
  ctx: CommandContext,
  plan: { dataset: "instructions"; parts: number; out: string; seed: number },
) {
  const files = Array.from({ length: plan.parts }, (_, i) => {
    const dir = join(plan.out, `party-${i + 1}`);
    mkdirSync(dir, { recursive: true });
    const train = join(dir, "train.jsonl");
    const test = join(dir, "test.jsonl");
    const conversations = (seed: number, count: number) =>
      formatShareGpt(generateInstructionDataset({ seed, count }).map((e) => e.conversation));
    writeFileSync(train, conversations(mixSeed(plan.seed, i, 1), INSTRUCTION_SHARD_TRAIN));
    writeFileSync(test, conversations(mixSeed(plan.seed, i, 2), INSTRUCTION_SHARD_TEST));
    return {
      party: i + 1,
      train,
      test,
      trainConversations: INSTRUCTION_SHARD_TRAIN,
      testConversations: INSTRUCTION_SHARD_TEST,
    };
  });
  ctx.output.result({ dataset: plan.dataset, kind: "lm-lora", files }, () => [
    table(
      ["party", "train conversations", "test conversations", "folder"],
      files.map((f) => [
        String(f.party),
        String(f.trainConversations),
        String(f.testConversations),
        join(plan.out, `party-${f.party}`),
      ]),
    ),
    `create a task: flock fl create --title "instructions" --model-type lm-lora --base-model <flock-llama/1 file or id> --privacy secagg --local-steps 8 --pool 100`,
    `each party joins: flock fl join <task> --train ${join(plan.out, "party-N", "train.jsonl")} --test ${join(plan.out, "party-N", "test.jsonl")} --account <its key>`,
  ]);
}
