import { join } from "node:path";
import { contentId, FlockError, type Logger } from "@flock/core";
import { ArtifactRejectedError } from "./artifacts/artifactRejection.ts";
import type { AssignmentView, ValidatorCoordinator } from "./coordinator.ts";
import type { EvaluationBackend } from "./evaluation/evaluationBackend.ts";
import { NodeStateFile } from "./nodeState.ts";

/** What became of one assignment on this validator. */
export type ValidatorOutcome =
  | { outcome: "reported"; bpc: number }
  | { outcome: "refused"; code: string; message: string }
  | { outcome: "failed"; code: string; message: string; attempts: number };

export interface ValidatorState {
  assignments: Record<string, ValidatorOutcome>;
}

export type ValidatorEvent =
  | { kind: "evaluating"; assignmentId: number; batch: number; totalBatches: number }
  | { kind: "reported"; assignmentId: number; submissionId: number; bpc: number }
  | { kind: "refused"; assignmentId: number; submissionId: number; code: string; message: string }
  | { kind: "failed"; assignmentId: number; code: string; message: string };

export interface ValidatorDaemonOptions {
  coordinator: ValidatorCoordinator;
  backend: EvaluationBackend;
  stateDir: string;
  /** Largest artifact this validator downloads (the network's limit). */
  maxArtifactBytes: number;
  /** Stop retrying an assignment after this many failures that were not the artifact's fault (default 3). */
  maxAttempts?: number;
  logger?: Logger;
  onEvent?: (event: ValidatorEvent) => void;
}

/**
 * The validator daemon (SPEC §2.1): ask for assignments, check the hidden set against the task's
 * commitment and the artifact against its committed hash and the size limit, evaluate BPC, report.
 * An artifact that cannot be scored is refused with its reason; it never stops the daemon.
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

  /** One pass: handle every open assignment not handled yet. Returns how many were handled. */
  async runOnce(): Promise<number> {
    const assignments = await this.options.coordinator.requestAssignments();
    let handled = 0;
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
      try {
        if (submission.size > this.options.maxArtifactBytes) {
          throw new ArtifactRejectedError(
            "ARTIFACT_TOO_LARGE",
            `the artifact has ${submission.size} bytes, the limit is ${this.options.maxArtifactBytes}`,
            { size: submission.size, maxBytes: this.options.maxArtifactBytes },
          );
        }
        const artifact = await coordinator.fetchAssignedArtifact(
          assignment.id,
          this.options.maxArtifactBytes,
        );
        const actual = contentId(artifact);
        if (actual !== submission.commitHash) {
          throw new ArtifactRejectedError(
            "ARTIFACT_HASH_MISMATCH",
            `the artifact hashes to ${actual}, the trainer committed ${submission.commitHash}`,
            { actual, committed: submission.commitHash },
          );
        }
        const result = await this.options.backend.evaluate(
          {
            baseModelId: task.baseModel,
            baseModel: await this.#baseModel(task.baseModel),
            artifact,
            validationData: new TextDecoder().decode(bundle.validationSet),
            contextLength: task.contextLength,
            maxTrainableParams: task.maxTrainableParams,
          },
          (p) => this.#emit({ kind: "evaluating", assignmentId: assignment.id, ...p }),
        );
        await coordinator.reportScore(assignment.id, {
          bpc: result.bpc,
          evidence: {
            metric: "bpc",
            artifactId: actual,
            validationCommitment: task.validationCommitment,
            tokens: result.tokens,
            bytes: result.bytes,
          },
        });
        await this.#record(assignment.id, { outcome: "reported", bpc: result.bpc });
        this.#emit({
          kind: "reported",
          assignmentId: assignment.id,
          submissionId: submission.id,
          bpc: result.bpc,
        });
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
      }
    } catch (error) {
      const code = error instanceof FlockError ? error.code : "VALIDATOR_STEP_FAILED";
      const message = error instanceof Error ? error.message : String(error);
      this.options.logger?.warn({ assignmentId: assignment.id, code, message }, "assignment failed");
      await this.#record(assignment.id, { outcome: "failed", code, message, attempts: attempts + 1 });
      this.#emit({ kind: "failed", assignmentId: assignment.id, code, message });
    }
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
