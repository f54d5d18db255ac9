import { ValidationError } from "@flock/core";
import type { ParameterSet } from "../nn/parameters.ts";
import { type TabularMlpConfig, tabularMlpShapes } from "../nn/tabularMlp.ts";
import { readSafetensors, writeSafetensors } from "./safetensors.ts";

/** The metadata key of a tabular model file and the format it names. */
export const TABULAR_MODEL_KEY = "flock.tabular";
export const TABULAR_MODEL_FORMAT = "flock-tabular-mlp/1";

/** What a tabular model file says besides its weights: the MLP's config and the data schema it expects. */
export interface TabularModelSpec {
  config: TabularMlpConfig;
  /** The feature columns, in input order (a CSV's header names). */
  features: string[];
  /** The label column. */
  label: string;
}

/**
 * A tabular MLP as one safetensors file: `layers.{i}.weight|bias` as F32 and the spec (config, feature
 * columns, label) as JSON in the metadata under `flock.tabular`. Arena tasks and federated tasks of types
 * `classifier` and `regressor` publish their base model and exchange their weights in it.
 */
export function writeTabularModel(spec: TabularModelSpec, params: ParameterSet): Uint8Array {
  checkSpec(spec);
  const shapes = tabularMlpShapes(spec.config);
  const tensors: Parameters<typeof writeSafetensors>[0] = {};
  for (const [name, shape] of shapes) {
    const p = params.get(name);
    if (!p || p.shape.join(",") !== shape.join(",")) {
      throw new ValidationError("TABULAR_MODEL_MISMATCH", `the weights lack ${name} of shape [${shape}]`, {
        hint: "write the weights of the MLP the config describes",
      });
    }
    tensors[name] = { dtype: "F32", shape, data: p.data };
  }
  return writeSafetensors(tensors, {
    [TABULAR_MODEL_KEY]: JSON.stringify({ format: TABULAR_MODEL_FORMAT, ...spec }),
  });
}

/** Read a tabular model file: its spec and weights, checked against each other. */
export function readTabularModel(bytes: Uint8Array): { spec: TabularModelSpec; params: ParameterSet } {
  const file = readSafetensors(bytes);
  const text = file.metadata[TABULAR_MODEL_KEY];
  if (text === undefined) {
    throw new ValidationError("TABULAR_MODEL_INVALID", `the file has no ${TABULAR_MODEL_KEY} metadata`, {
      hint: "give a tabular model written by Flock (flock fl create / flock task create write one)",
    });
  }
  let parsed: { format?: unknown } & Partial<TabularModelSpec>;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ValidationError("TABULAR_MODEL_INVALID", "the model's metadata is not JSON", { cause });
  }
  if (parsed.format !== TABULAR_MODEL_FORMAT) {
    throw new ValidationError(
      "TABULAR_MODEL_INVALID",
      `the model's format is ${JSON.stringify(parsed.format)}`,
      {
        hint: `this engine reads ${TABULAR_MODEL_FORMAT}`,
      },
    );
  }
  const spec = { config: parsed.config!, features: parsed.features!, label: parsed.label! };
  checkSpec(spec);
  const params: ParameterSet = new Map();
  for (const [name, shape] of tabularMlpShapes(spec.config)) {
    const t = file.tensors[name];
    if (t?.dtype !== "F32" || t.shape.join(",") !== shape.join(",")) {
      throw new ValidationError("TABULAR_MODEL_INVALID", `the model lacks ${name} as F32 [${shape}]`, {
        hint: "the weights must match the config in the metadata",
      });
    }
    params.set(name, { shape, data: t.data as Float32Array });
  }
  const extra = Object.keys(file.tensors).filter((n) => !params.has(n));
  if (extra.length > 0) {
    throw new ValidationError(
      "TABULAR_MODEL_INVALID",
      `the model has tensors its config does not: ${extra.join(", ")}`,
    );
  }
  return { spec, params };
}

function checkSpec(spec: TabularModelSpec): void {
  const c = spec.config as Partial<TabularMlpConfig> | undefined;
  const whole = (n: unknown, min: number) => typeof n === "number" && Number.isSafeInteger(n) && n >= min;
  const ok =
    c !== undefined &&
    (c.kind === "classifier" || c.kind === "regressor") &&
    whole(c.numFeatures, 1) &&
    Array.isArray(c.hidden) &&
    c.hidden.every((h) => whole(h, 1)) &&
    (c.kind === "regressor" || c.numClasses === undefined || whole(c.numClasses, 2)) &&
    Array.isArray(spec.features) &&
    spec.features.length === c.numFeatures &&
    spec.features.every((f) => typeof f === "string" && f !== "") &&
    typeof spec.label === "string" &&
    spec.label !== "";
  if (!ok) {
    throw new ValidationError("TABULAR_MODEL_INVALID", "the tabular model's spec is malformed", {
      hint: "a spec has config {kind, numFeatures, hidden, numClasses?}, one feature name per feature and a label",
      details: { spec: spec as unknown as Record<string, unknown> },
    });
  }
}
