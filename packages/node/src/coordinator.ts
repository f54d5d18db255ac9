/**
 * What the daemons need from a coordinator, in the daemons' words. `sdkCoordinator` implements it over
 * the HTTP API with signed requests; the daemons never see HTTP.
 */

/** The Arena's task types (core's wire `TaskType`). */
export type TaskType = "lm-lora" | "lm-full" | "classifier" | "regressor";

/** The parts of a task a participant acts on. */
export interface TaskView {
  id: number;
  title: string;
  status: string;
  /** The task type (SPEC §2.1): what is trained and how it is scored. */
  type: TaskType;
  /** Content id of the base model file (`flock-llama/1`, or `flock-tabular-mlp/1` for tabular types). */
  baseModel: string;
  /** Content id of the public training set (ShareGPT JSONL, or CSV for classifier and regressor tasks). */
  trainingSetId: string;
  /** sha256 content id of the hidden validation set, fixed at creation. */
  validationCommitment: string;
  /** Tokens per conversation of a language task; ignored by classifier and regressor tasks. */
  contextLength: number;
  maxTrainableParams: number;
  submissionDeadline: Date;
  /** The task's end: the validation deadline. Scores are committed before it and revealed after it. */
  endTime: Date;
}

/** A submission as the coordinator records it. */
export interface SubmissionView {
  id: number;
  taskId: number;
  trainer: string;
  commitHash: string;
  status: string;
}

/** Upload or download progress, in bytes. */
export interface TransferProgress {
  bytes: number;
  totalBytes: number;
}

export interface TrainerCoordinator {
  /** The trainer's address (lowercase). */
  readonly account: string;
  /** Tasks in a status: `open` ones take commits; `validating` ones still take uploads of earlier commits. */
  listTasks(status: "open" | "validating"): Promise<TaskView[]>;
  /** Whether the account holds a trainer stake on the task (read from the chain). */
  isStakedTrainer(taskId: number): Promise<boolean>;
  /** Public artifacts: base models and training sets; `onProgress` follows the bytes as they arrive. */
  fetchArtifact(id: string, onProgress?: (progress: TransferProgress) => void): Promise<Uint8Array>;
  /** This trainer's submissions to a task (to resume after a crash between commit and upload). */
  listOwnSubmissions(taskId: number): Promise<SubmissionView[]>;
  commit(taskId: number, commitHash: string): Promise<SubmissionView>;
  upload(
    submissionId: number,
    artifact: Uint8Array,
    onProgress?: (progress: TransferProgress) => void,
  ): Promise<SubmissionView>;
}

/** One duty to score one submission. */
export interface AssignmentView {
  id: number;
  submissionId: number;
  taskId: number;
  deadline: Date;
}

/** What a validator receives with an assignment: the submission, its task and the hidden set. */
export interface AssignmentBundle {
  assignment: AssignmentView;
  task: TaskView;
  submission: SubmissionView & { artifactId: string; size: number };
  /** The hidden validation set (ShareGPT JSONL, or CSV for tabular tasks) as bytes, to check against the task's commitment. */
  validationSet: Uint8Array;
}

export interface ValidatorCoordinator {
  readonly account: string;
  /** Ask for work: the validator's open assignments (the coordinator may assign new ones). */
  requestAssignments(): Promise<AssignmentView[]>;
  openAssignment(assignmentId: number): Promise<AssignmentBundle>;
  /** Public artifacts: the task's base model; `onProgress` follows the bytes as they arrive. */
  fetchArtifact(id: string, onProgress?: (progress: TransferProgress) => void): Promise<Uint8Array>;
  /** The assigned submission's artifact bytes; more than `maxBytes` is refused without reading it all. */
  fetchAssignedArtifact(assignmentId: number, maxBytes: number): Promise<Uint8Array>;
  /** Commit to a score before the task's end (SPEC §2.1 commit-reveal): core's `scoreCommitment`. */
  commitScore(assignmentId: number, commitment: string): Promise<void>;
  /** Reveal the committed fixed-point score with its salt and evidence, after the task's end. */
  revealScore(
    assignmentId: number,
    reveal: { score: bigint; salt: string; evidence: Record<string, unknown> },
  ): Promise<void>;
  /**
   * Refuse an assignment, with the reason recorded by the coordinator: only when the coordinator served bytes
   * other than the committed ones (an unscorable artifact is scored the worst score, not refused). The
   * submission goes to another validator and the refusal can be disputed.
   */
  refuse(assignmentId: number, reason: { code: string; message: string }): Promise<void>;
}
