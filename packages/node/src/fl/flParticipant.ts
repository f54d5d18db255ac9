import { ConflictError, FlockError, NotFoundError, ValidationError } from "@flock/core";
import {
  type Arrays,
  decodeArrays,
  decodeBody,
  type Evaluation,
  encodeArrays,
  encodeBody,
  flVoteCommitment,
  flVoteOf,
  type Message,
  type Metrics,
  type NodeApp,
  toBase64,
} from "@flock/fl";
import type { FlMessage, FlockClient, FlReplyRequest, FlTask, FlTaskStatus } from "@flock/sdk";
import { coalitionEvaluations, listedModels } from "./flCoalitionVotes.ts";
import type { FlParticipantStateStore } from "./flParticipantStore.ts";
import { flPrivacyApp } from "./flPrivacyApp.ts";

/** What a participant does in a message: trains (proposer), votes (voter) or evaluates. */
export type FlRole = "proposer" | "voter" | "evaluator";

/** One step of the participant, for a progress line. */
export type FlProgress =
  | { type: "joined"; taskId: number; account: string; alreadyJoined: boolean }
  | {
      type: "answered";
      taskId: number;
      messageId: number;
      round: number;
      stage: string;
      kind: FlMessage["kind"];
      role: FlRole;
      /** Local metrics: training loss (proposer), the candidate's and global model's loss (voter), … */
      metrics: Metrics;
      vote?: 1 | -1;
    }
  | {
      type: "failed";
      taskId: number;
      messageId: number;
      round: number;
      stage: string;
      role: FlRole;
      error: { code: string; message: string };
    }
  | { type: "waiting"; taskId: number; taskStatus: FlTaskStatus; currentRound: number }
  | { type: "retrying"; taskId: number; error: { code: string; message: string }; delayMs: number }
  | { type: "stopped"; taskId: number; taskStatus: FlTaskStatus | "aborted" };

export interface RunFlParticipantOptions {
  /** An SDK client with the participant's account (it signs join, messages and replies). */
  client: FlockClient;
  /** The participant's address: its node id in the task. */
  account: string;
  taskId: number;
  /** The participant's training and evaluation on its own data (e.g. `tabularFlApp`). */
  app: NodeApp;
  /** What it remembers across restarts (`FlParticipantStateFile` in Node). */
  state: FlParticipantStateStore;
  onProgress?: (progress: FlProgress) => void;
  /** Stops the participant (between messages; a long poll is ended at once). */
  signal?: AbortSignal;
  /** How long each long poll may wait, ms (default 25,000, the coordinator's maximum). */
  waitMs?: number;
  /** First wait after the coordinator could not be reached; doubles to 30 s (default 1,000 ms). */
  retryDelayMs?: number;
}

export interface FlParticipantResult {
  taskStatus: FlTaskStatus | "aborted";
  /** Messages answered in this run. */
  answered: number;
}

/** Statuses after which a task sends no more messages. */
const ENDED: ReadonlySet<FlTaskStatus> = new Set(["finished", "closed", "cancelled"]);
/** Arrays kept decoded: the global model, a candidate and a spare. */
const ARRAYS_CACHE = 4;
/** Codes of failures worth waiting out: the coordinator is restarting or overloaded. */
const TRANSIENT = new Set(["COORDINATOR_UNREACHABLE", "HTTP_502", "HTTP_503", "HTTP_504", "HTTP_429"]);

const abortedBy = (signal: AbortSignal | undefined) => signal?.aborted === true;

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (abortedBy(signal)) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** 0x + 64 hex digits from the platform's CSPRNG (Web Crypto: Node and browsers alike). */
function randomSalt(): `0x${string}` {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(32));
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function errorOf(error: unknown): { code: string; message: string } {
  if (error instanceof FlockError) return { code: error.code, message: error.message.slice(0, 2000) };
  const message = error instanceof Error ? error.message : String(error);
  return { code: "FL_NODE_FAILED", message: message.slice(0, 2000) };
}

function roleOf(message: FlMessage): FlRole {
  if (message.stage.startsWith("vote-")) return "voter";
  if (message.kind === "evaluate") return "evaluator";
  return "proposer";
}

/** An evaluation's metrics under a prefix: loss → candidateLoss, accuracy → candidateAccuracy. */
function prefixed(prefix: string, evaluation: Evaluation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(evaluation.metrics)) {
    out[`${prefix}${key.charAt(0).toUpperCase()}${key.slice(1)}`] = value;
  }
  return out;
}

function lossOf(evaluation: Evaluation, what: string): number {
  const loss = evaluation.metrics.loss;
  if (typeof loss !== "number") {
    throw new ValidationError("FL_VOTE_NO_LOSS", `the evaluation of the ${what} reports no loss`, {
      hint: "a node app's evaluate must report a `loss` metric for the vote",
    });
  }
  return loss;
}

/**
 * Take part in a federated task (SPEC §2.2) until it ends or `signal` aborts: join (once staked on-chain as
 * trainer), long-poll the participant's messages, fetch their arrays (cached by content id), run the app
 * (wrapped for the task's privacy mode: SecAgg+, and client-side clipping with DP), and reply. The vote
 * stages are answered here: at `vote-commit` the candidate and the current global model are evaluated on the
 * app's test data, the vote (+1 when the candidate's loss is at most the global's) and a fresh salt are
 * stored in the state file before the commitment is sent; `vote-reveal` sends them. Answered message ids
 * and committed votes survive a crash in the state file.
 */
export async function runFlParticipant(options: RunFlParticipantOptions): Promise<FlParticipantResult> {
  const { client, taskId, state, signal } = options;
  const account = options.account.toLowerCase();
  const emit = options.onProgress ?? (() => {});
  const waitMs = options.waitMs ?? 25_000;
  const firstDelay = options.retryDelayMs ?? 1000;
  const cache = new Map<string, Arrays>();
  let answered = 0;

  const task = await client.fl.get(taskId);
  if (ENDED.has(task.status)) {
    emit({ type: "stopped", taskId, taskStatus: task.status });
    return { taskStatus: task.status, answered };
  }
  await join(client, task, account, state, emit);
  const { app, lastTraining } = flPrivacyApp(task.privacy, options.app);

  async function arraysOf(id: string): Promise<Arrays> {
    const cached = cache.get(id);
    if (cached !== undefined) {
      cache.delete(id);
      cache.set(id, cached);
      return cached;
    }
    const { arrays } = decodeArrays(await client.fl.arrays(taskId, id));
    cache.set(id, arrays);
    if (cache.size > ARRAYS_CACHE) cache.delete(cache.keys().next().value!);
    return arrays;
  }

  async function messageFor(
    m: FlMessage,
    kind: Message["kind"],
    arraysId: string | null = m.arrays,
  ): Promise<Message> {
    return {
      nodeId: account,
      kind,
      round: m.round,
      config: m.config,
      ...(arraysId === null ? {} : { arrays: await arraysOf(arraysId) }),
    };
  }

  /** The reply to one message and the metrics to report, or throws what the app threw. */
  async function answer(m: FlMessage): Promise<{ reply: FlReplyRequest; metrics: Metrics; vote?: 1 | -1 }> {
    if (m.kind === "train") {
      const update = await app.train(await messageFor(m, "train"));
      return {
        reply: {
          update: {
            arrays: toBase64(encodeArrays(update.arrays)),
            numExamples: update.numExamples,
            metrics: { ...update.metrics },
          },
        },
        metrics: update.metrics,
      };
    }
    if (m.kind === "evaluate") {
      const evaluation = await app.evaluate(await messageFor(m, "evaluate"));
      return {
        reply: { evaluation: { numExamples: evaluation.numExamples, metrics: { ...evaluation.metrics } } },
        metrics: evaluation.metrics,
      };
    }
    if (m.stage === "vote-commit") return voteCommit(m);
    if (m.stage === "vote-reveal") {
      const stored = await state.vote(m.round);
      if (stored === undefined) {
        throw new ValidationError("FL_VOTE_NOT_COMMITTED", `no vote was committed in round ${m.round}`, {
          hint: "this participant's state file lost the vote it committed; the round counts it as not revealed",
        });
      }
      const asked = m.body?.commitment;
      if (typeof asked === "string" && asked !== stored.commitment) {
        throw new ValidationError(
          "FL_VOTE_NOT_COMMITTED",
          `round ${m.round}'s reveal asks for commitment ${asked}; this participant kept ${stored.commitment}`,
          {
            hint: "the vote committed was lost with an older state file; the round counts it as not revealed",
          },
        );
      }
      const evaluations = stored.evaluations === undefined ? {} : { evaluations: stored.evaluations };
      return {
        reply: { body: { vote: stored.vote, salt: stored.salt, metrics: stored.metrics, ...evaluations } },
        metrics: stored.metrics,
        vote: stored.vote,
      };
    }
    if (app.exchange === undefined) {
      throw new ValidationError(
        "FL_EXCHANGE_UNSUPPORTED",
        `this participant does not answer stage ${m.stage}`,
        {
          hint: "the task's privacy mode needs a protocol this participant was not built for",
        },
      );
    }
    const decoded = decodeBody(m.body ?? {});
    const body = typeof decoded.stage === "string" ? decoded : { ...decoded, stage: m.stage };
    lastTraining.metrics = undefined;
    const result = await app.exchange({ ...(await messageFor(m, "exchange")), body });
    return { reply: { body: encodeBody(result) }, metrics: lastTraining.metrics ?? {} };
  }

  async function voteCommit(
    m: FlMessage,
  ): Promise<{ reply: FlReplyRequest; metrics: Metrics; vote: 1 | -1 }> {
    const baseline = m.config.baseline;
    if (m.arrays === null || typeof baseline !== "string") {
      throw new ValidationError(
        "FL_VOTE_MALFORMED",
        "a vote-commit message needs the candidate's arrays and config.baseline",
        {
          hint: "the coordinator sends the candidate and the global model's content id with every vote",
        },
      );
    }
    let stored = await state.vote(m.round);
    if (stored === undefined || stored.commitMessageId !== m.id) {
      const candidate = await app.evaluate(await messageFor(m, "evaluate"));
      const global = await app.evaluate(await messageFor(m, "evaluate", baseline));
      const candidateLoss = lossOf(candidate, "candidate");
      const globalLoss = lossOf(global, "global model");
      const vote = flVoteOf(candidateLoss, globalLoss);
      // The contribution pay rule: every listed coalition model is evaluated too, and committed with the vote.
      const models = listedModels(m);
      const evaluations =
        models === undefined
          ? undefined
          : await coalitionEvaluations(
              models,
              async (id) => app.evaluate(await messageFor(m, "evaluate", id)),
              { [baseline]: globalLoss },
            );
      const salt = randomSalt();
      stored = {
        commitMessageId: m.id,
        candidate: m.arrays,
        vote,
        salt,
        commitment: flVoteCommitment({
          taskId,
          round: m.round,
          voter: account,
          vote,
          salt,
          ...(evaluations === undefined ? {} : { evaluations }),
        }),
        ...(evaluations === undefined ? {} : { evaluations }),
        metrics: {
          ...prefixed("candidate", candidate),
          ...prefixed("global", global),
          candidateLoss,
          globalLoss,
          numExamples: candidate.numExamples,
        },
        revealed: false,
      };
      // Kept before the commitment leaves: a crash from here on still reveals this very vote.
      await state.storeVote(m.round, stored);
    }
    return { reply: { body: { commitment: stored.commitment } }, metrics: stored.metrics, vote: stored.vote };
  }

  async function handle(m: FlMessage): Promise<void> {
    const role = roleOf(m);
    if (Date.parse(m.deadline) < Date.now()) {
      emit({
        type: "failed",
        taskId,
        messageId: m.id,
        round: m.round,
        stage: m.stage,
        role,
        error: {
          code: "FL_MESSAGE_EXPIRED",
          message: `the deadline ${m.deadline} passed before it was read`,
        },
      });
      await state.markAnswered(m.id, m.round);
      return;
    }
    let outcome: Awaited<ReturnType<typeof answer>> | undefined;
    let failure: { code: string; message: string } | undefined;
    try {
      outcome = await answer(m);
    } catch (error) {
      if (abortedBy(signal)) return;
      if (error instanceof FlockError && TRANSIENT.has(error.code)) throw error;
      failure = errorOf(error);
    }
    const reply: FlReplyRequest = outcome?.reply ?? { error: failure! };
    try {
      await client.fl.reply(taskId, m.id, reply);
    } catch (error) {
      // Already answered (a reply whose response was lost) or the round moved on: nothing to send again.
      if (!(error instanceof ConflictError || error instanceof NotFoundError)) {
        if (error instanceof ValidationError) {
          failure = errorOf(error);
        } else throw error;
      }
    }
    if (m.stage === "vote-reveal" && failure === undefined) await state.markRevealed(m.round);
    await state.markAnswered(m.id, m.round);
    answered++;
    if (failure !== undefined) {
      emit({ type: "failed", taskId, messageId: m.id, round: m.round, stage: m.stage, role, error: failure });
    } else {
      emit({
        type: "answered",
        taskId,
        messageId: m.id,
        round: m.round,
        stage: m.stage,
        kind: m.kind,
        role,
        metrics: outcome!.metrics,
        ...(outcome!.vote === undefined ? {} : { vote: outcome!.vote }),
      });
    }
  }

  let delay = firstDelay;
  while (!abortedBy(signal)) {
    let batch: Awaited<ReturnType<FlockClient["fl"]["messages"]>>;
    try {
      batch = await client.fl.messages(taskId, { waitMs, ...(signal === undefined ? {} : { signal }) });
      const fresh = [];
      for (const m of [...batch.messages].sort((a, b) => a.id - b.id)) {
        if (!(await state.isAnswered(m.id))) fresh.push(m);
      }
      for (const m of fresh) {
        if (abortedBy(signal)) break;
        await handle(m);
      }
      delay = firstDelay;
      if (fresh.length === 0 && ENDED.has(batch.taskStatus)) {
        emit({ type: "stopped", taskId, taskStatus: batch.taskStatus });
        return { taskStatus: batch.taskStatus, answered };
      }
      if (fresh.length === 0) {
        emit({ type: "waiting", taskId, taskStatus: batch.taskStatus, currentRound: batch.currentRound });
        // Only messages this participant already answered: the coordinator has not recorded them yet.
        if (batch.messages.length > 0) await sleep(500, signal);
      }
    } catch (error) {
      if (abortedBy(signal)) break;
      if (!(error instanceof FlockError && TRANSIENT.has(error.code))) throw error;
      emit({ type: "retrying", taskId, error: errorOf(error), delayMs: delay });
      await sleep(delay, signal);
      delay = Math.min(delay * 2, 30_000);
    }
  }
  emit({ type: "stopped", taskId, taskStatus: "aborted" });
  return { taskStatus: "aborted", answered };
}

/** Join the task unless this participant already did (by its state file, or the coordinator's list). */
async function join(
  client: FlockClient,
  task: FlTask,
  account: string,
  state: FlParticipantStateStore,
  emit: (progress: FlProgress) => void,
): Promise<void> {
  if ((await state.load()).joined) return;
  const participants = await client.fl.participants(task.id);
  let alreadyJoined = participants.some((p) => p.account.toLowerCase() === account);
  if (!alreadyJoined) {
    try {
      await client.fl.join(task.id);
    } catch (error) {
      if (!(error instanceof ConflictError) || !/JOINED/.test(error.code)) throw error;
      alreadyJoined = true;
    }
  }
  await state.markJoined();
  emit({ type: "joined", taskId: task.id, account, alreadyJoined });
}
