import type { Kysely } from "kysely";
import type { Database } from "./schema.ts";
import { checkChainPosition } from "./stakes.ts";

/** How far each chain indexer has read, so a restart resumes instead of re-reading from genesis. */
export class ChainCursorRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** The last fully indexed block of `name`, or undefined if it never ran. */
  async get(name: string): Promise<number | undefined> {
    const row = await this.#db
      .selectFrom("chain_cursors")
      .select("last_block")
      .where("name", "=", name)
      .executeTakeFirst();
    return row?.last_block;
  }

  /** Move the cursor forward to `block`; never backwards (a stale worker cannot undo progress). */
  async advance(name: string, block: number): Promise<number> {
    checkChainPosition(block, 0);
    const row = await this.#db
      .insertInto("chain_cursors")
      .values({ name, last_block: block })
      .onConflict((conflict) =>
        conflict
          .column("name")
          .doUpdateSet((eb) => ({ last_block: eb.ref("excluded.last_block"), updated_at: new Date() }))
          .where("chain_cursors.last_block", "<", block),
      )
      .returning("last_block")
      .executeTakeFirst();
    return row?.last_block ?? (await this.get(name))!;
  }

  /** Set the cursor to `block`, also backwards: re-index after a chain reorganisation. */
  async reset(name: string, block: number): Promise<void> {
    checkChainPosition(block, 0);
    await this.#db
      .insertInto("chain_cursors")
      .values({ name, last_block: block })
      .onConflict((conflict) =>
        conflict.column("name").doUpdateSet({ last_block: block, updated_at: new Date() }),
      )
      .execute();
  }
}
