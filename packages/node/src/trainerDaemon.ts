import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { contentId, FlockError, type Logger } from "@flock/core";
import type { SubmissionView, TaskView, TrainerCoordinator, TransferProgress } from "./coordinator.ts";
import { NodeStateFile } from "./nodeState.ts";
import { TABULAR_RECIPES, type TabularRecipe, type TrainingRecipe, tabularRecipe } from "./recipe.ts";
import type { TrainingBackend } from "./training/trainingBackend.ts";

/** Where a task stands for this trainer; each phase is written before the next starts. */
export type TrainerTaskPhase = "pending" | "trained" | "committed" | "uploaded" | "failed";

export interface TrainerTaskState {
  phase: TrainerTaskPhase;
  artifactId?: string;
  submissionId?: number;
  /** The coordinator's verdict after upload (accepted, copy, …). */
  status?: string;
  attempts?: number;
  error?: { code: string; message: string };
}

export interface TrainerState {
  tasks: Record<string, TrainerTaskState>;
}

/** What one pass of the trainer saw and did. */
export interface TrainerPass {
  /** Open tasks on the coordinator. */
  openTasks: number;
  /** Tasks (open, or validating with a commit to reveal) this trainer is staked on. */
  stakedTasks: number[];
  /** Tasks this pass worked on (their state says how far each got). */
  worked: number[];
  /** Staked tasks finished in an earlier pass (uploaded or given up). */
  alreadyDone: number[];
}

/** Fetch a public artifact and check that it is what its content id names. */
async function fetchVerified(
  coordinator: TrainerCoordinator,
  id: string,
  onProgress?: (progress: TransferProgress) => void,
): Promise<Uint8Array> {
  const bytes = await coordinator.fetchArtifact(id, onProgress);
  const actual = contentId(bytes);
  if (actual !== id) {
    throw new FlockError("ARTIFACT_HASH_MISMATCH", `the coordinator served ${actual} for ${id}`, {
      hint: "check the coordinator's artifact store; content ids must match the bytes",
      details: { expected: id, actual },
    });
  }
  return bytes;
}

/** What the daemon did, for logs, progress bars and tests. */
export type TrainerEvent =
  | {
      kind: "downloading";
      taskId: number;
      artifact: "base model" | "training set";
      bytes: number;
      totalBytes: number;
    }
  | { kind: "training"; taskId: number; step: number; totalSteps: number; loss: number }
  | { kind: "trained"; taskId: number; artifactId: string; bytes: number }
  | { kind: "committed"; taskId: number; submissionId: number }
  | { kind: "uploading"; taskId: number; bytes: number; totalBytes: number }
  | { kind: "uploaded"; taskId: number; submissionId: number; status: string }
  | { kind: "failed"; taskId: number; code: string; message: string };

export interface TrainerDaemonOptions {
  coordinator: TrainerCoordinator;
  backend: TrainingBackend;
  /** How language (LoRA) tasks are trained. */
  recipe: TrainingRecipe;
  /**
   * How classifier and regressor tasks are trained (default: the tabular recipe of the same name as `recipe`,
   * else `balanced`, with `recipe`'s seed).
   */
  tabularRecipe?: TabularRecipe;
  /** This node's folder: state file, checkpoints and artifacts. */
  stateDir: string;
  /** Give up on a task after this many failed attempts (default 3). */
  maxAttempts?: number;
  logger?: Logger;
  onEvent?: (event: TrainerEvent) => void;
}

/**
 * The trainer daemon (SPEC §2.1): for every open task it is staked on, fine-tune the base model on the
 * public training set (a LoRA adapter for an lm-lora task, every weight of the decoder for an lm-full task,
 * the whole MLP for a classifier or regressor task),
 * commit the artifact's hash, then upload the artifact. Progress is recorded after
 * each step, so a restarted daemon resumes training from its checkpoint and never commits twice.
 */
export class TrainerDaemon {
  readonly options: TrainerDaemonOptions;
  readonly #state: NodeStateFile<TrainerState>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: TrainerDaemonOptions) {
    this.options = options;
    this.#state = new NodeStateFile(join(options.stateDir, "trainer-state.json"), () => ({ tasks: {} }));
  }

  /** The recorded progress of every task this trainer took part in. */
  state(): Promise<TrainerState> {
    return this.#state.read();
  }

  /**
   * One pass: work every open, staked task that is not finished yet. Returns what this pass saw and did, so a
   * caller can tell "nothing to do" (no open task, or none staked on) from work done.
   */
  async runOnce(): Promise<TrainerPass> {
    const open = await this.options.coordinator.listTasks("open");
    // After the deadline a commit can still be revealed (a daemon that crashed between commit and upload).
    const committed = new Set(
      Object.entries((await this.#state.read()).tasks)
        .filter(([, entry]) => entry.phase === "committed")
        .map(([id]) => Number(id)),
    );
    const validating =
      committed.size === 0
        ? []
        : (await this.options.coordinator.listTasks("validating")).filter((t) => committed.has(t.id));
    const pass: TrainerPass = { openTasks: open.length, stakedTasks: [], worked: [], alreadyDone: [] };
    for (const task of [...open, ...validating]) {
      if (this.#stopped) return pass;
      const state = await this.#state.read();
      const entry = state.tasks[String(task.id)];
      if (!(await this.options.coordinator.isStakedTrainer(task.id))) continue;
      pass.stakedTasks.push(task.id);
      if (entry?.phase === "uploaded" || entry?.phase === "failed") {
        pass.alreadyDone.push(task.id);
        continue;
      }
      try {
        await this.#work(task);
      } catch (error) {
        await this.#recordFailure(task.id, error);
      }
      pass.worked.push(task.id);
    }
    return pass;
  }

  /** Poll every `pollMs` until `stop()`. */
  start(pollMs = 1000): void {
    this.#stopped = false;
    const tick = () => {
      this.#running = this.runOnce()
        .then(() => {})
        .catch((error: unknown) => this.options.logger?.warn({ err: error }, "trainer pass failed"))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, pollMs);
        });
    };
    tick();
  }

  /** Stop polling and wait for the current pass to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running;
  }

  async #work(task: TaskView): Promise<void> {
    const { coordinator } = this.options;
    const taskDir = join(this.options.stateDir, "tasks", String(task.id));
    const artifactPath = join(taskDir, "artifact.safetensors");
    let entry = (await this.#state.read()).tasks[String(task.id)];

    if (entry === undefined || entry.phase === "pending") {
      this.#requireTrainable(task);
      const progress = (artifact: "base model" | "training set") => (p: TransferProgress) =>
        this.#emit({ kind: "downloading", taskId: task.id, artifact, ...p });
      const baseModel = await fetchVerified(coordinator, task.baseModel, progress("base model"));
      const trainingSet = await fetchVerified(coordinator, task.trainingSetId, progress("training set"));
      await mkdir(taskDir, { recursive: true });
      const onProgress = (p: { step: number; totalSteps: number; loss: number }) =>
        this.#emit({ kind: "training", taskId: task.id, ...p });
      const trainingData = new TextDecoder().decode(trainingSet);
      const language = {
        baseModelId: task.baseModel,
        baseModel,
        trainingData,
        recipe: this.options.recipe,
        workDir: taskDir,
      };
      const artifact =
        task.type === "lm-lora"
          ? await this.options.backend.train(language, onProgress)
          : task.type === "lm-full"
            ? await this.options.backend.trainFull!(language, onProgress)
            : await this.options.backend.trainTabular!(
                {
                  taskType: task.type as "classifier" | "regressor",
                  baseModel,
                  trainingData,
                  recipe: this.#tabularRecipe(),
                  workDir: taskDir,
                },
                onProgress,
              );
      await writeFile(artifactPath, artifact);
      entry = { phase: "trained", artifactId: contentId(artifact), attempts: 0 };
      await this.#update(task.id, entry);
      this.#emit({ kind: "trained", taskId: task.id, artifactId: entry.artifactId!, bytes: artifact.length });
    }

    if (entry.phase === "trained") {
      // A crash between the commit and writing our state leaves a commit we must not repeat.
      const existing = (await coordinator.listOwnSubmissions(task.id)).find(
        (s: SubmissionView) => s.commitHash === entry?.artifactId,
      );
      const submission = existing ?? (await coordinator.commit(task.id, entry.artifactId!));
      entry = { ...entry, phase: "committed", submissionId: submission.id };
      await this.#update(task.id, entry);
      this.#emit({ kind: "committed", taskId: task.id, submissionId: submission.id });
    }

    if (entry.phase === "committed") {
      const submissionId = entry.submissionId!;
      const current = (await coordinator.listOwnSubmissions(task.id)).find((s) => s.id === submissionId);
      let status = current?.status;
      if (status === undefined || status === "committed") {
        const artifact = new Uint8Array(await readFile(artifactPath));
        const uploaded = await coordinator.upload(submissionId, artifact, (p) =>
          this.#emit({ kind: "uploading", taskId: task.id, bytes: p.bytes, totalBytes: p.totalBytes }),
        );
        status = uploaded.status;
      }
      await this.#update(task.id, { ...entry, phase: "uploaded", status });
      this.#emit({ kind: "uploaded", taskId: task.id, submissionId, status });
    }
  }

  /**
   * LoRA tasks train with `backend.train`, full fine-tunes with `backend.trainFull`, classifier and regressor
   * tasks with `backend.trainTabular`.
   */
  #requireTrainable(task: TaskView): void {
    const { backend } = this.options;
    const tabular = task.type === "classifier" || task.type === "regressor";
    if (
      task.type === "lm-lora" ||
      (task.type === "lm-full" && backend.trainFull !== undefined) ||
      (tabular && backend.trainTabular !== undefined)
    ) {
      return;
    }
    throw new FlockError(
      "TRAINER_TASK_TYPE_UNSUPPORTED",
      `this trainer's backend cannot train task ${task.id} of type ${task.type}`,
      {
        hint: "run a trainer whose backend trains this type (engineTrainingBackend trains every Arena task type)",
        details: { taskId: task.id, type: task.type },
      },
    );
  }

  #tabularRecipe(): TabularRecipe {
    if (this.options.tabularRecipe !== undefined) return this.options.tabularRecipe;
    const { recipe } = this.options;
    return tabularRecipe(TABULAR_RECIPES[recipe.name] === undefined ? "balanced" : recipe.name, {
      seed: recipe.seed,
    });
  }

  async #update(taskId: number, entry: TrainerTaskState): Promise<void> {
    const state = await this.#state.read();
    state.tasks[String(taskId)] = entry;
    await this.#state.write(state);
  }

  async #recordFailure(taskId: number, error: unknown): Promise<void> {
    const code = error instanceof FlockError ? error.code : "TRAINER_STEP_FAILED";
    const message = error instanceof Error ? error.message : String(error);
    const state = await this.#state.read();
    const previous = state.tasks[String(taskId)] ?? { phase: "pending" };
    const attempts = (previous.attempts ?? 0) + 1;
    const giveUp = attempts >= (this.options.maxAttempts ?? 3);
    this.options.logger?.warn({ taskId, code, message, attempts }, "trainer step failed");
    state.tasks[String(taskId)] = {
      ...previous,
      attempts,
      error: { code, message },
      ...(giveUp ? { phase: "failed" as const } : {}),
    };
    await this.#state.write(state);
    if (giveUp) this.#emit({ kind: "failed", taskId, code, message });
  }

  #emit(event: TrainerEvent): void {
    this.options.onEvent?.(event);
  }
}
