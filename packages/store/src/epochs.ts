import { ConflictError, type ContentId, NotFoundError, parseContentId } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database, EpochsTable } from "./schema.ts";
import { normalizeHash32 } from "./values.ts";

/** A settled epoch (SPEC §3 settlement): its report, Merkle roots and the transaction that posted them. */
export interface Epoch {
  number: number;
  taskId: number | null;
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
  taskId: number | null;
  reportId: string;
  reportHash: string;
  liquidRoot: string;
  vestingRoot: string;
}

function toEpoch(row: Selectable<EpochsTable>): Epoch {
  return {
    number: row.number,
    taskId: row.task_id,
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

  /** Record a computed epoch (not yet posted). */
  async record(epoch: NewEpoch): Promise<Epoch> {
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
            task_id: epoch.taskId,
            report_id: parseContentId(epoch.reportId),
            report_hash: normalizeHash32(epoch.reportHash, "reportHash"),
            liquid_root: normalizeHash32(epoch.liquidRoot, "liquidRoot"),
            vesting_root: normalizeHash32(epoch.vestingRoot, "vestingRoot"),
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
    );
    return toEpoch(row);
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
    if (row !== undefined) return toEpoch(row);
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
    return row === undefined ? undefined : toEpoch(row);
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
    return row === undefined ? undefined : toEpoch(row);
  }

  /** Epochs in number order, optionally for one task. */
  async list(filter: { taskId?: number } = {}): Promise<Epoch[]> {
    let query = this.#db.selectFrom("epochs").selectAll().orderBy("number");
    if (filter.taskId !== undefined) query = query.where("task_id", "=", filter.taskId);
    return (await query.execute()).map(toEpoch);
  }

  /** Epochs computed but not yet posted: work left over after a crash. */
  async listUnposted(): Promise<Epoch[]> {
    const rows = await this.#db
      .selectFrom("epochs")
      .selectAll()
      .where("tx_hash", "is", null)
      .orderBy("number")
      .execute();
    return rows.map(toEpoch);
  }
}
