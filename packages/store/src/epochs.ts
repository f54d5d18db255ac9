import { ConflictError, type ContentId, NotFoundError, parseContentId } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database, EpochsTable } from "./schema.ts";
import { normalizeHash32 } from "./values.ts";

/**
 * A settled epoch (SPEC §3 settlement): one period of the emission clock, with every task finalized within it, the
 * emission mint that funds it, its report, Merkle roots and the transaction that posted them.
 */
export interface Epoch {
  number: number;
  /** The tasks settled in this epoch, ascending. */
  tasks: number[];
  /** The emission mint whose FLOCK this epoch distributes; null when no unused mint was left (pools only). */
  mintIndex: bigint | null;
  /** Content id of the canonical epoch report in the artifact store. */
  reportId: ContentId;
  /** The report hash posted on-chain. */
  reportHash: `0x${string}`;
  liquidRoot: `0x${string}`;
  vestingRoot: `0x${string}`;
  txHash: `0x${string}` | null;
  postedAt: Date | null;
  createdAt: Date;
}

export interface NewEpoch {
  number: number;
  /** The tasks it settles: each task is settled in one epoch at most. */
  tasks: readonly number[];
  mintIndex: bigint | null;
  reportId: string;
  reportHash: string;
  liquidRoot: string;
  vestingRoot: string;
}

function toEpoch(row: Selectable<EpochsTable>, tasks: number[]): Epoch {
  return {
    number: row.number,
    tasks,
    mintIndex: row.mint_index === null ? null : BigInt(row.mint_index),
    reportId: parseContentId(row.report_id),
    reportHash: row.report_hash as `0x${string}`,
    liquidRoot: row.liquid_root as `0x${string}`,
    vestingRoot: row.vesting_root as `0x${string}`,
    txHash: row.tx_hash as `0x${string}` | null,
    postedAt: row.posted_at,
    createdAt: row.created_at,
  };
}

/** Epochs: recorded when computed, marked posted once the chain accepted the roots. */
export class EpochRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Record a computed epoch (not yet posted) with its tasks; a task already in an epoch is refused. */
  async record(epoch: NewEpoch): Promise<Epoch> {
    const tasks = [...new Set(epoch.tasks)].sort((a, b) => a - b);
    const row = await guard(
      {
        what: `epoch ${epoch.number}`,
        onUnique: () =>
          new ConflictError("EPOCH_EXISTS", `epoch ${epoch.number} is already recorded`, {
            hint: "epochs are immutable once recorded; use the next epoch number",
          }),
      },
      () =>
        this.#db
          .insertInto("epochs")
          .values({
            number: epoch.number,
            task_id: null,
            mint_index: epoch.mintIndex === null ? null : epoch.mintIndex.toString(),
            report_id: parseContentId(epoch.reportId),
            report_hash: normalizeHash32(epoch.reportHash, "reportHash"),
            liquid_root: normalizeHash32(epoch.liquidRoot, "liquidRoot"),
            vesting_root: normalizeHash32(epoch.vestingRoot, "vestingRoot"),
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
    );
    if (tasks.length > 0) {
      await guard(
        {
          what: `the tasks of epoch ${epoch.number}`,
          onUnique: () =>
            new ConflictError(
              "TASK_ALREADY_SETTLED",
              `a task of epoch ${epoch.number} is already in an epoch`,
              {
                hint: "a task is settled once; read GET /epochs?taskId=<id> to find its epoch",
                details: { epoch: epoch.number, tasks },
              },
            ),
        },
        () =>
          this.#db
            .insertInto("epoch_tasks")
            .values(tasks.map((taskId) => ({ task_id: taskId, epoch: epoch.number })))
            .execute(),
      );
    }
    return toEpoch(row, tasks);
  }

  /** The tasks of each of `numbers` (ascending per epoch). */
  async #tasksOf(numbers: readonly number[]): Promise<Map<number, number[]>> {
    const byEpoch = new Map<number, number[]>(numbers.map((n) => [n, []]));
    if (numbers.length === 0) return byEpoch;
    const rows = await this.#db
      .selectFrom("epoch_tasks")
      .select(["epoch", "task_id"])
      .where("epoch", "in", [...numbers])
      .orderBy("task_id")
      .execute();
    for (const row of rows) byEpoch.get(row.epoch)?.push(row.task_id);
    return byEpoch;
  }

  async #withTasks(rows: Selectable<EpochsTable>[]): Promise<Epoch[]> {
    const tasks = await this.#tasksOf(rows.map((r) => r.number));
    return rows.map((row) => toEpoch(row, tasks.get(row.number) ?? []));
  }

  /** The epoch that settled a task, if any. */
  async ofTask(taskId: number): Promise<Epoch | undefined> {
    const link = await this.#db
      .selectFrom("epoch_tasks")
      .select("epoch")
      .where("task_id", "=", taskId)
      .executeTakeFirst();
    return link === undefined ? undefined : this.find(link.epoch);
  }

  /** Mint indexes already used by recorded epochs (each mint funds one epoch at most). */
  async usedMints(): Promise<Set<bigint>> {
    const rows = await this.#db
      .selectFrom("epochs")
      .select("mint_index")
      .where("mint_index", "is not", null)
      .execute();
    return new Set(rows.map((r) => BigInt(r.mint_index!)));
  }

  /** Mark an epoch posted on-chain; posting twice is refused. */
  async markPosted(number: number, posted: { txHash: string; postedAt: Date }): Promise<Epoch> {
    const row = await this.#db
      .updateTable("epochs")
      .set({ tx_hash: normalizeHash32(posted.txHash, "txHash"), posted_at: posted.postedAt })
      .where("number", "=", number)
      .where("tx_hash", "is", null)
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return (await this.#withTasks([row]))[0]!;
    const current = await this.get(number);
    throw new ConflictError(
      "EPOCH_ALREADY_POSTED",
      `epoch ${number} was already posted in ${current.txHash}`,
      {
        hint: "an epoch's roots are posted once; read the epoch to see its transaction",
        details: { epoch: number, txHash: current.txHash },
      },
    );
  }

  async find(number: number): Promise<Epoch | undefined> {
    const row = await this.#db
      .selectFrom("epochs")
      .selectAll()
      .where("number", "=", number)
      .executeTakeFirst();
    return row === undefined ? undefined : (await this.#withTasks([row]))[0];
  }

  /** The epoch; NotFoundError EPOCH_NOT_FOUND when missing. */
  async get(number: number): Promise<Epoch> {
    const epoch = await this.find(number);
    if (epoch === undefined) {
      throw new NotFoundError("EPOCH_NOT_FOUND", `epoch ${number} does not exist`, {
        hint: "list epochs to see which were settled",
        details: { epoch: number },
      });
    }
    return epoch;
  }

  /** The highest-numbered epoch, or undefined before the first. */
  async latest(): Promise<Epoch | undefined> {
    const row = await this.#db
      .selectFrom("epochs")
      .selectAll()
      .orderBy("number", "desc")
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : (await this.#withTasks([row]))[0];
  }

  /** Epochs in number order, optionally the one that settled a task. */
  async list(filter: { taskId?: number } = {}): Promise<Epoch[]> {
    let query = this.#db.selectFrom("epochs").selectAll("epochs").orderBy("number");
    if (filter.taskId !== undefined) {
      const taskId = filter.taskId;
      query = query.where("number", "in", (eb) =>
        eb.selectFrom("epoch_tasks").select("epoch").where("task_id", "=", taskId),
      );
    }
    return this.#withTasks(await query.execute());
  }

  /** Epochs computed but not yet posted: work left over after a crash. */
  async listUnposted(): Promise<Epoch[]> {
    const rows = await this.#db
      .selectFrom("epochs")
      .selectAll()
      .where("tx_hash", "is", null)
      .orderBy("number")
      .execute();
    return this.#withTasks(rows);
  }
}
