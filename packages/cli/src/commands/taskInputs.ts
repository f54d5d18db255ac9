import { readFileSync } from "node:fs";
import { FlockError, ValidationError } from "@flock/core";
import {
  chatEvaluationBatches,
  countParameters,
  createRng,
  decodeBaseModel,
  initTabularMlp,
  parseShareGpt,
  parseTabularCsv,
  readTabularModel,
  type TabularModelSpec,
  type TabularRows,
  writeTabularModel,
} from "@flock/engine";

/** A file named by an option, or a clear error saying which option and why. */
function readInput(path: string, option: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    throw new ValidationError("TASK_INPUT_UNREADABLE", `${option} ${path} cannot be read`, {
      hint: `check the path given to ${option}`,
      cause,
    });
  }
}

/**
 * The base model file, checked before anything is published: a `flock-llama/1` model whose context fits the
 * task's (trainers would otherwise fail on it after the task is open).
 */
export function readBaseModelFile(path: string, contextLength: number): Uint8Array {
  const bytes = readInput(path, "--base-model");
  let maxPositions: number;
  try {
    maxPositions = decodeBaseModel(bytes).config.max_position_embeddings;
  } catch (cause) {
    throw new ValidationError(
      "TASK_BASE_MODEL_INVALID",
      `--base-model ${path} is not a flock-llama/1 base model`,
      {
        hint: "pass a base model file made by the engine (flock demo keeps one in <home>/models), or its content id",
        cause,
      },
    );
  }
  if (contextLength > maxPositions) {
    throw new ValidationError(
      "TASK_CONTEXT_TOO_LONG",
      `--context-length ${contextLength} exceeds the base model's ${maxPositions} positions`,
      { hint: `give --context-length ${maxPositions} or less`, details: { contextLength, maxPositions } },
    );
  }
  return bytes;
}

/**
 * A ShareGPT JSONL set (training or hidden), checked to parse (every bad line named, as the engine reports
 * it) and to hold at least one conversation. A hidden set must also have scored bytes at the task's context:
 * BPC is measured on assistant replies only (SPEC §2.1), and a set without any would score every submission
 * 0 bits per byte, a perfect score the epoch would pay.
 */
export function readConversationFile(
  path: string,
  option: "--train" | "--validation",
  contextLength?: number,
): Uint8Array {
  const bytes = readInput(path, option);
  const text = new TextDecoder().decode(bytes);
  let count: number;
  try {
    count = parseShareGpt(text).length;
  } catch (cause) {
    if (!(cause instanceof FlockError)) throw cause;
    const problems = (cause.details as { problems?: { line: number; message: string }[] } | undefined)
      ?.problems;
    throw new ValidationError(
      "TASK_DATA_INVALID",
      `${option} ${path} is not ShareGPT JSONL: ${cause.message}`,
      {
        hint: `fix or remove the listed lines of ${path}: ${cause.hint ?? "one JSON conversation per line"}`,
        details: { path, option, ...(problems === undefined ? {} : { problems }) },
        cause,
      },
    );
  }
  if (count === 0) {
    throw new ValidationError("TASK_DATA_EMPTY", `${option} ${path} holds no conversation`, {
      hint: "give at least one conversation per line",
    });
  }
  if (contextLength !== undefined) {
    try {
      chatEvaluationBatches(text, contextLength, contextLength);
    } catch (cause) {
      if (!(cause instanceof FlockError) || cause.code !== "VALIDATION_SET_NOTHING_SCORED") throw cause;
      throw new ValidationError(
        "TASK_VALIDATION_NOTHING_SCORED",
        `${option} ${path} has nothing to score: none of its ${count} conversation(s) has an assistant reply within ${contextLength} tokens`,
        {
          hint: `give hidden conversations with assistant replies (BPC is measured on them), or a larger --context-length`,
          details: { path, conversations: count, contextLength },
          cause,
        },
      );
    }
  }
  return bytes;
}

/** The files of a classifier or regressor task, checked against each other before anything is published. */
export interface TabularTaskFiles {
  /** The `flock-tabular-mlp/1` base model: given, or built fresh from the training CSV's header. */
  baseModel: Uint8Array;
  spec: TabularModelSpec;
  /** Weights of the base model (every one trains: the task's maxTrainableParams). */
  parameters: number;
  trainingSet: Uint8Array;
  validationSet: Uint8Array;
}

export interface TabularTaskOptions {
  type: "classifier" | "regressor";
  /** A base model file; without it `hidden` builds a fresh MLP from the training CSV's header. */
  baseModelPath?: string;
  /** Hidden layer widths of a fresh base model. */
  hidden?: readonly number[];
  /** The label column of a fresh base model (default: the training CSV's last column). */
  label?: string;
  /** A fresh classifier's class count (default: the largest label in both sets, plus one). */
  classes?: number;
  /** Seed of a fresh base model's initial weights. */
  seed: number;
  trainingPath: string;
  validationPath: string;
}

/** A CSV parsed as the task's schema, or a clear error naming the option, file and problem. */
function readCsv(
  bytes: Uint8Array,
  path: string,
  option: string,
  schema: Parameters<typeof parseTabularCsv>[1],
): TabularRows {
  try {
    return parseTabularCsv(new TextDecoder().decode(bytes), schema);
  } catch (cause) {
    if (!(cause instanceof FlockError)) throw cause;
    throw new ValidationError(
      "TASK_DATA_INVALID",
      `${option} ${path} does not fit the task: ${cause.message}`,
      {
        hint: cause.hint ?? "give a CSV with a header row and one row of numbers per example",
        details: { path, option, reason: cause.code, ...(cause.details ?? {}) },
        cause,
      },
    );
  }
}

/**
 * The base model and both CSVs of a classifier or regressor task. A given base model must be a tabular model
 * of the task's type; without one, `hidden` builds a seeded MLP whose features are every column of the
 * training CSV but the label. Both CSVs must have the model's feature and label columns (a classifier's
 * labels below its class count), so trainers and validators never fail on them after the task is open.
 */
export function readTabularTaskFiles(options: TabularTaskOptions): TabularTaskFiles {
  const trainingSet = readInput(options.trainingPath, "--training-set");
  const validationSet = readInput(options.validationPath, "--validation-set");
  let spec: TabularModelSpec;
  let baseModel: Uint8Array;
  if (options.baseModelPath !== undefined) {
    baseModel = readInput(options.baseModelPath, "--base-model");
    try {
      spec = readTabularModel(baseModel).spec;
    } catch (cause) {
      throw new ValidationError(
        "TASK_BASE_MODEL_INVALID",
        `--base-model ${options.baseModelPath} is not a flock-tabular-mlp/1 model`,
        {
          hint: "pass a tabular model file, or leave --base-model out and give --hidden N to build a fresh one",
          cause,
        },
      );
    }
    if (spec.config.kind !== options.type) {
      throw new ValidationError(
        "TASK_BASE_MODEL_INVALID",
        `--base-model ${options.baseModelPath} is a ${spec.config.kind}, the task a ${options.type}`,
        { hint: `pass a ${options.type} base model, or --type ${spec.config.kind}` },
      );
    }
  } else {
    if (options.hidden === undefined || options.hidden.length === 0) {
      throw new ValidationError(
        "TASK_BASE_MODEL_MISSING",
        `a ${options.type} task needs --base-model FILE or --hidden N`,
        { hint: "give --hidden 32 (or 64,32) to build a fresh seeded MLP from the training CSV's header" },
      );
    }
    // The schema from the training CSV's header: every column but the label is a feature.
    const schema = readCsv(trainingSet, options.trainingPath, "--training-set", {
      kind: options.type,
      ...(options.label === undefined ? {} : { label: options.label }),
    });
    let numClasses: number | undefined;
    if (options.type === "classifier") {
      const hidden = readCsv(validationSet, options.validationPath, "--validation-set", {
        kind: "classifier",
        label: schema.label,
        features: schema.features,
      });
      let most = 0;
      for (const labels of [schema.y, hidden.y]) for (const y of labels) most = Math.max(most, y);
      numClasses = options.classes ?? Math.max(2, most + 1);
    }
    spec = {
      config: {
        kind: options.type,
        numFeatures: schema.numFeatures,
        hidden: [...options.hidden],
        ...(numClasses === undefined ? {} : { numClasses }),
      },
      features: schema.features,
      label: schema.label,
    };
    baseModel = writeTabularModel(spec, initTabularMlp(spec.config, createRng(options.seed)));
  }
  const columns = {
    kind: spec.config.kind,
    label: spec.label,
    features: spec.features,
    ...(spec.config.kind === "classifier" ? { numClasses: spec.config.numClasses ?? 2 } : {}),
  };
  readCsv(trainingSet, options.trainingPath, "--training-set", columns);
  readCsv(validationSet, options.validationPath, "--validation-set", columns);
  const parameters = countParameters(readTabularModel(baseModel).params);
  return { baseModel, spec, parameters, trainingSet, validationSet };
}

/** Hidden layer widths from `--hidden` (`32` or `64,32`). */
export function parseHiddenSizes(text: string): number[] {
  const sizes = text.split(",").map((part) => Number(part.trim()));
  if (sizes.length === 0 || !sizes.every((n) => Number.isSafeInteger(n) && n >= 1 && n <= 4096)) {
    throw new ValidationError("TASK_HIDDEN_INVALID", `--hidden ${text} is not a list of layer widths`, {
      hint: "give whole numbers from 1 to 4096 separated by commas, e.g. --hidden 32 or --hidden 64,32",
    });
  }
  return sizes;
}
