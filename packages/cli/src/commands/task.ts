import { fundTask, getTaskPool } from "@flock/chain";
import { contentId, formatFlock, parseFlock, ValidationError } from "@flock/core";
import { countParameters, decodeBaseModel, scoreTabularSubmission } from "@flock/engine";
import { createFlockClient, type Task } from "@flock/sdk";
import type { CommandContext } from "../context.ts";
import { baseModelBpc } from "../demo/baseModelBpc.ts";
import { recordCreatedTask } from "../network/createdTasks.ts";
import { readNetworkInfo } from "../network/networkFile.ts";
import { type Participant, participant } from "../network/participant.ts";
import { publishArtifact } from "../network/publishArtifact.ts";
import { table } from "../output.ts";
import {
  parseHiddenSizes,
  readBaseModelFile,
  readConversationFile,
  readTabularTaskFiles,
} from "./taskInputs.ts";
import { parseInteger } from "./wallet.ts";

/** The task types `flock task create` makes (SPEC §2.1). */
export const CREATABLE_TASK_TYPES = ["lm-lora", "lm-full", "classifier", "regressor"] as const;
export type CreatableTaskType = (typeof CREATABLE_TASK_TYPES)[number];

export interface CreateTaskInput {
  title: string;
  description: string;
  /** The task type (default lm-lora). */
  type?: CreatableTaskType;
  /** The base model's bytes, or the content id of one the coordinator already publishes. */
  baseModel: Uint8Array | string;
  trainingSet: Uint8Array;
  validationSet: Uint8Array;
  contextLength: number;
  maxTrainableParams: number;
  submissionDeadline: Date;
  endTime: Date;
  /** The emission weight asked for: paid once an operator approves it (at once when the creator is one). */
  rewardWeight: bigint;
  /** FLOCK the creator funds the task's own reward pool with, from its wallet, before the task opens. */
  pool?: bigint;
  minStake: bigint;
  minLockDays: number;
}

/** A base model named by content id must already be published on the coordinator. */
async function publishedId(api: Participant["api"], id: string): Promise<string> {
  try {
    return (await api.artifacts.info(id)).id;
  } catch (error) {
    if ((error as { code?: string }).code !== "ARTIFACT_NOT_PUBLIC") throw error;
    throw new ValidationError(
      "BASE_MODEL_NOT_PUBLISHED",
      `the coordinator does not publish a base model ${id}`,
      {
        hint: "pass the model's file with --base-model FILE: it is published on the coordinator first",
        details: { id },
        cause: error,
      },
    );
  }
}

/**
 * Fund a task's own reward pool from the participant's wallet (SPEC §3): approve the RewardDistributor for the
 * FLOCK, then RewardDistributor.fundTask. The FLOCK leaves the pool only through the task's epoch.
 */
export async function fundTaskPool(
  me: Participant,
  taskId: number,
  amount: bigint,
  say: (line: string) => void,
): Promise<bigint> {
  const funded = await fundTask(me.chain, { taskId: BigInt(taskId), amount });
  say(
    `${me.name} funded task ${taskId}'s reward pool with ${formatFlock(amount)} FLOCK (it holds ${formatFlock(funded.poolTotal)}; tx ${funded.transactionHash})`,
  );
  return funded.poolTotal;
}

/**
 * Create a task on the home's network: publish the base model and training set on the coordinator, post the
 * task with the sha256 commitment of the hidden set, then upload the hidden set (it must hash to the
 * commitment; it is never published). A task with a pool is funded from the creator's wallet and opened; an
 * operator's task paid from emission opens at once; anyone else's emission task waits as a draft for an
 * operator's approval (SPEC §3). `say` is told each step.
 */
export async function createTask(
  ctx: CommandContext,
  account: string | undefined,
  input: CreateTaskInput,
  say: (line: string) => void = () => {},
): Promise<Task> {
  const me = participant(ctx.home, account);
  const baseModel =
    typeof input.baseModel === "string"
      ? await publishedId(me.api, input.baseModel)
      : await publishArtifact(ctx, me.api, input.baseModel, "base model");
  const trainingSetId = await publishArtifact(ctx, me.api, input.trainingSet, "training set");
  const created = await me.api.tasks.create({
    title: input.title,
    description: input.description,
    type: input.type ?? "lm-lora",
    baseModel,
    contextLength: input.contextLength,
    maxTrainableParams: input.maxTrainableParams,
    trainingSetId,
    validationCommitment: contentId(input.validationSet),
    submissionDeadline: input.submissionDeadline,
    endTime: input.endTime,
    rewardWeight: input.rewardWeight,
    ...(input.pool === undefined ? {} : { pool: input.pool }),
    minStake: input.minStake,
    minLockDays: input.minLockDays,
  });
  say(`created task ${created.id} (${created.status})`);
  await me.api.tasks.uploadValidationSet(created.id, input.validationSet);
  if (created.status !== "draft") return created;
  const pool = input.pool ?? 0n;
  if (pool === 0n) {
    say(
      `task ${created.id} waits for an operator to approve its emission weight (\`flock task approve ${created.id} --weight ${input.rewardWeight}\`), then \`flock task open ${created.id}\``,
    );
    return created;
  }
  const held = await getTaskPool(me.chain, { taskId: BigInt(created.id) });
  if (held < pool) await fundTaskPool(me, created.id, pool - held, say);
  const opened = await me.api.tasks.open(created.id);
  say(`opened task ${opened.id}: registered on-chain, staking until ${opened.submissionDeadline}`);
  return opened;
}

/** What `flock task create` is given on its command line. */
export interface TaskCreateOptions {
  account?: string;
  title: string;
  description: string;
  type: string;
  baseModel?: string;
  train?: string;
  trainingSet?: string;
  validation?: string;
  validationSet?: string;
  hidden?: string;
  label?: string;
  classes?: string;
  seed: string;
  contextLength: string;
  maxParams: string;
  deadline: string;
  duration: string;
  weight?: string;
  pool?: string;
  minStake: string;
  minLockDays: string;
}

/** The task's files and type-specific terms, every input checked before anything is published or posted. */
async function taskFiles(
  ctx: CommandContext,
  options: TaskCreateOptions,
  type: CreatableTaskType,
): Promise<
  Pick<
    CreateTaskInput,
    "baseModel" | "trainingSet" | "validationSet" | "contextLength" | "maxTrainableParams"
  > & {
    /** The base model's score on the hidden set, with its unit: the score submissions must beat. */
    baseScore: () => Promise<{ value: number; text: string }>;
  }
> {
  const train = options.trainingSet ?? options.train;
  const validation = options.validationSet ?? options.validation;
  if (train === undefined || validation === undefined) {
    throw new ValidationError(
      "TASK_INPUT_MISSING",
      "a task needs a training set and a hidden validation set",
      {
        hint: "give --training-set FILE and --validation-set FILE (--train and --validation do the same)",
      },
    );
  }
  if (type === "lm-lora" || type === "lm-full") {
    if (options.baseModel === undefined) {
      throw new ValidationError("TASK_BASE_MODEL_MISSING", `an ${type} task needs --base-model`, {
        hint: "give a flock-llama/1 base model file, or the content id of one the coordinator publishes",
      });
    }
    const contextLength = parseInteger(options.contextLength, "--context-length");
    const baseModel = /^sha256:[0-9a-f]{64}$/.test(options.baseModel)
      ? options.baseModel
      : readBaseModelFile(options.baseModel, contextLength);
    const validationSet = readConversationFile(validation, "--validation", contextLength);
    const baseBytes = async () =>
      typeof baseModel === "string"
        ? await participant(ctx.home, options.account).api.artifacts.download(baseModel)
        : baseModel;
    return {
      baseModel,
      trainingSet: readConversationFile(train, "--train"),
      validationSet,
      contextLength,
      // A full fine-tune trains every weight of the base model: its parameter count is the task's limit.
      maxTrainableParams:
        type === "lm-full"
          ? countParameters(decodeBaseModel(await baseBytes()).params)
          : parseInteger(options.maxParams, "--max-params"),
      baseScore: async () => {
        const bytes = await baseBytes();
        const bpc = await baseModelBpc(bytes, new TextDecoder().decode(validationSet), contextLength);
        return { value: bpc, text: `${bpc.toFixed(4)} BPC` };
      },
    };
  }
  const files = readTabularTaskFiles({
    type,
    ...(options.baseModel === undefined ? {} : { baseModelPath: options.baseModel }),
    ...(options.hidden === undefined ? {} : { hidden: parseHiddenSizes(options.hidden) }),
    ...(options.label === undefined ? {} : { label: options.label }),
    ...(options.classes === undefined ? {} : { classes: parseInteger(options.classes, "--classes") }),
    seed: parseInteger(options.seed, "--seed"),
    trainingPath: train,
    validationPath: validation,
  });
  if (options.baseModel === undefined) {
    const c = files.spec.config;
    const layers = [c.numFeatures, ...c.hidden, c.kind === "classifier" ? (c.numClasses ?? 2) : 1];
    ctx.output.note(
      `built a fresh ${type} MLP ${layers.join("-")} (${files.parameters} parameters, seed ${options.seed}) for the columns ${files.spec.features.join(", ")} → ${files.spec.label}`,
    );
  }
  return {
    baseModel: files.baseModel,
    trainingSet: files.trainingSet,
    validationSet: files.validationSet,
    // A tabular task has no context; its submissions are MLPs of the base model's shape, every weight trained.
    contextLength: 1,
    maxTrainableParams: files.parameters,
    baseScore: async () => {
      const score = await scoreTabularSubmission({
        taskType: type,
        baseModel: files.baseModel,
        artifact: files.baseModel,
        validationData: new TextDecoder().decode(files.validationSet),
        maxArtifactBytes: files.baseModel.length,
      });
      const accuracy = score.kind === "scored" && score.accuracy !== undefined;
      return {
        value: score.metric,
        text: `${score.metricName} ${score.metric.toFixed(4)}${accuracy ? ` (accuracy ${score.accuracy!.toFixed(4)})` : ""}`,
      };
    },
  };
}

/** `flock task create`: files on disk → a task. */
export async function runTaskCreate(ctx: CommandContext, options: TaskCreateOptions) {
  const type = options.type as CreatableTaskType;
  if (!(CREATABLE_TASK_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError(
      "TASK_TYPE_UNSUPPORTED",
      `--type ${options.type} is not a task type the network runs`,
      {
        hint: `give --type ${CREATABLE_TASK_TYPES.join(", ")}`,
        details: { type: options.type, supported: [...CREATABLE_TASK_TYPES] },
      },
    );
  }
  const now = Date.now();
  const deadlineMinutes = parseInteger(options.deadline, "--deadline");
  // Every input is checked before anything is published or posted.
  const files = await taskFiles(ctx, options, type);
  const pool = options.pool === undefined ? 0n : parseFlock(options.pool);
  // A task with a pool asks for no emission unless told; one without asks for weight 1 (an operator approves).
  const weight = options.weight ?? (pool > 0n ? "0" : "1");
  const task = await createTask(
    ctx,
    options.account,
    {
      title: options.title,
      description: options.description,
      type,
      baseModel: files.baseModel,
      trainingSet: files.trainingSet,
      validationSet: files.validationSet,
      contextLength: files.contextLength,
      maxTrainableParams: files.maxTrainableParams,
      submissionDeadline: new Date(now + deadlineMinutes * 60_000),
      endTime: new Date(now + (deadlineMinutes + parseInteger(options.duration, "--duration")) * 60_000),
      rewardWeight: BigInt(parseInteger(weight, "--weight")), // a whole number ≤ 1,000,000 (protocol MAX_TASK_WEIGHT)
      ...(pool > 0n ? { pool } : {}),
      minStake: parseFlock(options.minStake),
      minLockDays: parseInteger(options.minLockDays, "--min-lock-days"),
    },
    (line) => ctx.output.note(line),
  );
  // The score submissions must beat, computed here because only the creator holds the hidden set.
  const base = await files.baseScore();
  recordCreatedTask(ctx.home, {
    taskId: task.id,
    validationCommitment: task.validationCommitment,
    baseBpc: base.value,
  });
  ctx.output.result({ ...task, baseBpc: base.value }, () => [
    `task ${task.id} "${task.title}" is ${task.status}, deadline ${task.submissionDeadline}`,
    ...(task.status === "draft" ? (task.next ?? []).map((step) => `next: ${step}`) : []),
    `base model on the hidden set: ${base.text} (the score submissions must beat; \`flock task leaderboard ${task.id}\`)`,
  ]);
}

type FlockTasks = ReturnType<typeof createFlockClient>["tasks"];

/** The statuses a task goes through (SPEC §2.1). */
const TASK_STATUSES = ["draft", "open", "validating", "finalized", "closed"] as const;

/** An unsigned client for public reads of the home's network. */
export function publicClient(ctx: CommandContext) {
  return createFlockClient({ baseUrl: readNetworkInfo(ctx.home).apiUrl });
}

/** `flock task list`. */
export async function runTaskList(ctx: CommandContext, options: { status?: string }) {
  if (options.status !== undefined && !(TASK_STATUSES as readonly string[]).includes(options.status)) {
    throw new ValidationError("TASK_STATUS_UNKNOWN", `"${options.status}" is not a task status`, {
      hint: `pass --status with one of ${TASK_STATUSES.join(", ")}`,
    });
  }
  const page = await publicClient(ctx).tasks.list(
    options.status === undefined
      ? {}
      : { status: options.status as NonNullable<Parameters<FlockTasks["list"]>[0]>["status"] },
  );
  ctx.output.result(page.items, () =>
    page.items.length === 0
      ? "no tasks"
      : table(
          ["id", "status", "title", "deadline", "min stake"],
          page.items.map((t) => [
            String(t.id),
            t.status,
            t.title,
            t.submissionDeadline,
            formatFlock(t.minStake),
          ]),
        ),
  );
}

/** `flock task show <id>`: the task and its submissions. */
export async function runTaskShow(ctx: CommandContext, idText: string) {
  const id = parseInteger(idText, "task");
  const client = publicClient(ctx);
  const task = await client.tasks.get(id);
  const submissions = { items: await client.submissions.list(id) };
  ctx.output.result({ task, submissions: submissions.items }, () => [
    `task ${task.id}: ${task.title} (${task.status})`,
    `type         ${task.type}`,
    `base model   ${task.baseModel}`,
    `training set ${task.trainingSetId}`,
    `hidden set   ${task.validationCommitment} (commitment)`,
    `deadline     ${task.submissionDeadline}, ends ${task.endTime}`,
    "",
    submissions.items.length === 0
      ? "no submissions"
      : table(
          ["submission", "trainer", "status", "commit"],
          submissions.items.map((s) => [String(s.id), s.trainer, s.status, s.commitHash.slice(0, 20)]),
        ),
  ]);
}

/** `flock task fund <id> [--amount FLOCK]`: fund a task's reward pool from the wallet (by default what it misses). */
export async function runTaskFund(
  ctx: CommandContext,
  idText: string,
  options: { amount?: string; account?: string },
) {
  const id = parseInteger(idText, "task");
  const me = participant(ctx.home, options.account);
  const task = await me.api.tasks.get(id);
  const held = await getTaskPool(me.chain, { taskId: BigInt(id) });
  const missing = (task.pool ?? 0n) > held ? (task.pool ?? 0n) - held : 0n;
  const amount = options.amount === undefined ? missing : parseFlock(options.amount);
  if (amount === 0n) {
    throw new ValidationError(
      "TASK_POOL_FUNDED",
      `task ${id}'s pool already holds its ${formatFlock(held)} FLOCK`,
      {
        hint: `open it with \`flock task open ${id}\`, or add more with --amount <FLOCK>`,
        details: { taskId: id, held: held.toString() },
      },
    );
  }
  const poolTotal = await fundTaskPool(me, id, amount, (line) => ctx.output.note(line));
  ctx.output.result({ taskId: id, funded: amount, poolTotal }, () =>
    poolTotal >= (task.pool ?? 0n) && task.status === "draft"
      ? `task ${id}'s pool is funded: open it with \`flock task open ${id}\``
      : `task ${id}'s pool holds ${formatFlock(poolTotal)} FLOCK`,
  );
}

/** `flock task open <id>`: the creator opens a draft once its pool is funded (or its weight approved). */
export async function runTaskOpen(ctx: CommandContext, idText: string, options: { account?: string }) {
  const id = parseInteger(idText, "task");
  const task = await participant(ctx.home, options.account).api.tasks.open(id);
  ctx.output.result(
    task,
    () => `task ${task.id} is ${task.status}: registered on-chain, staking until ${task.submissionDeadline}`,
  );
}

/** `flock task approve <id> --weight N`: an operator approves a task's share of the emission (SPEC §3). */
export async function runTaskApprove(
  ctx: CommandContext,
  idText: string,
  options: { weight: string; account?: string },
) {
  const id = parseInteger(idText, "task");
  const weight = BigInt(parseInteger(options.weight, "--weight"));
  const task = await participant(ctx.home, options.account).api.tasks.approve(id, weight);
  ctx.output.result(task, () =>
    task.status === "draft"
      ? `approved emission weight ${weight} for task ${id} (asked ${task.rewardWeight}); its creator opens it with \`flock task open ${id}\``
      : `approved emission weight ${weight} for task ${id} (asked ${task.rewardWeight}, ${task.status})`,
  );
}
