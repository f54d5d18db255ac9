import { readFileSync } from "node:fs";
import { FlockError, parseFlock, wire } from "@flock/core";
import {
  createRng,
  decodeBaseModel,
  initTabularMlp,
  type LlamaConfig,
  parseTabularCsv,
  readTabularModel,
  type TabularModelSpec,
  writeTabularModel,
} from "@flock/engine";
import { flLoraRecipeOf } from "@flock/fl";
import { FL_SHARD_DATASETS, type FlShardDataset } from "@flock/node";
import type { NewFlTask } from "@flock/sdk";
import { UsageError } from "../usageError.ts";
import { parseStrategies } from "./flSimulateOptions.ts";

/** What `flock fl create` takes on its command line (commander's option names). */
export interface FlCreateOptions {
  account?: string;
  title: string;
  description: string;
  modelType: string;
  baseModel?: string;
  schema?: string;
  label?: string;
  hidden: string;
  classes?: string;
  seed: string;
  rounds: string;
  roundSeconds: string;
  minParticipants: string;
  maxParticipants: string;
  joinMinutes: string;
  weight?: string;
  pool?: string;
  minStake: string;
  minLockDays: string;
  strategy: string;
  privacy: string;
  targetEpsilon?: string;
  delta?: string;
  clipNorm?: string;
  payRule: string;
  proposerFractionBps?: string;
  lr?: string;
  localEpochs?: string;
  batchSize?: string;
  proximalMu?: string;
  /** lm-lora: the LoRA recipe (rank, α, dropout, target modules, steps per round, tokens per row, start adapter). */
  loraRank?: string;
  loraAlpha?: string;
  loraDropout?: string;
  targetModules?: string;
  localSteps?: string;
  seqLen?: string;
  adapter?: string;
}

/** The task to post, and its base model: bytes to publish, or the content id of a published one. */
export interface FlCreatePlan {
  task: Omit<NewFlTask, "baseModel">;
  baseModel: Uint8Array | string;
  /** The tabular model's spec, when the base model is one. */
  spec?: TabularModelSpec;
  /** The language model's config, when an lm-lora task's base model is a file. */
  languageModel?: LlamaConfig;
}

const invalid = (message: string, hint: string) => new UsageError(message, hint, "FL_OPTION_INVALID");

/** A whole number in [min, max] for option `name`. */
export function wholeOption(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(
      `${name} must be a whole number from ${min} to ${max}, got "${text}"`,
      `pass ${name} ${min}`,
    );
  }
  return value;
}

/** A finite number in (min, max] (or [min, max] when `inclusive`) for option `name`. */
export function numberOption(
  text: string,
  name: string,
  min: number,
  max: number,
  inclusive = false,
): number {
  const value = Number(text);
  if (
    text.trim() === "" ||
    !Number.isFinite(value) ||
    value > max ||
    (inclusive ? value < min : value <= min)
  ) {
    throw invalid(
      `${name} must be a number ${inclusive ? "≥" : ">"} ${min} and ≤ ${max}, got "${text}"`,
      `pass ${name} with a value in that range`,
    );
  }
  return value;
}

function oneOf<T extends string>(text: string, name: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw invalid(`${name} "${text}" is not one of ${allowed.join(", ")}`, `pass ${name} ${allowed[0]}`);
  }
  return text as T;
}

/** `--hidden 32,16` → [32, 16]; `--hidden none` → no hidden layer. */
export function parseHiddenWidths(text: string): number[] {
  if (text.trim() === "none" || text.trim() === "") return [];
  return text.split(",").map((w) => wholeOption(w.trim(), "--hidden", 1, 4096));
}

function readFile(path: string, flag: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    throw new FlockError("FILE_UNREADABLE", `${flag} ${path} cannot be read`, {
      hint: `check the path given to ${flag}`,
      cause,
    });
  }
}

/**
 * A tabular base model from a CSV's header (and rows, which must fit): its columns but the label are the
 * features, in order; a classifier's classes are --classes or, without it, the largest label + 1. The MLP is
 * He-initialized from --seed.
 */
export function baseModelFromSchema(
  csvPath: string,
  kind: "classifier" | "regressor",
  options: { label?: string; hidden: number[]; classes?: number; seed: number },
): { bytes: Uint8Array; spec: TabularModelSpec } {
  const text = new TextDecoder().decode(readFile(csvPath, "--schema"));
  const rows = parseTabularCsv(text, {
    kind,
    ...(options.label === undefined ? {} : { label: options.label }),
    ...(options.classes === undefined ? {} : { numClasses: options.classes }),
  });
  let numClasses: number | undefined;
  if (kind === "classifier") {
    numClasses = options.classes ?? Math.max(1, ...Array.from(rows.y, (v) => v + 1));
    if (numClasses < 2) {
      throw invalid(
        `the --schema rows have one class only`,
        "pass --classes N, the number of classes of the task",
      );
    }
  }
  const spec: TabularModelSpec = {
    config: {
      kind,
      numFeatures: rows.numFeatures,
      hidden: options.hidden,
      ...(numClasses === undefined ? {} : { numClasses }),
    },
    features: rows.features,
    label: rows.label,
  };
  return { bytes: writeTabularModel(spec, initTabularMlp(spec.config, createRng(options.seed))), spec };
}

/** Every `flock fl create` option checked, and the base model built or read, before anything is posted. */
export function planFlCreate(options: FlCreateOptions, now: number): FlCreatePlan {
  const modelType = oneOf(options.modelType, "--model-type", wire.FL_MODEL_TYPES);
  const tabular = modelType !== "lm-lora";
  if ((options.baseModel === undefined) === (options.schema === undefined)) {
    throw invalid(
      "give the base model with exactly one of --base-model and --schema",
      tabular
        ? "--schema FILE.csv builds a fresh MLP over the CSV's columns; --base-model FILE|ID uses a model you have"
        : "pass --base-model FILE|ID (a language model's LoRA tasks have no schema)",
    );
  }
  if (options.schema !== undefined && !tabular) {
    throw invalid(
      "--schema builds tabular models only",
      "pass --model-type classifier or regressor, or --base-model",
    );
  }
  if (options.classes !== undefined && modelType !== "classifier") {
    throw invalid("--classes is for classifiers", "leave --classes out for a regressor");
  }
  const hidden = parseHiddenWidths(options.hidden);
  const classes =
    options.classes === undefined ? undefined : wholeOption(options.classes, "--classes", 2, 10_000);
  const seed = wholeOption(options.seed, "--seed", 0, 2 ** 31);

  const rounds = wholeOption(options.rounds, "--rounds", 1, 1000);
  const roundSeconds = wholeOption(options.roundSeconds, "--round-seconds", 5, 7 * 86_400);
  const minParticipants = wholeOption(options.minParticipants, "--min-participants", 2, 10_000);
  const maxParticipants = wholeOption(options.maxParticipants, "--max-participants", 2, 10_000);
  if (maxParticipants < minParticipants) {
    throw invalid(
      `--max-participants ${maxParticipants} is below --min-participants ${minParticipants}`,
      "allow at least as many participants as the task needs",
    );
  }
  const joinMinutes = numberOption(options.joinMinutes, "--join-minutes", 0, 30 * 24 * 60);
  const pool = options.pool === undefined ? 0n : parseFlock(options.pool);
  const weight = options.weight ?? (pool > 0n ? "0" : "1");
  const rewardWeight = BigInt(wholeOption(weight, "--weight", 0, 1_000_000));
  const minStake = parseFlock(options.minStake);
  const minLockDays = wholeOption(options.minLockDays, "--min-lock-days", 0, 365);

  const parsed = (() => {
    try {
      return parseStrategies(options.strategy);
    } catch (error) {
      if (error instanceof UsageError) {
        throw new UsageError(
          error.message.replaceAll("--strategies", "--strategy"),
          error.hint ?? "",
          error.code,
        );
      }
      throw error;
    }
  })();
  if (parsed.length !== 1) {
    throw invalid(`--strategy names ${parsed.length} strategies`, "a task aggregates with one strategy");
  }
  const strategy = {
    name: parsed[0]!.name,
    ...(Object.keys(parsed[0]!.options).length === 0 ? {} : { params: parsed[0]!.options }),
  };

  const mode = oneOf(options.privacy, "--privacy", wire.FL_PRIVACY_MODES);
  if (
    mode !== "secagg+dp" &&
    [options.targetEpsilon, options.delta, options.clipNorm].some((o) => o !== undefined)
  ) {
    throw invalid(
      "--target-epsilon, --delta and --clip-norm are for --privacy secagg+dp",
      "pass --privacy secagg+dp to add differential privacy",
    );
  }
  if (mode === "secagg+dp" && (options.targetEpsilon === undefined || options.clipNorm === undefined)) {
    throw invalid(
      "--privacy secagg+dp needs --target-epsilon and --clip-norm",
      "e.g. --target-epsilon 8 --delta 1e-5 --clip-norm 1",
    );
  }
  const privacy: wire.FlPrivacy = {
    mode,
    ...(options.targetEpsilon === undefined
      ? {}
      : { targetEpsilon: numberOption(options.targetEpsilon, "--target-epsilon", 0, 1000) }),
    ...(options.delta === undefined ? {} : { delta: numberOption(options.delta, "--delta", 0, 0.999_999) }),
    ...(options.clipNorm === undefined
      ? {}
      : { clipNorm: numberOption(options.clipNorm, "--clip-norm", 0, 1e6) }),
  };
  const payRule = oneOf(options.payRule, "--pay-rule", wire.FL_PAY_RULES);

  const loraFlags = {
    "--lora-rank": options.loraRank,
    "--lora-alpha": options.loraAlpha,
    "--lora-dropout": options.loraDropout,
    "--target-modules": options.targetModules,
    "--local-steps": options.localSteps,
    "--seq-len": options.seqLen,
    "--adapter": options.adapter,
  };
  const given = Object.entries(loraFlags).filter(([, v]) => v !== undefined);
  if (tabular && given.length > 0) {
    throw invalid(
      `${given.map(([k]) => k).join(", ")} are for --model-type lm-lora`,
      "leave them out of a tabular task",
    );
  }
  const trainConfig: Record<string, number | string> = {};
  if (!tabular) {
    if (options.loraRank !== undefined)
      trainConfig.loraRank = wholeOption(options.loraRank, "--lora-rank", 1, 256);
    if (options.loraAlpha !== undefined)
      trainConfig.loraAlpha = numberOption(options.loraAlpha, "--lora-alpha", 0, 10_000);
    if (options.loraDropout !== undefined)
      trainConfig.loraDropout = numberOption(options.loraDropout, "--lora-dropout", 0, 0.99, true);
    if (options.targetModules !== undefined) trainConfig.targetModules = options.targetModules;
    if (options.localSteps !== undefined)
      trainConfig.localSteps = wholeOption(options.localSteps, "--local-steps", 1, 100_000);
    if (options.seqLen !== undefined)
      trainConfig.seqLen = wholeOption(options.seqLen, "--seq-len", 2, 1_000_000);
    if (options.adapter !== undefined) {
      if (!/^sha256:[0-9a-f]{64}$/.test(options.adapter)) {
        throw invalid(
          `--adapter must be a content id (sha256:…), got "${options.adapter}"`,
          "publish the adapter first",
        );
      }
      trainConfig.adapter = options.adapter;
    }
    // The seed of the task's fresh adapter (and of the participants' batch order).
    trainConfig.seed = seed;
  }
  if (options.lr !== undefined) trainConfig.learningRate = numberOption(options.lr, "--lr", 0, 100);
  if (options.localEpochs !== undefined) {
    trainConfig.localEpochs = wholeOption(options.localEpochs, "--local-epochs", 1, 1000);
  }
  if (options.batchSize !== undefined)
    trainConfig.batchSize = wholeOption(options.batchSize, "--batch-size", 1, 100_000);
  if (options.proximalMu !== undefined) {
    trainConfig.proximalMu = numberOption(options.proximalMu, "--proximal-mu", 0, 1000, true);
  }

  let baseModel: Uint8Array | string;
  let spec: TabularModelSpec | undefined;
  let languageModel: LlamaConfig | undefined;
  if (options.schema !== undefined) {
    const built = baseModelFromSchema(options.schema, modelType as "classifier" | "regressor", {
      ...(options.label === undefined ? {} : { label: options.label }),
      hidden,
      ...(classes === undefined ? {} : { classes }),
      seed,
    });
    baseModel = built.bytes;
    spec = built.spec;
  } else if (/^sha256:[0-9a-f]{64}$/.test(options.baseModel!)) {
    baseModel = options.baseModel!;
  } else {
    baseModel = readFile(options.baseModel!, "--base-model");
    if (tabular) {
      spec = readTabularModel(baseModel).spec;
      if (spec.config.kind !== modelType) {
        throw invalid(
          `--base-model is a ${spec.config.kind}, the task a ${modelType}`,
          `pass --model-type ${spec.config.kind}, or a ${modelType} model`,
        );
      }
    } else {
      try {
        languageModel = decodeBaseModel(baseModel).config;
      } catch {
        throw invalid(
          `--base-model ${options.baseModel} is not a language model (flock-llama/1)`,
          "an lm-lora task fine-tunes a flock-llama/1 base model (e.g. the Arena demo's, kept in <home>/models)",
        );
      }
      // The recipe is checked against the model now, before anything is published or posted.
      flLoraRecipeOf(trainConfig, languageModel);
    }
  }

  return {
    baseModel,
    ...(spec === undefined ? {} : { spec }),
    ...(languageModel === undefined ? {} : { languageModel }),
    task: {
      title: options.title,
      description: options.description,
      modelType,
      rounds,
      roundSeconds,
      minParticipants,
      maxParticipants,
      joinDeadline: new Date(now + joinMinutes * 60_000),
      rewardWeight,
      ...(pool > 0n ? { pool } : {}),
      minStake,
      minLockDays,
      strategy,
      privacy,
      payRule,
      ...(options.proposerFractionBps === undefined
        ? {}
        : {
            proposerFractionBps: wholeOption(options.proposerFractionBps, "--proposer-fraction-bps", 1, 9999),
          }),
      ...(Object.keys(trainConfig).length === 0 ? {} : { trainConfig }),
    },
  };
}

/** What `flock fl shards` writes: the tabular use cases (CSV) and private instruction shards (ShareGPT JSONL). */
export const FL_SHARDS_CLI_DATASETS = [...FL_SHARD_DATASETS, "instructions"] as const;

/** `flock fl shards` options, checked. */
export function planFlShards(options: { dataset: string; parts: string; out: string; seed: string }): {
  dataset: FlShardDataset | "instructions";
  parts: number;
  out: string;
  seed: number;
} {
  return {
    dataset: oneOf(options.dataset, "--dataset", FL_SHARDS_CLI_DATASETS),
    parts: wholeOption(options.parts, "--parts", 2, 50),
    out: options.out,
    seed: wholeOption(options.seed, "--seed", 0, 2 ** 31),
  };
}
