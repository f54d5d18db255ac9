import { ConflictError, NotFoundError, parseContentId, ValidationError } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database, ModelKind, ModelsTable } from "./schema.ts";

export type { ModelKind } from "./schema.ts";

/** A validator's revealed score of the registered submission (fixed point as decimal text, 1e18 = 1.0). */
export interface ModelLineageValidator {
  account: string;
  score: string;
}

/** One round of a federated task, as the registry keeps it. */
export interface ModelLineageRound {
  round: number;
  status: string;
  proposers: string[];
  /** Proposers whose update is in the round's candidate. */
  contributors: string[];
  voters: string[];
  /** `contribution` pay rule: each proposer's value in the round (WAD fixed point as decimal text). */
  contributions?: { account: string; valueWad: string }[];
  model: string | null;
}

/**
 * Where a model comes from: the task that produced it, what it was trained from, who trained and judged it, and
 * the data. Written once, at registration.
 */
export interface ModelLineage {
  task: { id: number; title: string; type: string; kind: "arena" | "federated" };
  baseModel: string;
  trainers: string[];
  validators: ModelLineageValidator[];
  /** The consensus score of the winning submission (fixed point as decimal text), Arena only. */
  consensusScore?: string;
  submissionId?: number;
  rounds?: ModelLineageRound[];
  payRule?: "stake" | "contribution";
  /** Content ids (or names) of the datasets the model was trained on. */
  datasets: string[];
}

/** A registered model version. */
export interface ModelRecord {
  id: number;
  /** `owner/slug`, e.g. `flock/t12-instruction-following`. */
  name: string;
  version: number;
  kind: ModelKind;
  taskId: number;
  baseModel: string;
  /** Content id of the weights (full model) or the adapter. */
  artifact: string;
  license: string;
  metrics: Record<string, number>;
  lineage: ModelLineage;
  createdAt: Date;
}

export type NewModel = Omit<ModelRecord, "id" | "version" | "createdAt">;

const NAME = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/;

/** Throw MODEL_NAME_MALFORMED unless `name` is a registry name (`owner/slug`, lowercase). */
export function assertModelName(name: string): string {
  if (typeof name !== "string" || name.length > 120 || !NAME.test(name)) {
    throw new ValidationError(
      "MODEL_NAME_MALFORMED",
      `model name ${JSON.stringify(name)} is not owner/slug`,
      {
        hint: "model names are lowercase owner/slug, e.g. flock/t12-instruction-following (letters, digits, . _ -)",
      },
    );
  }
  return name;
}

function toModel(row: Selectable<ModelsTable>): ModelRecord {
  return {
    id: row.id,
    name: row.name,
    version: row.version,
    kind: row.kind,
    taskId: row.task_id,
    baseModel: row.base_model,
    artifact: row.artifact,
    license: row.license,
    metrics: row.metrics,
    lineage: row.lineage as unknown as ModelLineage,
    createdAt: row.created_at,
  };
}

/** The model registry: versions of named models, each with its artifact and lineage. */
export class ModelRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Register `model` as the next version of its name. Idempotent by artifact: registering an artifact already
   * in the registry returns its record unchanged (whatever name it was given then).
   */
  async register(model: NewModel): Promise<ModelRecord> {
    const name = assertModelName(model.name);
    const artifact = parseContentId(model.artifact);
    for (const [key, value] of Object.entries(model.metrics)) {
      if (!Number.isFinite(value)) {
        throw new ValidationError("METRIC_NOT_FINITE", `model metric ${key} is ${value}`, {
          hint: "metrics are finite numbers",
        });
      }
    }
    const existing = await this.byArtifact(artifact);
    if (existing !== undefined) return existing;
    for (let attempt = 0; ; attempt++) {
      const last = await this.#db
        .selectFrom("models")
        .select((eb) => eb.fn.max("version").as("version"))
        .where("name", "=", name)
        .executeTakeFirst();
      const version = (last?.version ?? 0) + 1;
      try {
        const row = await guard({ what: `model ${name} version ${version}` }, () =>
          this.#db
            .insertInto("models")
            .values({
              name,
              version,
              kind: model.kind,
              task_id: model.taskId,
              base_model: model.baseModel,
              artifact,
              license: model.license,
              metrics: JSON.stringify(model.metrics),
              lineage: JSON.stringify(model.lineage),
            })
            .returningAll()
            .executeTakeFirstOrThrow(),
        );
        return toModel(row);
      } catch (error) {
        // A concurrent registration took this version or this artifact: read again.
        if (!(error instanceof ConflictError) || attempt >= 3 || this.#db.isTransaction) throw error;
        const again = await this.byArtifact(artifact);
        if (again !== undefined) return again;
      }
    }
  }

  /** The model version holding `artifact`, if registered. */
  async byArtifact(artifact: string): Promise<ModelRecord | undefined> {
    const row = await this.#db
      .selectFrom("models")
      .selectAll()
      .where("artifact", "=", parseContentId(artifact))
      .executeTakeFirst();
    return row === undefined ? undefined : toModel(row);
  }

  /** Every model's latest version, newest first (or every version with `allVersions`). */
  async list(options: { allVersions?: boolean; taskId?: number } = {}): Promise<ModelRecord[]> {
    let query = this.#db.selectFrom("models").selectAll();
    if (options.taskId !== undefined) query = query.where("task_id", "=", options.taskId);
    const rows = await query.orderBy("id", "desc").execute();
    const models = rows.map(toModel);
    if (options.allVersions === true) return models;
    const seen = new Set<string>();
    return models.filter((m) => {
      if (seen.has(m.name)) return false;
      seen.add(m.name);
      return true;
    });
  }

  /**
   * One model version: by numeric id, by `name` (its latest version) or `name@version`. Throws
   * MODEL_NOT_FOUND.
   */
  async get(ref: number | string): Promise<ModelRecord> {
    let query = this.#db.selectFrom("models").selectAll();
    let what: string;
    if (typeof ref === "number" || /^[0-9]+$/.test(ref)) {
      const id = Number(ref);
      if (!Number.isSafeInteger(id) || id > 2_147_483_647) throw notFound(String(ref));
      query = query.where("id", "=", id);
      what = `model ${id}`;
    } else {
      const at = ref.lastIndexOf("@");
      const name = assertModelName(at < 0 ? ref : ref.slice(0, at));
      query = query.where("name", "=", name);
      if (at >= 0) {
        const version = Number(ref.slice(at + 1));
        if (!Number.isSafeInteger(version) || version < 1 || version > 2_147_483_647) {
          throw new ValidationError(
            "MODEL_NAME_MALFORMED",
            `model version in ${JSON.stringify(ref)} is not a positive integer`,
            {
              hint: "name a version as owner/slug@N, e.g. flock/t12-instruction-following@2",
            },
          );
        }
        query = query.where("version", "=", version);
      }
      what = ref;
    }
    const row = await query.orderBy("version", "desc").executeTakeFirst();
    if (row === undefined) throw notFound(what);
    return toModel(row);
  }

  /** Every version of `name`, oldest first. */
  async versions(name: string): Promise<ModelRecord[]> {
    const rows = await this.#db
      .selectFrom("models")
      .selectAll()
      .where("name", "=", assertModelName(name))
      .orderBy("version", "asc")
      .execute();
    return rows.map(toModel);
  }
}

function notFound(what: string): NotFoundError {
  return new NotFoundError("MODEL_NOT_FOUND", `no registered model ${what}`, {
    hint: "list the registry with GET /models (flock models list)",
  });
}
