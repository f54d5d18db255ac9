import { type ContentId, NotFoundError, parseContentId, StorageError } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { guard } from "./dbErrors.ts";
import type { ArtifactsTable, Database } from "./schema.ts";

/** What the database knows about a stored artifact (the bytes live in the artifact store). */
export interface ArtifactRecord {
  id: ContentId;
  size: number;
  mediaType: string;
  createdAt: Date;
  /** Served to anyone by content id (base models, training sets, epoch reports); never a hidden set. */
  public: boolean;
  /** Who published it, when public. */
  publishedBy: string | null;
}

function toRecord(row: Selectable<ArtifactsTable>): ArtifactRecord {
  return {
    id: parseContentId(row.id),
    size: row.size,
    mediaType: row.media_type,
    createdAt: row.created_at,
    public: row.public,
    publishedBy: row.published_by,
  };
}

/** Artifact metadata, keyed by content id. */
export class ArtifactRecordRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Record an artifact; recording the same content again is a no-op that returns the first record. */
  async record(artifact: { id: string; size: number; mediaType: string }): Promise<ArtifactRecord> {
    const id = parseContentId(artifact.id);
    await guard({ what: `artifact ${id}` }, () =>
      this.#db
        .insertInto("artifacts")
        .values({ id, size: artifact.size, media_type: artifact.mediaType })
        .onConflict((conflict) => conflict.column("id").doNothing())
        .execute(),
    );
    const stored = await this.get(id);
    if (stored.size !== artifact.size) {
      // Same hash, different size: one of the two measurements is wrong.
      throw new StorageError(
        "ARTIFACT_SIZE_MISMATCH",
        `artifact ${id} is recorded as ${stored.size} bytes, not ${artifact.size}`,
        {
          hint: "re-read the artifact from the store and verify it; its content id fixes its size",
          details: { id, recorded: stored.size, given: artifact.size },
        },
      );
    }
    return stored;
  }

  /**
   * Record an artifact as public, published by `publisher`. Publishing is one-way and keeps the first
   * publisher: publishing the same content again (or an artifact already recorded privately) only makes sure
   * it is public.
   */
  async publish(artifact: {
    id: string;
    size: number;
    mediaType: string;
    publisher: string;
  }): Promise<ArtifactRecord> {
    const recorded = await this.record(artifact);
    if (recorded.public) return recorded;
    await guard({ what: `artifact ${recorded.id}` }, () =>
      this.#db
        .updateTable("artifacts")
        .set({ public: true, published_by: artifact.publisher.toLowerCase() })
        .where("id", "=", recorded.id)
        .where("public", "=", false)
        .execute(),
    );
    return this.get(recorded.id);
  }

  /** Bytes of the public artifacts `publisher` published first (what counts against its storage quota). */
  async bytesPublishedBy(publisher: string): Promise<number> {
    const row = await this.#db
      .selectFrom("artifacts")
      .select((eb) => eb.fn.coalesce(eb.fn.sum<string | number | bigint>("size"), eb.lit(0)).as("total"))
      .where("published_by", "=", publisher.toLowerCase())
      .executeTakeFirstOrThrow();
    return Number(row.total);
  }

  async find(id: string): Promise<ArtifactRecord | undefined> {
    const row = await this.#db
      .selectFrom("artifacts")
      .selectAll()
      .where("id", "=", parseContentId(id))
      .executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  /** The record; NotFoundError ARTIFACT_NOT_FOUND when unknown. */
  async get(id: string): Promise<ArtifactRecord> {
    const record = await this.find(id);
    if (record === undefined) {
      throw new NotFoundError("ARTIFACT_NOT_FOUND", `artifact ${id} is not recorded`, {
        hint: "upload the artifact first",
        details: { id },
      });
    }
    return record;
  }
}
