import type { Kysely, Selectable } from "kysely";
import type { ChainWriteStatus, ChainWritesTable, Database } from "./schema.ts";
import { normalizeHash32 } from "./values.ts";

/**
 * One write the coordinator makes on the chain (create a task, post an epoch's roots, close a task, slash):
 * recorded as an `intent` before it is sent, `sent` with its transaction hash as soon as the node accepted it,
 * and `confirmed` once mined. A write left unconfirmed by a crash is resolved by looking its transaction up
 * (when it was sent) or by reading the chain, never by sending blindly again.
 */
export interface ChainWrite {
  id: number;
  kind: string;
  /** What is written, e.g. `epoch:3:root` or `task:7:closed`: one write per key, however often it is tried. */
  key: string;
  status: ChainWriteStatus;
  txHash: string | null;
  createdAt: Date;
  updatedAt: Date;
}

function toChainWrite(row: Selectable<ChainWritesTable>): ChainWrite {
  return {
    id: row.id,
    kind: row.kind,
    key: row.key,
    status: row.status,
    txHash: row.tx_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The journal of chain writes: intents recorded before sending, confirmed after. */
export class ChainWriteRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Record the intent to write `key` (kept as it is when already recorded, confirmed or not). */
  async intend(write: { kind: string; key: string }): Promise<ChainWrite> {
    await this.#db
      .insertInto("chain_writes")
      .values({ kind: write.kind, key: write.key })
      .onConflict((conflict) => conflict.column("key").doNothing())
      .execute();
    return this.#byKey(write.key);
  }

  /**
   * The write's transaction was accepted by the node (not yet mined): its hash is kept, so after a crash before
   * the receipt the reconciler looks it up. A confirmed write stays confirmed.
   */
  async markSent(key: string, txHash: string): Promise<ChainWrite> {
    await this.#db
      .updateTable("chain_writes")
      .set({ status: "sent", tx_hash: normalizeHash32(txHash, "transaction hash"), updated_at: new Date() })
      .where("key", "=", key)
      .where("status", "!=", "confirmed")
      .execute();
    return this.#byKey(key);
  }

  /** The write is on-chain (sent now, or found done when the chain was read first). */
  async confirm(key: string, txHash: string | null): Promise<ChainWrite> {
    await this.#db
      .updateTable("chain_writes")
      .set((eb) => ({
        status: "confirmed",
        tx_hash: txHash === null ? eb.ref("tx_hash") : normalizeHash32(txHash, "transaction hash"),
        updated_at: new Date(),
      }))
      .where("key", "=", key)
      .execute();
    return this.#byKey(key);
  }

  async find(key: string): Promise<ChainWrite | undefined> {
    const row = await this.#db
      .selectFrom("chain_writes")
      .selectAll()
      .where("key", "=", key)
      .executeTakeFirst();
    return row === undefined ? undefined : toChainWrite(row);
  }

  /** Writes recorded but not confirmed (sent or not before a crash, or still in flight), oldest first. */
  async listUnconfirmed(): Promise<ChainWrite[]> {
    const rows = await this.#db
      .selectFrom("chain_writes")
      .selectAll()
      .where("status", "in", ["intent", "sent"])
      .orderBy("id")
      .execute();
    return rows.map(toChainWrite);
  }

  async #byKey(key: string): Promise<ChainWrite> {
    const row = await this.#db
      .selectFrom("chain_writes")
      .selectAll()
      .where("key", "=", key)
      .executeTakeFirstOrThrow();
    return toChainWrite(row);
  }
}
