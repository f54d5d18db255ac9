import { ConflictError, NotFoundError, ValidationError } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database, JobStatus, JobsTable } from "./schema.ts";

/** A scheduled piece of work (task deadline, assignment timeout, epoch posting) that survives restarts. */
export interface Job {
  id: number;
  kind: string;
  /** Optional unique key: scheduling the same key twice returns the first job. */
  key: string | null;
  runAt: Date;
  payload: Record<string, unknown>;
  status: JobStatus;
  /** Claims so far; also the fencing token of the current claim. */
  attempts: number;
  lastError: string | null;
  /** The code of the permanent error that stopped a failed job (null while it may still run by itself). */
  errorCode: string | null;
  lockedUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewJob {
  kind: string;
  runAt: Date;
  payload?: Record<string, unknown>;
  key?: string;
}

function toJob(row: Selectable<JobsTable>): Job {
  return {
    id: row.id,
    kind: row.kind,
    key: row.key,
    runAt: row.run_at,
    payload: row.payload,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error,
    errorCode: row.error_code,
    lockedUntil: row.locked_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The job queue: schedule, claim due jobs under a lease, then complete or fail them. */
export class JobRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Schedule a job; with a `key` already scheduled, returns the existing job unchanged. */
  async schedule(job: NewJob): Promise<Job> {
    const row = await guard({ what: `job ${job.kind}` }, () =>
      this.#db
        .insertInto("jobs")
        .values({
          kind: job.kind,
          key: job.key ?? null,
          run_at: job.runAt,
          payload: JSON.stringify(job.payload ?? {}),
        })
        .onConflict((conflict) => conflict.column("key").doNothing())
        .returningAll()
        .executeTakeFirst(),
    );
    if (row !== undefined) return toJob(row);
    const existing = await this.#db
      .selectFrom("jobs")
      .selectAll()
      .where("key", "=", job.key!)
      .executeTakeFirstOrThrow();
    return toJob(existing);
  }

  async get(id: number): Promise<Job> {
    const row = await this.#db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
    if (row === undefined) {
      throw new NotFoundError("JOB_NOT_FOUND", `job ${id} does not exist`, { hint: "list jobs to find it" });
    }
    return toJob(row);
  }

  /** Jobs filtered by status and kind, by id. */
  async list(filter: { status?: JobStatus; kind?: string } = {}): Promise<Job[]> {
    let query = this.#db.selectFrom("jobs").selectAll().orderBy("id");
    if (filter.status !== undefined) query = query.where("status", "=", filter.status);
    if (filter.kind !== undefined) query = query.where("kind", "=", filter.kind);
    return (await query.execute()).map(toJob);
  }

  /**
   * Atomically claim up to `limit` jobs due at `now`: pending ones whose time has come, and running ones
   * whose lease expired (their worker died). Each claim increments `attempts` and holds a lease of
   * `leaseMs`; concurrent claimers never get the same job (FOR UPDATE SKIP LOCKED).
   */
  async claimDue(options: { now: Date; limit?: number; leaseMs: number }): Promise<Job[]> {
    const limit = options.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || !(options.leaseMs > 0)) {
      throw new ValidationError("CLAIM_OPTIONS_INVALID", "claim needs a positive integer limit and lease", {
        hint: "e.g. claimDue({ now, limit: 10, leaseMs: 60_000 })",
      });
    }
    const { now } = options;
    const due = this.#db
      .selectFrom("jobs")
      .select("id")
      .where((eb) =>
        eb.or([
          eb.and([eb("status", "=", "pending"), eb("run_at", "<=", now)]),
          eb.and([eb("status", "=", "running"), eb("locked_until", "<=", now)]),
        ]),
      )
      .orderBy("run_at")
      .orderBy("id")
      .limit(limit)
      .forUpdate()
      .skipLocked();
    const rows = await this.#db
      .updateTable("jobs")
      .set((eb) => ({
        status: "running",
        attempts: eb("attempts", "+", 1),
        locked_until: new Date(now.getTime() + options.leaseMs),
        updated_at: now,
      }))
      .where("id", "in", due)
      .returningAll()
      .execute();
    return rows.map(toJob).sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || a.id - b.id);
  }

  /**
   * Extend a claim's lease while its worker is still at it (a heartbeat), so a long job keeps its claim and a
   * dead worker's job is claimed again soon after its last heartbeat. False when the claim was lost.
   */
  async renewLease(job: Pick<Job, "id" | "attempts">, lockedUntil: Date): Promise<boolean> {
    const row = await this.#db
      .updateTable("jobs")
      .set({ locked_until: lockedUntil })
      .where("id", "=", job.id)
      .where("status", "=", "running")
      .where("attempts", "=", job.attempts)
      .returning("id")
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Delete done jobs of `kind` finished before `before` (a routine job that would otherwise pile up); how many. */
  async pruneDone(kind: string, before: Date): Promise<number> {
    const rows = await this.#db
      .deleteFrom("jobs")
      .where("kind", "=", kind)
      .where("status", "=", "done")
      .where("updated_at", "<", before)
      .returning("id")
      .execute();
    return rows.length;
  }

  /** Finish a claimed job. Refused if the claim is stale (the lease expired and another worker took it). */
  async complete(job: Pick<Job, "id" | "attempts">): Promise<Job> {
    return this.#settle(job, { status: "done", locked_until: null, last_error: null });
  }

  /**
   * Record a failure: retry at `retryAt` (back to pending), or stop the job (failed, kept with `errorCode` for
   * the operator to retry by hand) when it is omitted.
   */
  async fail(
    job: Pick<Job, "id" | "attempts">,
    error: string,
    retryAt?: Date,
    errorCode?: string,
  ): Promise<Job> {
    return this.#settle(
      job,
      retryAt === undefined
        ? { status: "failed", locked_until: null, last_error: error, error_code: errorCode ?? null }
        : { status: "pending", locked_until: null, last_error: error, run_at: retryAt },
    );
  }

  /**
   * The operator's retry of a failed job: pending again, due at `now` (its attempts keep counting, so a stale
   * claim of an earlier run can never settle it). Refused for a job that is not failed.
   */
  async retry(id: number, now: Date): Promise<Job> {
    const row = await this.#db
      .updateTable("jobs")
      .set({ status: "pending", run_at: now, error_code: null, updated_at: now })
      .where("id", "=", id)
      .where("status", "=", "failed")
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return toJob(row);
    const current = await this.get(id);
    throw new ConflictError("JOB_NOT_FAILED", `job ${id} is ${current.status}, not failed`, {
      hint: "only a failed job is retried by hand; a pending or running one retries by itself",
      details: { jobId: id, status: current.status },
    });
  }

  async #settle(
    job: Pick<Job, "id" | "attempts">,
    changes: {
      status: JobStatus;
      locked_until: null;
      last_error: string | null;
      run_at?: Date;
      error_code?: string | null;
    },
  ): Promise<Job> {
    const row = await this.#db
      .updateTable("jobs")
      .set({ ...changes, updated_at: new Date() })
      .where("id", "=", job.id)
      .where("status", "=", "running")
      .where("attempts", "=", job.attempts)
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return toJob(row);
    const current = await this.get(job.id);
    throw new ConflictError("JOB_CLAIM_LOST", `job ${job.id} is no longer held by this claim`, {
      hint: "the lease expired and the job was claimed again or settled; keep leases longer than the work",
      details: {
        jobId: job.id,
        status: current.status,
        attempts: current.attempts,
        claimedAttempt: job.attempts,
      },
    });
  }
}
