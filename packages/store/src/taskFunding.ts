import { ConflictError, NotFoundError } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database, TaskFundingTable } from "./schema.ts";
import { amountText, normalizeAddress } from "./values.ts";

/**
 * How a task is paid (SPEC §3): the reward pool its creator funds on-chain (RewardDistributor.fundTask), and the
 * share of the Arena emission (a weight) that an operator approved for it. A task with neither pays nothing.
 */
export interface TaskFunding {
  taskId: number;
  /** FLOCK the creator must fund on-chain before the task opens (0: none). */
  pool: bigint;
  /** Emission weight an operator approved; null when not approved (the task is paid by its pool only). */
  approvedWeight: bigint | null;
  approvedBy: string | null;
  approvedAt: Date | null;
}

function toFunding(row: Selectable<TaskFundingTable>): TaskFunding {
  return {
    taskId: row.task_id,
    pool: BigInt(row.pool),
    approvedWeight: row.approved_weight === null ? null : BigInt(row.approved_weight),
    approvedBy: row.approved_by,
    approvedAt: row.approved_at,
  };
}

export class TaskFundingRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Record the pool a new task asks its creator to fund. */
  async create(taskId: number, pool: bigint): Promise<TaskFunding> {
    const row = await guard(
      {
        what: `funding of task ${taskId}`,
        onUnique: () =>
          new ConflictError("TASK_FUNDING_EXISTS", `task ${taskId} already has its funding terms`, {
            hint: "a task's pool is fixed when it is created",
          }),
      },
      () =>
        this.#db
          .insertInto("task_funding")
          .values({ task_id: taskId, pool: amountText(pool, "pool") })
          .returningAll()
          .executeTakeFirstOrThrow(),
    );
    return toFunding(row);
  }

  /** Approve an emission weight for a task (an operator's decision, recorded with who made it). */
  async approve(taskId: number, approval: { weight: bigint; by: string; at: Date }): Promise<TaskFunding> {
    const row = await this.#db
      .updateTable("task_funding")
      .set({
        approved_weight: amountText(approval.weight, "weight"),
        approved_by: normalizeAddress(approval.by),
        approved_at: approval.at,
      })
      .where("task_id", "=", taskId)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw missing(taskId);
    return toFunding(row);
  }

  async find(taskId: number): Promise<TaskFunding | undefined> {
    const row = await this.#db
      .selectFrom("task_funding")
      .selectAll()
      .where("task_id", "=", taskId)
      .executeTakeFirst();
    return row === undefined ? undefined : toFunding(row);
  }

  async get(taskId: number): Promise<TaskFunding> {
    const funding = await this.find(taskId);
    if (funding === undefined) throw missing(taskId);
    return funding;
  }
}

function missing(taskId: number): NotFoundError {
  return new NotFoundError("TASK_FUNDING_NOT_FOUND", `task ${taskId} has no funding terms`, {
    hint: "tasks created before funded pools existed are paid by their emission weight",
    details: { taskId },
  });
}
