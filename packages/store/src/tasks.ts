import {
  ConflictError,
  type ContentId,
  NotFoundError,
  parseContentId,
  toAmount,
  ValidationError,
} from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database, TaskKind, TaskStatus, TasksTable, TaskType } from "./schema.ts";
import { amountText, normalizeAddress, type Page, type PageOptions, pageLimit, toPage } from "./values.ts";

/** A training task (SPEC §2.1). */
export interface Task {
  id: number;
  title: string;
  description: string;
  type: TaskType;
  baseModel: string;
  contextLength: number;
  maxTrainableParams: number;
  trainingSetId: ContentId;
  /** sha256 of the hidden validation set, fixed at creation; revealed after finalization for audits. */
  validationCommitment: ContentId;
  hiddenValidationSetId: ContentId | null;
  submissionDeadline: Date;
  endTime: Date;
  rewardWeight: bigint;
  minStake: bigint;
  minLockDays: number;
  status: TaskStatus;
  creator: string;
  createdAt: Date;
  updatedAt: Date;
  /** `arena`, or `federated` (FL Alliance: its own terms are in the FL repository). */
  kind: TaskKind;
}

export interface NewTask {
  title: string;
  description: string;
  type: TaskType;
  baseModel: string;
  contextLength: number;
  maxTrainableParams: number;
  trainingSetId: string;
  validationCommitment: string;
  hiddenValidationSetId?: string | null;
  submissionDeadline: Date;
  endTime: Date;
  rewardWeight: bigint;
  minStake: bigint;
  minLockDays: number;
  /** `draft` (default) or `open`. */
  status?: "draft" | "open";
  creator: string;
  /** `arena` (default) or `federated`. */
  kind?: TaskKind;
}

export interface TaskFilter extends PageOptions {
  status?: TaskStatus | TaskStatus[];
  kind?: TaskKind;
  creator?: string;
}

const NEXT_STATUS: Record<TaskStatus, readonly TaskStatus[]> = {
  draft: ["open", "cancelled"],
  open: ["validating"],
  validating: ["finalized"],
  finalized: ["closed"],
  closed: [],
  cancelled: [],
};

/** SPEC §2.1 lifecycle: draft → open → validating → finalized → closed, one step at a time. */
export function canTransitionTask(from: TaskStatus, to: TaskStatus): boolean {
  return NEXT_STATUS[from].includes(to);
}

function toTask(row: Selectable<TasksTable>): Task {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    type: row.type,
    baseModel: row.base_model,
    contextLength: row.context_length,
    maxTrainableParams: row.max_trainable_params,
    trainingSetId: parseContentId(row.training_set_id),
    validationCommitment: parseContentId(row.validation_commitment),
    hiddenValidationSetId:
      row.hidden_validation_set_id === null ? null : parseContentId(row.hidden_validation_set_id),
    submissionDeadline: row.submission_deadline,
    endTime: row.end_time,
    rewardWeight: toAmount(row.reward_weight, "reward_weight"),
    minStake: toAmount(row.min_stake, "min_stake"),
    minLockDays: row.min_lock_days,
    status: row.status,
    creator: row.creator,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    kind: row.kind,
  };
}

function taskNotFound(id: number): NotFoundError {
  return new NotFoundError("TASK_NOT_FOUND", `task ${id} does not exist`, {
    hint: "list tasks to find a valid id",
    details: { taskId: id },
  });
}

/** Tasks: creation, reads with filters and paging, and lifecycle transitions. */
export class TaskRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Store a new task (status `draft` unless `open` is asked for). */
  async create(task: NewTask): Promise<Task> {
    if (task.endTime.getTime() < task.submissionDeadline.getTime()) {
      throw new ValidationError("TASK_END_BEFORE_DEADLINE", "the task ends before its submission deadline", {
        hint: "set endTime at or after submissionDeadline: validation happens between the two",
      });
    }
    // The database numbers tasks; the coordinator registers the same id on-chain (TaskStaking.createTask).
    const row = await guard({ what: "task" }, () =>
      this.#db
        .insertInto("tasks")
        .values({
          title: task.title,
          description: task.description,
          type: task.type,
          base_model: task.baseModel,
          context_length: task.contextLength,
          max_trainable_params: task.maxTrainableParams,
          training_set_id: parseContentId(task.trainingSetId),
          validation_commitment: parseContentId(task.validationCommitment),
          hidden_validation_set_id:
            task.hiddenValidationSetId == null ? null : parseContentId(task.hiddenValidationSetId),
          submission_deadline: task.submissionDeadline,
          end_time: task.endTime,
          reward_weight: amountText(task.rewardWeight, "rewardWeight"),
          min_stake: amountText(task.minStake, "minStake"),
          min_lock_days: task.minLockDays,
          status: task.status ?? "draft",
          creator: normalizeAddress(task.creator, "creator"),
          kind: task.kind ?? "arena",
        })
        .returningAll()
        .executeTakeFirstOrThrow(),
    );
    return toTask(row);
  }

  /**
   * Tasks that used `contentId` as their hidden set: committed to it, or uploaded it (SPEC §2.1: a hidden
   * set is revealed after finalization, so a set used once can never be hidden again).
   */
  async usingHiddenSet(contentId: string): Promise<Task[]> {
    const id = parseContentId(contentId);
    const rows = await this.#db
      .selectFrom("tasks")
      .selectAll()
      .where((eb) => eb.or([eb("validation_commitment", "=", id), eb("hidden_validation_set_id", "=", id)]))
      .orderBy("id")
      .execute();
    return rows.map(toTask);
  }

  /** The task, or undefined. */
  async find(id: number): Promise<Task | undefined> {
    const row = await this.#db.selectFrom("tasks").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? undefined : toTask(row);
  }

  /** The task; NotFoundError TASK_NOT_FOUND when missing. */
  async get(id: number): Promise<Task> {
    const task = await this.find(id);
    if (task === undefined) throw taskNotFound(id);
    return task;
  }

  /** Tasks in id order, filtered by status and creator, one page at a time. */
  async list(filter: TaskFilter = {}): Promise<Page<Task>> {
    const limit = pageLimit(filter.limit);
    let query = this.#db
      .selectFrom("tasks")
      .selectAll()
      .orderBy("id")
      .limit(limit + 1);
    if (filter.after !== undefined) query = query.where("id", ">", filter.after);
    if (filter.status !== undefined) {
      const statuses = Array.isArray(filter.status) ? filter.status : [filter.status];
      if (statuses.length === 0) return { items: [], next: undefined };
      query = query.where("status", "in", statuses);
    }
    if (filter.kind !== undefined) query = query.where("kind", "=", filter.kind);
    if (filter.creator !== undefined)
      query = query.where("creator", "=", normalizeAddress(filter.creator, "creator"));
    const rows = await query.execute();
    return toPage(rows.map(toTask), limit, (task) => task.id);
  }

  /** Whether any task committed to this content as its hidden validation set (such bytes are never public). */
  async isHiddenSet(id: string): Promise<boolean> {
    const parsed = parseContentId(id);
    const row = await this.#db
      .selectFrom("tasks")
      .select("id")
      .where((eb) =>
        eb.or([eb("validation_commitment", "=", parsed), eb("hidden_validation_set_id", "=", parsed)]),
      )
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Record the hidden validation set's content id (known to the coordinator, never served without an assignment). */
  async setHiddenValidationSet(id: number, contentId: string): Promise<Task> {
    const row = await this.#db
      .updateTable("tasks")
      .set({ hidden_validation_set_id: parseContentId(contentId), updated_at: new Date() })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw taskNotFound(id);
    return toTask(row);
  }

  /**
   * Move a task to its next lifecycle status. The update only applies if the task is still in the
   * status it was read in, so two schedulers racing on one deadline cannot both succeed.
   */
  async transition(id: number, to: TaskStatus): Promise<Task> {
    const current = await this.get(id);
    if (!canTransitionTask(current.status, to)) {
      throw new ConflictError(
        "TASK_TRANSITION_INVALID",
        `task ${id} cannot go from ${current.status} to ${to}`,
        {
          hint: "tasks move draft → open → validating → finalized → closed, one step at a time",
          details: { taskId: id, from: current.status, to },
        },
      );
    }
    const row = await this.#db
      .updateTable("tasks")
      .set({ status: to, updated_at: new Date() })
      .where("id", "=", id)
      .where("status", "=", current.status)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) {
      throw new ConflictError("TASK_CHANGED", `task ${id} changed status while moving it to ${to}`, {
        hint: "read the task again; another worker moved it first",
        details: { taskId: id, from: current.status, to },
      });
    }
    return toTask(row);
  }
}
