import { ConflictError } from "@flock/core";
import type { Kysely } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database } from "./schema.ts";
import { amountText, normalizeAddress, normalizeHash32 } from "./values.ts";

/** One staker's stake as frozen at a task's submission deadline (TaskStaking.snapshotStakeOf). */
export interface FrozenStake {
  account: string;
  role: "trainer" | "validator";
  amount: bigint;
}

/**
 * A task's stake snapshot (SPEC §2.1: stakes that count are frozen at the submission deadline): the first block
 * after the deadline, whose hash also seeds the validator draw, and every staker's frozen stake.
 */
export interface TaskSnapshot {
  taskId: number;
  blockNumber: bigint;
  blockHash: `0x${string}`;
  blockTime: Date;
  stakes: FrozenStake[];
}

/** Stake snapshots: taken once per task, never changed (consensus, disputes and rewards read only these). */
export class SnapshotRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Record a task's snapshot; a second, different snapshot of the same task is refused. */
  async record(
    snapshot: Omit<TaskSnapshot, "stakes"> & { stakes: readonly FrozenStake[] },
  ): Promise<TaskSnapshot> {
    const existing = await this.find(snapshot.taskId);
    if (existing !== undefined) {
      if (existing.blockNumber === snapshot.blockNumber) return existing;
      throw new ConflictError(
        "SNAPSHOT_EXISTS",
        `task ${snapshot.taskId}'s stakes were frozen at block ${existing.blockNumber}`,
        {
          hint: "a task's stake snapshot is taken once, at the first block after its submission deadline",
          details: { taskId: snapshot.taskId, blockNumber: existing.blockNumber.toString() },
        },
      );
    }
    await guard({ what: `the stake snapshot of task ${snapshot.taskId}` }, async () => {
      await this.#db
        .insertInto("task_snapshots")
        .values({
          task_id: snapshot.taskId,
          block_number: amountText(snapshot.blockNumber, "blockNumber"),
          block_hash: normalizeHash32(snapshot.blockHash, "blockHash"),
          block_time: snapshot.blockTime,
        })
        .execute();
      if (snapshot.stakes.length > 0) {
        await this.#db
          .insertInto("stake_snapshots")
          .values(
            snapshot.stakes.map((s) => ({
              task_id: snapshot.taskId,
              account: normalizeAddress(s.account),
              role: s.role,
              amount: amountText(s.amount),
            })),
          )
          .execute();
      }
    });
    return (await this.find(snapshot.taskId))!;
  }

  /** A task's snapshot, or undefined before its deadline's block. */
  async find(taskId: number): Promise<TaskSnapshot | undefined> {
    const row = await this.#db
      .selectFrom("task_snapshots")
      .selectAll()
      .where("task_id", "=", taskId)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const stakes = await this.#db
      .selectFrom("stake_snapshots")
      .select(["account", "role", "amount"])
      .where("task_id", "=", taskId)
      .orderBy("account")
      .execute();
    return {
      taskId,
      blockNumber: BigInt(row.block_number),
      blockHash: row.block_hash as `0x${string}`,
      blockTime: row.block_time,
      stakes: stakes.map((s) => ({ account: s.account, role: s.role, amount: BigInt(s.amount) })),
    };
  }
}
