import { isFlockError, ValidationError, type wire } from "@flock/core";
import {
  countParameters,
  decodeBaseModel,
  fullSubmissionByteLimit,
  parseTabularCsv,
  readTabularModel,
  type TabularModelSpec,
  tabularSubmissionByteLimit,
} from "@flock/engine";
import type { Task } from "@flock/store";
import type { AppContext } from "../deps.ts";

/**
 * The Arena task types this network's nodes train and score (SPEC §2.1): LoRA and full fine-tunes of a
 * language model in bits per byte, MLP classifiers by log-loss (accuracy as evidence) and MLP regressors by
 * RMSE. A type outside this list (a wire type no node runs) is refused at creation.
 */
export const SUPPORTED_TASK_TYPES = ["lm-lora", "lm-full", "classifier", "regressor"] as const;
export type SupportedTaskType = (typeof SUPPORTED_TASK_TYPES)[number];

/** Classifier and regressor tasks: a tabular MLP base model, CSV training and hidden sets. */
export function isTabularTaskType(type: string): type is "classifier" | "regressor" {
  return type === "classifier" || type === "regressor";
}

/** Refuse a type the nodes cannot run: a client's request the network cannot serve, naming what it can. */
export function requireSupportedType(type: wire.TaskType): void {
  if ((SUPPORTED_TASK_TYPES as readonly string[]).includes(type)) return;
  throw new ValidationError(
    "TASK_TYPE_UNSUPPORTED",
    `training and scoring ${type} tasks is not implemented on this network`,
    {
      hint: `create a task of type ${SUPPORTED_TASK_TYPES.join(", ")}: lm-lora or lm-full (LoRA or full fine-tuning of a language model, scored in bits per byte), classifier (log-loss) or regressor (RMSE)`,
      details: { type, supported: [...SUPPORTED_TASK_TYPES] },
    },
  );
}

/** A tabular base model read from the artifact store, or a clear 400 naming what is wrong with it. */
async function readTabularBase(
  ctx: AppContext,
  body: wire.CreateTaskRequest,
): Promise<{ spec: TabularModelSpec; parameters: number }> {
  const bytes = await ctx.artifacts.read(body.baseModel);
  let spec: TabularModelSpec;
  let parameters: number;
  try {
    const model = readTabularModel(bytes);
    spec = model.spec;
    parameters = countParameters(model.params);
  } catch (cause) {
    if (!isFlockError(cause)) throw cause;
    throw new ValidationError(
      "TASK_BASE_MODEL_INVALID",
      `the base model ${body.baseModel} of a ${body.type} task is not a tabular model file: ${cause.message}`,
      {
        hint: "publish a flock-tabular-mlp/1 file as the base model (flock task create --type classifier|regressor --hidden N writes one)",
        details: { baseModel: body.baseModel, type: body.type, reason: cause.code },
        cause,
      },
    );
  }
  if (spec.config.kind !== body.type) {
    throw new ValidationError(
      "TASK_BASE_MODEL_INVALID",
      `the base model ${body.baseModel} is a ${spec.config.kind}, the task is a ${body.type}`,
      {
        hint: `publish a ${body.type} MLP as the base model of a ${body.type} task`,
        details: { baseModel: body.baseModel, type: body.type, modelKind: spec.config.kind },
      },
    );
  }
  return { spec, parameters };
}

/**
 * A full fine-tune's base model: a `flock-llama/1` decoder whose context holds the task's, every weight of
 * which trains (so `maxTrainableParams` must allow them all).
 */
async function checkFullFineTune(ctx: AppContext, body: wire.CreateTaskRequest): Promise<void> {
  let base: ReturnType<typeof decodeBaseModel>;
  try {
    base = decodeBaseModel(await ctx.artifacts.read(body.baseModel));
  } catch (cause) {
    throw new ValidationError(
      "TASK_BASE_MODEL_INVALID",
      `the base model ${body.baseModel} of an lm-full task is not a flock-llama/1 model`,
      {
        hint: "publish a flock-llama/1 base model file (flock demo keeps one in <home>/models)",
        details: { baseModel: body.baseModel, type: body.type },
        cause,
      },
    );
  }
  const positions = base.config.max_position_embeddings;
  if (body.contextLength > positions) {
    throw new ValidationError(
      "TASK_CONTEXT_TOO_LONG",
      `contextLength ${body.contextLength} exceeds the base model's ${positions} positions`,
      {
        hint: `give a contextLength of ${positions} or less`,
        details: { contextLength: body.contextLength, maxPositions: positions },
      },
    );
  }
  const parameters = countParameters(base.params);
  if (body.maxTrainableParams < parameters) {
    throw new ValidationError(
      "TASK_MAX_PARAMS_TOO_LOW",
      `the base model has ${parameters} parameters, all trained by a full fine-tune, above maxTrainableParams ${body.maxTrainableParams}`,
      {
        hint: `give maxTrainableParams of at least ${parameters}, or create an lm-lora task`,
        details: { parameters, maxTrainableParams: body.maxTrainableParams },
      },
    );
  }
}

/**
 * The per-type checks of a task at creation, after its artifacts are known to be published. A tabular task's
 * base model must be a tabular model of the task's kind; every one of its weights is trained, so
 * `maxTrainableParams` must allow them all; and the public training set must be a CSV with the base model's
 * feature and label columns (class indices below its class count). `contextLength` means nothing to a
 * tabular task: it is stored as sent (any value ≥ 1) and ignored by trainers and validators. An `lm-full`
 * task's base model must be a decoder (`checkFullFineTune`); an `lm-lora` task's is not read here.
 */
export async function checkTaskInputs(ctx: AppContext, body: wire.CreateTaskRequest): Promise<void> {
  requireSupportedType(body.type);
  if (body.type === "lm-full") return checkFullFineTune(ctx, body);
  if (!isTabularTaskType(body.type)) return;
  const { spec, parameters } = await readTabularBase(ctx, body);
  if (body.maxTrainableParams < parameters) {
    throw new ValidationError(
      "TASK_MAX_PARAMS_TOO_LOW",
      `the base model has ${parameters} parameters, all trained, above maxTrainableParams ${body.maxTrainableParams}`,
      {
        hint: `give maxTrainableParams of at least ${parameters}, or a smaller base model`,
        details: { parameters, maxTrainableParams: body.maxTrainableParams },
      },
    );
  }
  const training = new TextDecoder().decode(await ctx.artifacts.read(body.trainingSetId));
  try {
    parseTabularCsv(training, {
      kind: spec.config.kind,
      label: spec.label,
      features: spec.features,
      ...(spec.config.kind === "classifier" ? { numClasses: spec.config.numClasses ?? 2 } : {}),
    });
  } catch (cause) {
    if (!isFlockError(cause)) throw cause;
    throw new ValidationError(
      "TASK_DATA_INVALID",
      `the training set ${body.trainingSetId} does not fit the base model's columns: ${cause.message}`,
      {
        hint: `publish a CSV with a header naming ${[...spec.features, spec.label].join(", ")} and one row of numbers per example`,
        details: { trainingSetId: body.trainingSetId, reason: cause.code, ...(cause.details ?? {}) },
        cause,
      },
    );
  }
}

/** Task types whose submissions are whole models of the base model's shape, with a limit of their own. */
function hasModelSizedSubmissions(type: string): boolean {
  return type === "lm-full" || isTabularTaskType(type);
}

/**
 * The largest submission artifact a task takes: the network's limit, and for a tabular or full fine-tune
 * task the limit derived from its base model (engine's `tabularSubmissionByteLimit` /
 * `fullSubmissionByteLimit`: its weights, twice its header, 4 KiB).
 */
export async function submissionByteLimit(
  ctx: AppContext,
  task: Pick<Task, "type" | "baseModel">,
): Promise<number> {
  if (!hasModelSizedSubmissions(task.type)) return ctx.config.maxArtifactBytes;
  const base = await ctx.artifacts.read(task.baseModel);
  const own = task.type === "lm-full" ? fullSubmissionByteLimit(base) : tabularSubmissionByteLimit(base);
  return Math.min(ctx.config.maxArtifactBytes, own);
}

/**
 * Store a submission's artifact under its task's limit. A tabular or full fine-tune artifact over its task's
 * limit is refused with 413 SUBMISSION_TOO_LARGE naming the limit and why (one model of the base model's
 * shape); any other artifact over the network's limit with the artifact store's ARTIFACT_TOO_LARGE.
 */
export async function putSubmissionArtifact(
  ctx: AppContext,
  task: Pick<Task, "id" | "type" | "baseModel">,
  bytes: Parameters<AppContext["artifacts"]["put"]>[0],
  expectedId: string,
): Promise<Awaited<ReturnType<AppContext["artifacts"]["put"]>>> {
  const maxBytes = await submissionByteLimit(ctx, task);
  try {
    return await ctx.artifacts.put(bytes, { maxBytes, expectedId });
  } catch (error) {
    if (
      isFlockError(error) &&
      error.code === "ARTIFACT_TOO_LARGE" &&
      hasModelSizedSubmissions(task.type) &&
      maxBytes < ctx.config.maxArtifactBytes
    ) {
      throw new ValidationError(
        "SUBMISSION_TOO_LARGE",
        `a ${task.type} submission to task ${task.id} is at most ${maxBytes} bytes`,
        {
          hint:
            task.type === "lm-full"
              ? "submit one flock-llama/1 file of the base model's config: its size is fixed by the base model"
              : "submit one tabular model file (flock-tabular-mlp/1) of the base model's config and columns: its size is fixed by the base model",
          details: { taskId: task.id, type: task.type, maxBytes },
          cause: error,
        },
      );
    }
    throw error;
  }
}
