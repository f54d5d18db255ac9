import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { contentId, FlockError, isFlockError, type Logger, scoreCommitment } from "@flock/core";
import { scoreDirectionOf, scoreOrWorst } from "@flock/protocol";
import { ArtifactRejectedError } from "./artifacts/artifactRejection.ts";
import type { AssignmentBundle, AssignmentView, TaskView, ValidatorCoordinator } from "./coordinator.ts";
import type { EvaluationBackend } from "./evaluation/evaluationBackend.ts";
import { NodeStateFile } from "./nodeState.ts";

/**
 * The metric a task is scored by (SPEC §2.1): bits per byte for language tasks, mean log-loss in nats for
 * classifiers (accuracy goes in the evidence), RMSE for regressors. All are lower-is-better.
 */
export type ScoreMetric = "bpc" | "log-loss" | "rmse";

/** What one evaluation measured: the metric's value (+∞ for an unscorable artifact) and the evidence. */
interface Measurement {
  metric: ScoreMetric;
  value: number;
  evidence: Record<string, unknown>;
}

/** The metric of a task type. */
export function scoreMetricOf(type: TaskView["type"]): ScoreMetric {
  return type === "classifier" ? "log-loss" : type === "regressor" ? "rmse" : "bpc";
}

/** The evidence key of a metric's value. */
const VALUE_KEY: Record<ScoreMetric, string> = { bpc: "bpc", "log-loss": "logLoss", rmse: "rmse" };

/** Evidence of an artifact that cannot be scored: +∞ in the metric, the reason and its details. */
function unscorableEvidence(
  metric: ScoreMetric,
  code: string,
  message: string,
  details: Record<string, unknown>,
): Measurement {
  return {
    metric,
    value: Number.POSITIVE_INFINITY,
    evidence: { metric, [VALUE_KEY[metric]]: "Infinity", unscorable: code, message, ...details },
  };
}

/** A score this validator committed to and reveals after the task's end; kept on disk so a crash loses nothing. */
interface CommittedScore {
  /** Fixed point (1e18 = 1.0), decimal. */
  score: string;
  /** The salt of the commitment, 0x-hex. */
  salt: string;
  evidence: Record<string, unknown>;
  /** ISO time after which the coordinator takes the reveal (the task's end). */
  revealAfter: string;
  /** The task's metric and its value (+∞ for an unscorable artifact). */
  metric: ScoreMetric;
  value: number;
}

/** What became of one assignment on this validator. */
export type ValidatorOutcome =
  /** Scored and saved; the commitment may not have reached the coordinator yet (a crash in between). */
  | ({ outcome: "committing" } & CommittedScore)
  | ({ outcome: "committed" } & CommittedScore)
  | { outcome: "reported"; metric: ScoreMetric; value: number }
  | { outcome: "refused"; code: string; message: string }
  /** The reveal was refused for good (the window closed): a failed duty. */
  | { outcome: "unrevealed"; code: string; message: string }
  | { outcome: "failed"; code: string; message: string; attempts: number };

export interface ValidatorState {
  assignments: Record<string, ValidatorOutcome>;
}

export type ValidatorEvent =
  | { kind: "evaluating"; assignmentId: number; batch: number; totalBatches: number }
  | {
      kind: "committed";
      assignmentId: number;
      submissionId: number;
      metric: ScoreMetric;
      value: number;
    }
  | { kind: "reported"; assignmentId: number; metric: ScoreMetric; value: number }
  | { kind: "refused"; assignmentId: number; submissionId: number; code: string; message: string }
  | { kind: "unrevealed"; assignmentId: number; code: string; message: string }
  | { kind: "failed"; assignmentId: number; code: string; message: string };

export interface ValidatorDaemonOptions {
  coordinator: ValidatorCoordinator;
  backend: EvaluationBackend;
  stateDir: string;
  /** Largest artifact this validator downloads (the network's limit); a larger one scores +∞. */
  maxArtifactBytes: number;
  /** Stop retrying an assignment after this many failures that were not the artifact's fault (default 3). */
  maxAttempts?: number;
  /** The clock reveals are timed by (default the system clock). */
  now?: () => Date;
  logger?: Logger;
  onEvent?: (event: ValidatorEvent) => void;
}

/** Codes with which the coordinator refuses a reveal for good: the duty is missed. */
const REVEAL_CLOSED = new Set([
  "REVEAL_WINDOW_CLOSED",
  "REVEAL_WITHOUT_COMMITMENT",
  "REVEAL_MISMATCH",
  "NOT_ASSIGNED",
]);
/** Codes with which the coordinator refuses a repeated commitment: it already has one. */
const ALREADY_COMMITTED = new Set(["ASSIGNMENT_CLOSED", "ASSIGNMENT_TRANSITION_INVALID"]);

/**
 * The validator daemon (SPEC §2.1): ask for assignments, check the hidden set against the task's
 * commitment and the artifact against its committed hash, score it with the engine's scoring function of
 * the task's type — BPC for language tasks (a LoRA adapter merged into the base, or a full fine-tune),
 * log-loss (accuracy as evidence) for classifiers, RMSE for regressors (an oversize or malformed artifact
 * scores +∞, with the reason as evidence), commit to the score (a hash with a random salt) before the task's
 * end, and reveal score, salt and evidence after it. The salt and score
 * are written to the state file before the commitment is sent, so a restart reveals what was committed.
 * Only bytes that do not match the commit are refused (the coordinator served the wrong artifact).
 */
export class ValidatorDaemon {
  readonly options: ValidatorDaemonOptions;
  readonly #state: NodeStateFile<ValidatorState>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: ValidatorDaemonOptions) {
    this.options = options;
    this.#state = new NodeStateFile(join(options.stateDir, "validator-state.json"), () => ({
      assignments: {},
    }));
  }

  state(): Promise<ValidatorState> {
    return this.#state.read();
  }

  /**
   * One pass: reveal every committed score whose task has ended, then handle every open assignment not
   * handled yet (score and commit). Returns how many assignments were scored or revealed.
   */
  async runOnce(): Promise<number> {
    let handled = await this.#resendCommitments();
    handled += await this.#revealDue();
    const assignments = await this.options.coordinator.requestAssignments();
    for (const assignment of assignments) {
      if (this.#stopped) break;
      const previous = (await this.#state.read()).assignments[String(assignment.id)];
      if (previous !== undefined && previous.outcome !== "failed") continue;
      if (previous?.outcome === "failed" && previous.attempts >= (this.options.maxAttempts ?? 3)) continue;
      await this.#handle(assignment, previous?.outcome === "failed" ? previous.attempts : 0);
      handled++;
    }
    return handled;
  }

  /** Send the commitments saved but not confirmed before a crash (the coordinator may already have them). */
  async #resendCommitments(): Promise<number> {
    let sent = 0;
    for (const [key, outcome] of Object.entries((await this.#state.read()).assignments)) {
      if (this.#stopped || outcome.outcome !== "committing") continue;
      try {
        await this.#sendCommitment(Number(key), outcome);
        sent++;
      } catch (error) {
        this.options.logger?.warn({ assignmentId: Number(key), err: error }, "commitment not sent yet");
      }
    }
    return sent;
  }

  start(pollMs = 1000): void {
    this.#stopped = false;
    const tick = () => {
      this.#running = this.runOnce()
        .then(() => undefined)
        .catch((error: unknown) => this.options.logger?.warn({ err: error }, "validator pass failed"))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, pollMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running;
  }

  #now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Reveal the committed scores whose task has ended (a commitment that never arrived is sent first). */
  async #revealDue(): Promise<number> {
    let revealed = 0;
    const entries = Object.entries((await this.#state.read()).assignments);
    for (const [key, outcome] of entries) {
      if (this.#stopped) break;
      if (outcome.outcome !== "committed") continue;
      if (this.#now().getTime() <= new Date(outcome.revealAfter).getTime()) continue;
      const assignmentId = Number(key);
      try {
        await this.options.coordinator.revealScore(assignmentId, {
          score: BigInt(outcome.score),
          salt: outcome.salt,
          evidence: outcome.evidence,
        });
        // State written before tasks had other metrics holds the BPC as `bpc`.
        const { metric = "bpc", value = (outcome as { bpc?: number }).bpc ?? Number.NaN } = outcome;
        await this.#record(assignmentId, { outcome: "reported", metric, value });
        this.#emit({ kind: "reported", assignmentId, metric, value });
        revealed++;
      } catch (error) {
        if (isFlockError(error) && REVEAL_CLOSED.has(error.code)) {
          await this.#record(assignmentId, {
            outcome: "unrevealed",
            code: error.code,
            message: error.message,
          });
          this.#emit({ kind: "unrevealed", assignmentId, code: error.code, message: error.message });
          continue;
        }
        // Too early by the coordinator's clock, or the network: try again next pass.
        this.options.logger?.warn({ assignmentId, err: error }, "reveal not accepted yet");
      }
    }
    return revealed;
  }

  async #sendCommitment(assignmentId: number, committed: CommittedScore): Promise<void> {
    try {
      await this.options.coordinator.commitScore(
        assignmentId,
        scoreCommitment({ assignmentId, score: BigInt(committed.score), salt: committed.salt }),
      );
    } catch (error) {
      // A commitment sent before a crash: the coordinator already has it, the saved salt opens it.
      if (!(isFlockError(error) && ALREADY_COMMITTED.has(error.code))) throw error;
    }
    await this.#record(assignmentId, { ...committed, outcome: "committed" });
  }

  async #handle(assignment: AssignmentView, attempts: number): Promise<void> {
    const { coordinator } = this.options;
    try {
      const bundle = await coordinator.openAssignment(assignment.id);
      const { task, submission } = bundle;
      if (contentId(bundle.validationSet) !== task.validationCommitment) {
        // Not the artifact's fault: the coordinator served a set other than the committed one.
        throw new FlockError(
          "VALIDATION_SET_MISMATCH",
          `the hidden set served for task ${task.id} does not match its commitment`,
          {
            hint: "report this coordinator: the validation set must hash to the task's validationCommitment",
            details: { expected: task.validationCommitment, actual: contentId(bundle.validationSet) },
          },
        );
      }
      let measured: Measurement;
      try {
        measured = await this.#score(assignment.id, bundle);
      } catch (error) {
        if (!(error instanceof ArtifactRejectedError)) throw error;
        await coordinator.refuse(assignment.id, { code: error.code, message: error.message });
        await this.#record(assignment.id, { outcome: "refused", code: error.code, message: error.message });
        this.#emit({
          kind: "refused",
          assignmentId: assignment.id,
          submissionId: submission.id,
          code: error.code,
          message: error.message,
        });
        return;
      }
      // Every task type's metric is lower-is-better; an unscorable artifact scores +∞ (protocol's worst
      // score), with its reason.
      const score = scoreOrWorst(measured.value, scoreDirectionOf(task.type));
      const committed: CommittedScore = {
        score: score.toString(),
        salt: `0x${randomBytes(16).toString("hex")}`,
        evidence: {
          ...measured.evidence,
          artifactId: submission.commitHash,
          validationCommitment: task.validationCommitment,
        },
        revealAfter: task.endTime.toISOString(),
        metric: measured.metric,
        value: measured.value,
      };
      // Saved before it is sent: after a crash the salt still opens the commitment.
      await this.#record(assignment.id, { ...committed, outcome: "committing" });
      await this.#sendCommitment(assignment.id, committed);
      this.#emit({
        kind: "committed",
        assignmentId: assignment.id,
        submissionId: submission.id,
        metric: measured.metric,
        value: measured.value,
      });
    } catch (error) {
      const code = error instanceof FlockError ? error.code : "VALIDATOR_STEP_FAILED";
      const message = error instanceof Error ? error.message : String(error);
      this.options.logger?.warn({ assignmentId: assignment.id, code, message }, "assignment failed");
      const current = (await this.#state.read()).assignments[String(assignment.id)];
      // A score saved but not yet committed is kept: the next pass sends its commitment.
      if (current?.outcome === "committing") return;
      await this.#record(assignment.id, { outcome: "failed", code, message, attempts: attempts + 1 });
      this.#emit({ kind: "failed", assignmentId: assignment.id, code, message });
    }
  }

  /**
   * Fetch and score the artifact with the task type's scoring function; an oversize one scores +∞ without
   * being downloaded in full.
   */
  async #score(assignmentId: number, bundle: AssignmentBundle): Promise<Measurement> {
    const { task, submission } = bundle;
    const metric = scoreMetricOf(task.type);
    const maxBytes = this.options.maxArtifactBytes;
    const oversize = (size: number): Measurement =>
      unscorableEvidence(
        metric,
        "ARTIFACT_TOO_LARGE",
        `the artifact has ${size} bytes, the limit is ${maxBytes}`,
        {
          size,
          maxBytes,
        },
      );
    const tabular = task.type === "classifier" || task.type === "regressor";
    const { backend } = this.options;
    const scorable =
      task.type === "lm-lora" ||
      (task.type === "lm-full" && backend.evaluateFull !== undefined) ||
      (tabular && backend.evaluateTabular !== undefined);
    if (!scorable) {
      // Not the artifact's fault: this validator cannot score the type; another validator should.
      throw new FlockError(
        "VALIDATOR_TASK_TYPE_UNSUPPORTED",
        `this validator's backend cannot score task ${task.id} of type ${task.type}`,
        {
          hint: "run a validator whose backend scores this type (engineEvaluationBackend scores every Arena task type)",
          details: { taskId: task.id, type: task.type },
        },
      );
    }
    if (submission.size > maxBytes) return oversize(submission.size);
    let artifact: Uint8Array;
    try {
      artifact = await this.options.coordinator.fetchAssignedArtifact(assignmentId, maxBytes);
    } catch (error) {
      if (error instanceof ArtifactRejectedError && error.code === "ARTIFACT_TOO_LARGE") {
        return oversize(Number(error.details?.size ?? submission.size));
      }
      throw error;
    }
    const actual = contentId(artifact);
    if (actual !== submission.commitHash) {
      throw new ArtifactRejectedError(
        "ARTIFACT_HASH_MISMATCH",
        `the artifact hashes to ${actual}, the trainer committed ${submission.commitHash}`,
        { actual, committed: submission.commitHash },
      );
    }
    const baseModel = await this.#baseModel(task.baseModel);
    const validationData = new TextDecoder().decode(bundle.validationSet);
    if (tabular) {
      const result = await backend.evaluateTabular!({
        taskType: task.type as "classifier" | "regressor",
        baseModel,
        artifact,
        validationData,
        maxArtifactBytes: maxBytes,
      });
      if (result.kind === "unscorable") {
        return unscorableEvidence(metric, result.code, result.message, result.details);
      }
      return {
        metric,
        value: result.metric,
        evidence: {
          metric,
          [VALUE_KEY[metric]]: result.metric,
          ...(result.accuracy === undefined ? {} : { accuracy: result.accuracy }),
          rows: result.rows,
        },
      };
    }
    const onProgress = (p: { batch: number; totalBatches: number }) =>
      this.#emit({ kind: "evaluating", assignmentId, ...p });
    const result =
      task.type === "lm-full"
        ? await backend.evaluateFull!(
            {
              baseModel,
              artifact,
              validationData,
              contextLength: task.contextLength,
              maxArtifactBytes: maxBytes,
            },
            onProgress,
          )
        : await backend.evaluate(
            {
              baseModelId: task.baseModel,
              baseModel,
              artifact,
              validationData,
              contextLength: task.contextLength,
              maxTrainableParams: task.maxTrainableParams,
              maxArtifactBytes: maxBytes,
            },
            onProgress,
          );
    if (result.kind === "unscorable") {
      return unscorableEvidence("bpc", result.code, result.message, result.details);
    }
    return {
      metric: "bpc",
      value: result.bpc,
      evidence: { metric: "bpc", bpc: result.bpc, tokens: result.tokens, bytes: result.bytes },
    };
  }

  readonly #baseModels = new Map<string, Uint8Array>();

  async #baseModel(id: string): Promise<Uint8Array> {
    let bytes = this.#baseModels.get(id);
    if (bytes === undefined) {
      bytes = await this.options.coordinator.fetchArtifact(id);
      if (contentId(bytes) !== id) {
        throw new FlockError(
          "BASE_MODEL_HASH_MISMATCH",
          `the base model served as ${id} hashes differently`,
          {
            hint: "check the coordinator's artifact store",
          },
        );
      }
      this.#baseModels.set(id, bytes);
    }
    return bytes;
  }

  async #record(assignmentId: number, outcome: ValidatorOutcome): Promise<void> {
    const state = await this.#state.read();
    state.assignments[String(assignmentId)] = outcome;
    await this.#state.write(state);
  }

  #emit(event: ValidatorEvent): void {
    this.options.onEvent?.(event);
  }
}
