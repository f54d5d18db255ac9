import { ConflictError, toAmount, ValidationError } from "@flock/core";
import { type Kysely, type Selectable, sql } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database, StakeRole, StakesTable } from "./schema.ts";
import { amountText, normalizeAddress } from "./values.ts";

/** An account's current stake on a task, indexed from TaskStaking events. */
export interface Stake {
  taskId: number;
  account: string;
  role: StakeRole;
  amount: bigint;
  /** Position of the chain event that set this amount. */
  blockNumber: number;
  logIndex: number;
}

/** A chain event that sets a stake's total (Staked.totalStake, StakeSeized.remainingStake, Withdrawn → 0). */
export interface StakeEvent {
  taskId: number;
  account: string;
  role: StakeRole;
  /** The stake's total after the event (not the delta), so replays and reordering are harmless. */
  amount: bigint;
  blockNumber: number;
  logIndex: number;
}

function toStake(row: Selectable<StakesTable>): Stake {
  return {
    taskId: row.task_id,
    account: row.account,
    role: row.role,
    amount: toAmount(row.amount, "stake"),
    blockNumber: row.block_number,
    logIndex: row.log_index,
  };
}

export function checkChainPosition(blockNumber: number, logIndex: number): void {
  if (
    !Number.isSafeInteger(blockNumber) ||
    blockNumber < 0 ||
    !Number.isSafeInteger(logIndex) ||
    logIndex < 0
  ) {
    throw new ValidationError(
      "CHAIN_POSITION_INVALID",
      `block ${blockNumber} / log ${logIndex} is not a chain position`,
      {
        hint: "pass the event's blockNumber and logIndex as non-negative integers",
      },
    );
  }
}

/** The stake index: the chain is the truth, this table is its queryable copy. */
export class StakeRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Apply a stake event idempotently: it only replaces a stake set by an earlier (block, log index), so
   * re-indexing a range or receiving events out of order converges to the chain's state. Returns whether
   * the event changed the index. An event with the other role is refused (one role per task [FLock]).
   */
  async applyEvent(event: StakeEvent): Promise<{ applied: boolean; stake: Stake }> {
    checkChainPosition(event.blockNumber, event.logIndex);
    const account = normalizeAddress(event.account);
    const row = await guard({ what: `stake of ${account} on task ${event.taskId}` }, () =>
      this.#db
        .insertInto("stakes")
        .values({
          task_id: event.taskId,
          account,
          role: event.role,
          amount: amountText(event.amount),
          block_number: event.blockNumber,
          log_index: event.logIndex,
        })
        .onConflict((conflict) =>
          conflict
            .columns(["task_id", "account"])
            .doUpdateSet((eb) => ({
              amount: eb.ref("excluded.amount"),
              block_number: eb.ref("excluded.block_number"),
              log_index: eb.ref("excluded.log_index"),
            }))
            .where(
              sql<boolean>`(stakes.block_number, stakes.log_index) < (excluded.block_number, excluded.log_index)`,
            )
            .where("stakes.role", "=", event.role),
        )
        .returningAll()
        .executeTakeFirst(),
    );
    if (row !== undefined) return { applied: true, stake: toStake(row) };
    const current = await this.get(event.taskId, account);
    if (current !== undefined && current.role !== event.role) {
      throw new ConflictError(
        "STAKE_ROLE_CONFLICT",
        `${account} already stakes on task ${event.taskId} as ${current.role}`,
        {
          hint: "one account takes one role per task; check the indexer reads the right contract",
          details: { taskId: event.taskId, account, role: current.role, eventRole: event.role },
        },
      );
    }
    return { applied: false, stake: current! };
  }

  /** The account's stake on a task, or undefined if it never staked. */
  async get(taskId: number, account: string): Promise<Stake | undefined> {
    const row = await this.#db
      .selectFrom("stakes")
      .selectAll()
      .where("task_id", "=", taskId)
      .where("account", "=", normalizeAddress(account))
      .executeTakeFirst();
    return row === undefined ? undefined : toStake(row);
  }

  /** Positive stakes on a task, optionally of one role, by account. */
  async listForTask(taskId: number, role?: StakeRole): Promise<Stake[]> {
    let query = this.#db
      .selectFrom("stakes")
      .selectAll()
      .where("task_id", "=", taskId)
      .where("amount", ">", "0")
      .orderBy("account");
    if (role !== undefined) query = query.where("role", "=", role);
    return (await query.execute()).map(toStake);
  }

  /** Positive stakes of an account across tasks. */
  async listForAccount(account: string): Promise<Stake[]> {
    const rows = await this.#db
      .selectFrom("stakes")
      .selectAll()
      .where("account", "=", normalizeAddress(account))
      .where("amount", ">", "0")
      .orderBy("task_id")
      .execute();
    return rows.map(toStake);
  }

  /** Total trainer and validator stake on a task (T and V of SPEC §3's role split). */
  async totals(taskId: number): Promise<{ trainer: bigint; validator: bigint }> {
    const rows = await this.#db
      .selectFrom("stakes")
      .select(["role", sql<string>`sum(amount)::text`.as("total")])
      .where("task_id", "=", taskId)
      .groupBy("role")
      .execute();
    const totals = { trainer: 0n, validator: 0n };
    for (const row of rows) totals[row.role] = toAmount(row.total, "stake total");
    return totals;
  }
}
