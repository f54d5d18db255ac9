import { AuthError } from "@flock/core";
import type { Kysely } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database } from "./schema.ts";
import { normalizeAddress } from "./values.ts";

/** Request nonces seen from each account, kept until their signed request expires (replay protection). */
export class NonceRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Record a request nonce; AuthError REQUEST_REPLAYED if this account used it before. */
  async record(account: string, nonceAsSent: string, expiresAt: Date): Promise<void> {
    const address = normalizeAddress(account);
    // EIP-712 reads a bytes32 nonce without regard to hex case: one nonce, one spelling.
    const nonce = nonceAsSent.toLowerCase();
    // ON CONFLICT instead of catching the unique violation: inside a PostgreSQL transaction an error
    // would abort the whole transaction.
    const row = await guard({ what: `nonce of ${address}` }, () =>
      this.#db
        .insertInto("request_nonces")
        .values({ account: address, nonce, expires_at: expiresAt })
        .onConflict((conflict) => conflict.columns(["account", "nonce"]).doNothing())
        .returning("nonce")
        .executeTakeFirst(),
    );
    if (row === undefined) {
      throw new AuthError("REQUEST_REPLAYED", "this request was already received (nonce reused)", {
        hint: "sign every request with a fresh random nonce; the SDK does this for you",
        details: { account: address },
      });
    }
  }

  /** Forget nonces whose requests expired before `now` (their timestamps are refused anyway). */
  async pruneExpired(now: Date): Promise<number> {
    const result = await this.#db
      .deleteFrom("request_nonces")
      .where("expires_at", "<", now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
