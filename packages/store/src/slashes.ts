import { ConflictError, type ContentId, parseContentId, toAmount, ValidationError } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database, SlashesTable } from "./schema.ts";
import { amountText, normalizeAddress } from "./values.ts";

/** A slash for a proven fault (SPEC §3: copied submission, dishonest score, failed duty). */
export interface Slash {
  id: number;
  epoch: number | null;
  taskId: number;
  account: string;
  amount: bigint;
  reason: string;
  /** Content id of the evidence in the artifact store. */
  evidenceId: ContentId;
  /** Who proved the fault (paid 10% of the slash, SPEC §3), or null when the coordinator found it. */
  prover: string | null;
  createdAt: Date;
}

export interface NewSlash {
  epoch: number | null;
  taskId: number;
  account: string;
  amount: bigint;
  reason: string;
  evidenceId: string;
  prover?: string | null;
}

function toSlash(row: Selectable<SlashesTable>): Slash {
  return {
    id: row.id,
    epoch: row.epoch,
    taskId: row.task_id,
    account: row.account,
    amount: toAmount(row.amount, "slash amount"),
    reason: row.reason,
    evidenceId: parseContentId(row.evidence_id),
    prover: row.prover,
    createdAt: row.created_at,
  };
}

/** Slashes: one per (task, account, evidence), so the same proof never slashes twice. */
export class SlashRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async record(slash: NewSlash): Promise<Slash> {
    if (slash.amount <= 0n) {
      throw new ValidationError("SLASH_AMOUNT_INVALID", "a slash must take a positive amount", {
        hint: "compute the slash with protocol's slashing rules; skip faults that cost nothing",
      });
    }
    const row = await guard(
      {
        what: `slash of ${slash.account}`,
        onUnique: () =>
          new ConflictError("SLASH_EXISTS", `${slash.account} was already slashed on this evidence`, {
            hint: "one piece of evidence slashes once",
          }),
      },
      () =>
        this.#db
          .insertInto("slashes")
          .values({
            epoch: slash.epoch,
            task_id: slash.taskId,
            account: normalizeAddress(slash.account),
            amount: amountText(slash.amount),
            reason: slash.reason,
            evidence_id: parseContentId(slash.evidenceId),
            prover: slash.prover == null ? null : normalizeAddress(slash.prover, "prover"),
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
    );
    return toSlash(row);
  }

  /** Slashes filtered by task, epoch and account, oldest first. */
  async list(filter: { taskId?: number; epoch?: number; account?: string } = {}): Promise<Slash[]> {
    let query = this.#db.selectFrom("slashes").selectAll().orderBy("id");
    if (filter.taskId !== undefined) query = query.where("task_id", "=", filter.taskId);
    if (filter.epoch !== undefined) query = query.where("epoch", "=", filter.epoch);
    if (filter.account !== undefined) query = query.where("account", "=", normalizeAddress(filter.account));
    return (await query.execute()).map(toSlash);
  }
}
