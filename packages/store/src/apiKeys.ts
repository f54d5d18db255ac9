import { NotFoundError } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import type { ApiKeysTable, Database } from "./schema.ts";
import { normalizeAddress } from "./values.ts";

/** An API key as stored: never its secret, only the secret's sha256 and a prefix to recognise it by. */
export interface ApiKeyRecord {
  id: number;
  owner: string;
  name: string;
  /** The first characters of the secret (`flk_AbCd…`), shown in listings. */
  prefix: string;
  /** sha256 of the secret, lowercase hex. */
  secretHash: string;
  /** Registry names the key may call; null: every served model. */
  models: string[] | null;
  /** The plan whose subscription the key's calls draw on; null: the owner's prepaid balance. */
  plan: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface NewApiKey {
  owner: string;
  name: string;
  prefix: string;
  secretHash: string;
  models: string[] | null;
  plan: string | null;
}

function toApiKey(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    owner: row.owner,
    name: row.name,
    prefix: row.prefix,
    secretHash: row.secret_hash,
    models: row.models,
    plan: row.plan,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/** API keys of Moonbase's OpenAI-compatible API, looked up by the sha256 of the secret a call presents. */
export class ApiKeyRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(key: NewApiKey): Promise<ApiKeyRecord> {
    const row = await this.#db
      .insertInto("api_keys")
      .values({
        owner: normalizeAddress(key.owner, "owner"),
        name: key.name,
        prefix: key.prefix,
        secret_hash: key.secretHash,
        models: key.models === null ? null : JSON.stringify(key.models),
        plan: key.plan,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toApiKey(row);
  }

  /** The key whose secret hashes to `secretHash` (revoked or not), if any. */
  async bySecretHash(secretHash: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.#db
      .selectFrom("api_keys")
      .selectAll()
      .where("secret_hash", "=", secretHash)
      .executeTakeFirst();
    return row === undefined ? undefined : toApiKey(row);
  }

  /** One key by id; throws API_KEY_NOT_FOUND. */
  async get(id: number): Promise<ApiKeyRecord> {
    const row = Number.isSafeInteger(id)
      ? await this.#db.selectFrom("api_keys").selectAll().where("id", "=", id).executeTakeFirst()
      : undefined;
    if (row === undefined) {
      throw new NotFoundError("API_KEY_NOT_FOUND", `no API key ${id}`, {
        hint: "GET /keys lists your keys and their ids",
        details: { keyId: id },
      });
    }
    return toApiKey(row);
  }

  /** An owner's keys, oldest first, revoked ones included. */
  async listByOwner(owner: string): Promise<ApiKeyRecord[]> {
    const rows = await this.#db
      .selectFrom("api_keys")
      .selectAll()
      .where("owner", "=", normalizeAddress(owner, "owner"))
      .orderBy("id")
      .execute();
    return rows.map(toApiKey);
  }

  /** Revoke a key (idempotent: a revoked key keeps its first revocation time). */
  async revoke(id: number, at: Date): Promise<ApiKeyRecord> {
    await this.#db
      .updateTable("api_keys")
      .set({ revoked_at: at })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .execute();
    return this.get(id);
  }
}
