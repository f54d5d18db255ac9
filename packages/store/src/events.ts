import { type Kysely, type Selectable, sql } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database, EventsTable } from "./schema.ts";
import { inTransaction, pageLimit } from "./values.ts";

/** One entry of the append-only event log that feeds live updates (SSE) and lets clients catch up. */
export interface FlockEvent {
  id: number;
  type: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

// Any fixed number: the advisory lock that orders event appends.
const EVENT_APPEND_LOCK = 0x666c6f636b;

function toEvent(row: Selectable<EventsTable>): FlockEvent {
  return { id: row.id, type: row.type, payload: row.payload, createdAt: row.created_at };
}

/** The event log. */
export class EventRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Append an event. Appends are serialized by a transaction-scoped advisory lock, so ids become
   * visible in increasing order: a reader resuming "after id N" never skips an event that committed late.
   */
  async append(type: string, payload: Record<string, unknown>): Promise<FlockEvent> {
    return inTransaction(this.#db, async (trx) => {
      await sql`select pg_advisory_xact_lock(${EVENT_APPEND_LOCK})`.execute(trx);
      const row = await guard({ what: `event ${type}` }, () =>
        trx
          .insertInto("events")
          .values({ type, payload: JSON.stringify(payload) })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return toEvent(row);
    });
  }

  /** Events after `afterId` (0 for the start), oldest first, optionally of some types only. */
  async listAfter(
    afterId: number,
    options: { limit?: number; types?: string[] } = {},
  ): Promise<FlockEvent[]> {
    let query = this.#db
      .selectFrom("events")
      .selectAll()
      .where("id", ">", afterId)
      .orderBy("id")
      .limit(pageLimit(options.limit));
    if (options.types !== undefined) {
      if (options.types.length === 0) return [];
      query = query.where("type", "in", options.types);
    }
    return (await query.execute()).map(toEvent);
  }

  /** The id of the newest event, 0 when the log is empty. */
  async latestId(): Promise<number> {
    const row = await this.#db
      .selectFrom("events")
      .select(sql<number>`coalesce(max(id), 0)`.as("id"))
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }
}
