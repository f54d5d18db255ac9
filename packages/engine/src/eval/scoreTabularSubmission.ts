import { ValidationError } from "@flock/core";
import { parseTabularCsv } from "../data/tabularCsv.ts";
import { readTabularModel, type TabularModelSpec } from "../io/tabularModelFile.ts";
import { countParameters } from "../nn/parameters.ts";
import { evaluateClassifier, evaluateRegressor } from "./evaluateTabular.ts";
import type { UnscorableArtifactCode } from "./scoreSubmission.ts";

/** The Arena's tabular task types: an MLP classifier or regressor trained from a base model file. */
export type TabularTaskType = "classifier" | "regressor";

/** The metric a tabular task is scored by (SPEC §2.1); both fall as a model gets better. */
export type TabularMetricName = "log-loss" | "rmse";

/** The scored metric of a tabular task type: a classifier's mean log-loss (nats), a regressor's RMSE. */
export function tabularMetricOf(taskType: TabularTaskType): TabularMetricName {
  return taskType === "classifier" ? "log-loss" : "rmse";
}

/** Slack in bytes a tabular submission may have beyond twice its base model's header (see below). */
const HEADER_SLACK_BYTES = 4096;

/**
 * The largest tabular submission a task with this base model takes: a submission holds the same tensors as
 * its base model (`4·P` bytes of F32 for P parameters) and a header of the same tensor list and spec, so
 * `4·P + 2·(8 + H) + 4096` bytes (H: the base file's header length) leaves the submission's header room to
 * double and no room for a single extra weight matrix. The base model must be a tabular model file.
 */
export function tabularSubmissionByteLimit(baseModel: Uint8Array): number {
  const { params } = readTabularModel(baseModel);
  const headerBytes = baseModel.length - 4 * countParameters(params);
  return 4 * countParameters(params) + 2 * headerBytes + HEADER_SLACK_BYTES;
}

/** Everything one tabular submission's score depends on: the task's type and limit, and three files. */
export interface TabularScoringInput {
  taskType: TabularTaskType;
  /** The task's base model: a `flock-tabular-mlp/1` file fixing the MLP's shape and the data's columns. */
  baseModel: Uint8Array;
  /** The submitted `flock-tabular-mlp/1` file (already checked against its committed hash). */
  artifact: Uint8Array;
  /** The hidden validation set: a CSV with the base model's feature and label columns. */
  validationData: string;
  /** The network's artifact size limit; the task's own (`tabularSubmissionByteLimit`) applies when lower. */
  maxArtifactBytes: number;
  /** ONNX Runtime threads. */
  threads?: number;
}

/** The outcome: the task's metric (with accuracy for a classifier), or +∞ with the reason. */
export type TabularSubmissionScore =
  | {
      kind: "scored";
      metricName: TabularMetricName;
      /** Mean log-loss in nats (classifier) or RMSE (regressor): lower is better. */
      metric: number;
      /** A classifier's share of hidden rows whose most likely class is the label. */
      accuracy?: number;
      rows: number;
    }
  | {
      kind: "unscorable";
      metricName: TabularMetricName;
      /** +∞: the metric of a submission that cannot be evaluated. */
      metric: number;
      code: UnscorableArtifactCode;
      message: string;
      details: Record<string, unknown>;
    };

function specKey(spec: TabularModelSpec): string {
  const c = spec.config;
  return JSON.stringify({
    kind: c.kind,
    numFeatures: c.numFeatures,
    hidden: c.hidden,
    numClasses: c.kind === "classifier" ? (c.numClasses ?? 2) : null,
    activation: c.activation ?? "relu",
    features: spec.features,
    label: spec.label,
  });
}

/**
 * The one scoring function of a tabular submission (SPEC §2.1: classifiers by log-loss with accuracy as
 * evidence, regressors by RMSE), run by validators and by the referee alike. A submission over the size
 * limit, that is not a tabular model file, whose config or columns differ from the base model's, or with
 * NaN/∞ weights or predictions is unscorable (+∞, never refused). Errors that are not the submission's
 * fault (a base model that is not a tabular model of the task's type, a hidden CSV without its columns)
 * are thrown.
 */
export async function scoreTabularSubmission(input: TabularScoringInput): Promise<TabularSubmissionScore> {
  const metricName = tabularMetricOf(input.taskType);
  const unscorable = (
    code: UnscorableArtifactCode,
    message: string,
    details: Record<string, unknown> = {},
  ): TabularSubmissionScore => ({
    kind: "unscorable",
    metricName,
    metric: Number.POSITIVE_INFINITY,
    code,
    message,
    details,
  });
  const base = readTabularModel(input.baseModel);
  if (base.spec.config.kind !== input.taskType) {
    throw new ValidationError(
      "TABULAR_BASE_KIND_MISMATCH",
      `the base model is a ${base.spec.config.kind}, the task is a ${input.taskType}`,
      { hint: "a tabular task's base model must be an MLP of the task's type" },
    );
  }
  const maxBytes = Math.min(input.maxArtifactBytes, tabularSubmissionByteLimit(input.baseModel));
  if (input.artifact.length > maxBytes) {
    return unscorable(
      "ARTIFACT_TOO_LARGE",
      `the artifact has ${input.artifact.length} bytes, the limit is ${maxBytes}`,
      { size: input.artifact.length, maxBytes },
    );
  }
  let submitted: ReturnType<typeof readTabularModel>;
  try {
    submitted = readTabularModel(input.artifact);
  } catch (cause) {
    if (!(cause instanceof ValidationError)) throw cause;
    return unscorable("ARTIFACT_MALFORMED", `not a tabular model file: ${cause.message}`);
  }
  if (specKey(submitted.spec) !== specKey(base.spec)) {
    return unscorable(
      "ARTIFACT_WRONG_BASE",
      "the submitted model's config or columns differ from the base model's",
      {
        expected: JSON.parse(specKey(base.spec)) as Record<string, unknown>,
        actual: JSON.parse(specKey(submitted.spec)) as Record<string, unknown>,
      },
    );
  }
  for (const [name, parameter] of submitted.params) {
    if (!parameter.data.every(Number.isFinite)) {
      return unscorable("ARTIFACT_NOT_FINITE", `tensor ${name} holds NaN or infinite values`, {
        tensor: name,
      });
    }
  }
  const { config } = base.spec;
  const rows = parseTabularCsv(input.validationData, {
    kind: config.kind,
    label: base.spec.label,
    features: base.spec.features,
    ...(config.kind === "classifier" ? { numClasses: config.numClasses ?? 2 } : {}),
  });
  const threads = input.threads ?? 1;
  if (config.kind === "classifier") {
    const m = await evaluateClassifier(
      config,
      submitted.params,
      { rows: rows.rows, x: rows.x, y: rows.y as Int32Array },
      threads,
    );
    if (!Number.isFinite(m.logLoss)) {
      return unscorable("ARTIFACT_NOT_FINITE", "the model's log-loss on the hidden set is not finite", {
        logLoss: String(m.logLoss),
      });
    }
    return { kind: "scored", metricName, metric: m.logLoss, accuracy: m.accuracy, rows: rows.rows };
  }
  const m = await evaluateRegressor(
    config,
    submitted.params,
    { rows: rows.rows, x: rows.x, y: rows.y as Float32Array },
    threads,
  );
  if (!Number.isFinite(m.rmse)) {
    return unscorable("ARTIFACT_NOT_FINITE", "the model's RMSE on the hidden set is not finite", {
      rmse: String(m.rmse),
    });
  }
  return { kind: "scored", metricName, metric: m.rmse, rows: rows.rows };
}
