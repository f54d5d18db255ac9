import { ConflictError, type ContentId, NotFoundError, parseContentId, ValidationError } from "@flock/core";
import { type Kysely, type Selectable, sql } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database, SubmissionStatus, SubmissionsTable } from "./schema.ts";
import { inTransaction, normalizeAddress, type Page, type PageOptions, pageLimit, toPage } from "./values.ts";

/** A trainer's submission: committed by hash first, its artifact uploaded after (SPEC §2.1 commit-reveal). */
export interface Submission {
  id: number;
  taskId: number;
  trainer: string;
  commitHash: ContentId;
  committedAt: Date;
  artifactId: ContentId | null;
  artifactSize: number | null;
  uploadedAt: Date | null;
  status: SubmissionStatus;
  reason: string | null;
  /** For a copy: the earlier submission it copies. */
  copyOf: number | null;
  /** For a replaced submission: the trainer's later commit that replaced it. */
  replacedBy: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewCommit {
  taskId: number;
  trainer: string;
  commitHash: string;
  committedAt: Date;
}

export interface SubmissionFilter extends PageOptions {
  taskId?: number;
  trainer?: string;
  status?: SubmissionStatus | SubmissionStatus[];
}

const NEXT_STATUS: Record<SubmissionStatus, readonly SubmissionStatus[]> = {
  committed: ["uploaded", "rejected", "replaced"],
  uploaded: ["accepted", "rejected", "copy", "replaced"],
  accepted: ["rejected", "replaced"],
  rejected: [],
  copy: [],
  replaced: [],
};

/** The statuses of a trainer's one live submission on a task (SPEC §2.1: one entry per trainer). */
export const LIVE_SUBMISSION_STATUSES: readonly SubmissionStatus[] = ["committed", "uploaded", "accepted"];

/**
 * committed → uploaded | rejected | replaced; uploaded → accepted | rejected | copy | replaced;
 * accepted → rejected | replaced. A live submission is replaced by its trainer's next commit.
 */
export function canTransitionSubmission(from: SubmissionStatus, to: SubmissionStatus): boolean {
  return NEXT_STATUS[from].includes(to);
}

function toSubmission(row: Selectable<SubmissionsTable>): Submission {
  return {
    id: row.id,
    taskId: row.task_id,
    trainer: row.trainer,
    commitHash: parseContentId(row.commit_hash),
    committedAt: row.committed_at,
    artifactId: row.artifact_id === null ? null : parseContentId(row.artifact_id),
    artifactSize: row.artifact_size,
    uploadedAt: row.uploaded_at,
    status: row.status,
    reason: row.reason,
    copyOf: row.copy_of,
    replacedBy: row.replaced_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function submissionNotFound(id: number): NotFoundError {
  return new NotFoundError("SUBMISSION_NOT_FOUND", `submission ${id} does not exist`, {
    hint: "list the task's submissions to find a valid id",
    details: { submissionId: id },
  });
}

/** Submissions: commits, uploads, acceptance, rejection and copies. */
export class SubmissionRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Record a commit (the artifact's hash). Refused unless the task is open and `committedAt` is not after
   * its submission deadline (SPEC §2.1: commits come before the deadline). A trainer has one live submission
   * per task: a commit with another hash replaces the live one (`replaced`, never scored), in the same
   * transaction, so settlement never meets a trainer twice; the same hash again is SUBMISSION_EXISTS.
   */
  async commit(commit: NewCommit): Promise<Submission> {
    const trainer = normalizeAddress(commit.trainer, "trainer");
    const commitHash = parseContentId(commit.commitHash);
    return inTransaction(this.#db, async (trx) => {
      const task = await trx
        .selectFrom("tasks")
        .select(["status", "submission_deadline"])
        .where("id", "=", commit.taskId)
        .executeTakeFirst();
      if (task === undefined) {
        throw new NotFoundError("TASK_NOT_FOUND", `task ${commit.taskId} does not exist`, {
          hint: "list open tasks to find one to submit to",
          details: { taskId: commit.taskId },
        });
      }
      if (task.status !== "open") {
        throw new ConflictError(
          "TASK_NOT_OPEN",
          `task ${commit.taskId} is ${task.status}, not open for submissions`,
          {
            hint: "submit only to open tasks",
            details: { taskId: commit.taskId, status: task.status },
          },
        );
      }
      if (commit.committedAt.getTime() > task.submission_deadline.getTime()) {
        throw new ConflictError(
          "SUBMISSION_AFTER_DEADLINE",
          `the commit came after task ${commit.taskId}'s deadline ${task.submission_deadline.toISOString()}`,
          {
            hint: "commit before the submission deadline; late submissions are not accepted",
            details: {
              taskId: commit.taskId,
              deadline: task.submission_deadline,
              committedAt: commit.committedAt,
            },
          },
        );
      }
      const live = await trx
        .selectFrom("submissions")
        .selectAll()
        .where("task_id", "=", commit.taskId)
        .where("trainer", "=", trainer)
        .where("status", "in", LIVE_SUBMISSION_STATUSES)
        .forUpdate()
        .executeTakeFirst();
      if (live !== undefined && live.commit_hash === commitHash) {
        throw new ConflictError("SUBMISSION_EXISTS", `this trainer already committed ${commitHash}`, {
          hint: "upload the artifact for the existing commit instead of committing again",
          details: { taskId: commit.taskId, commitHash, submissionId: live.id },
        });
      }
      // The new commit's id is taken first so the replaced one can name it (replaced_by > id).
      const { rows } = await sql<{ id: string | number }>`
        select nextval(pg_get_serial_sequence('submissions', 'id')) as id`.execute(trx);
      const id = Number(rows[0]!.id);
      if (live !== undefined) {
        await trx
          .updateTable("submissions")
          .set({
            status: "replaced",
            replaced_by: id,
            reason: `replaced by the trainer's later commit (submission ${id})`,
            updated_at: new Date(),
          })
          .where("id", "=", live.id)
          .where("status", "=", live.status)
          .execute();
      }
      const row = await guard(
        {
          what: `submission for task ${commit.taskId}`,
          onUnique: () =>
            new ConflictError("SUBMISSION_CHANGED", `another commit of this trainer came at the same time`, {
              hint: "read the task's submissions and commit again if needed",
              details: { taskId: commit.taskId },
            }),
        },
        () =>
          trx
            .insertInto("submissions")
            .values({
              id,
              task_id: commit.taskId,
              trainer,
              commit_hash: commitHash,
              committed_at: commit.committedAt,
            })
            .returningAll()
            .executeTakeFirstOrThrow(),
      );
      return toSubmission(row);
    });
  }

  /** The submission a commit replaced (its trainer's earlier live one), if any. */
  async replacedBy(id: number): Promise<Submission | undefined> {
    const row = await this.#db
      .selectFrom("submissions")
      .selectAll()
      .where("replaced_by", "=", id)
      .executeTakeFirst();
    return row === undefined ? undefined : toSubmission(row);
  }

  /** Every submission matching the filter, read page by page (nothing is cut at a page size). */
  async listAll(filter: Omit<SubmissionFilter, "after" | "limit"> = {}): Promise<Submission[]> {
    const all: Submission[] = [];
    let after: number | undefined;
    do {
      const page = await this.list({ ...filter, limit: 500, ...(after === undefined ? {} : { after }) });
      all.push(...page.items);
      after = page.next;
    } while (after !== undefined);
    return all;
  }

  async find(id: number): Promise<Submission | undefined> {
    const row = await this.#db.selectFrom("submissions").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? undefined : toSubmission(row);
  }

  /** The submission; NotFoundError SUBMISSION_NOT_FOUND when missing. */
  async get(id: number): Promise<Submission> {
    const submission = await this.find(id);
    if (submission === undefined) throw submissionNotFound(id);
    return submission;
  }

  /** Submissions in id (= commit) order, filtered by task, trainer and status. */
  async list(filter: SubmissionFilter = {}): Promise<Page<Submission>> {
    const limit = pageLimit(filter.limit);
    let query = this.#db
      .selectFrom("submissions")
      .selectAll()
      .orderBy("id")
      .limit(limit + 1);
    if (filter.after !== undefined) query = query.where("id", ">", filter.after);
    if (filter.taskId !== undefined) query = query.where("task_id", "=", filter.taskId);
    if (filter.trainer !== undefined)
      query = query.where("trainer", "=", normalizeAddress(filter.trainer, "trainer"));
    if (filter.status !== undefined) {
      const statuses = Array.isArray(filter.status) ? filter.status : [filter.status];
      if (statuses.length === 0) return { items: [], next: undefined };
      query = query.where("status", "in", statuses);
    }
    const rows = await query.execute();
    return toPage(rows.map(toSubmission), limit, (submission) => submission.id);
  }

  /**
   * Earlier submissions of the task (lower id = committed first) whose artifact or commit hash equals
   * `contentId`: an exact copy's originals, earliest first.
   */
  async findEarlierWithContent(taskId: number, contentId: string, beforeId: number): Promise<Submission[]> {
    const id = parseContentId(contentId);
    const rows = await this.#db
      .selectFrom("submissions")
      .selectAll()
      .where("task_id", "=", taskId)
      .where("id", "<", beforeId)
      // A trainer re-committing its own earlier artifact copies nobody.
      .where("trainer", "<>", this.#db.selectFrom("submissions").select("trainer").where("id", "=", beforeId))
      .where((eb) => eb.or([eb("artifact_id", "=", id), eb("commit_hash", "=", id)]))
      .orderBy("id")
      .execute();
    return rows.map(toSubmission);
  }

  /** Record the uploaded artifact (committed → uploaded). */
  async recordUpload(
    id: number,
    upload: { artifactId: string; size: number; uploadedAt: Date },
  ): Promise<Submission> {
    if (!Number.isSafeInteger(upload.size) || upload.size < 0) {
      throw new ValidationError("ARTIFACT_SIZE_INVALID", `artifact size ${upload.size} is not a byte count`, {
        hint: "pass the size the artifact store returned",
      });
    }
    return this.#move(id, "uploaded", {
      artifact_id: parseContentId(upload.artifactId),
      artifact_size: upload.size,
      uploaded_at: upload.uploadedAt,
    });
  }

  /** The artifact passed the coordinator's checks and goes to validation (uploaded → accepted). */
  async accept(id: number): Promise<Submission> {
    return this.#move(id, "accepted", {});
  }

  /** Refuse the submission with a reason (late, missing upload, malformed, oversized, hash mismatch). */
  async reject(id: number, reason: string): Promise<Submission> {
    return this.#move(id, "rejected", { reason: requireReason(reason) });
  }

  /** Mark the submission as a copy of an earlier one (SPEC §2.1: invalid and slashable). */
  async markCopy(id: number, copy: { copyOf: number; reason: string }): Promise<Submission> {
    if (copy.copyOf === id) {
      throw new ValidationError("COPY_OF_ITSELF", `submission ${id} cannot be a copy of itself`, {
        hint: "name the earlier submission it copies",
      });
    }
    return this.#move(id, "copy", { copy_of: copy.copyOf, reason: requireReason(copy.reason) });
  }

  async #move(
    id: number,
    to: SubmissionStatus,
    changes: {
      artifact_id?: string;
      artifact_size?: number;
      uploaded_at?: Date;
      reason?: string;
      copy_of?: number;
    },
  ): Promise<Submission> {
    const current = await this.get(id);
    if (!canTransitionSubmission(current.status, to)) {
      throw new ConflictError(
        "SUBMISSION_TRANSITION_INVALID",
        `submission ${id} cannot go from ${current.status} to ${to}`,
        {
          hint: "submissions move committed → uploaded → accepted; rejected, copy and replaced are final",
          details: { submissionId: id, from: current.status, to },
        },
      );
    }
    const row = await guard({ what: `submission ${id}` }, () =>
      this.#db
        .updateTable("submissions")
        .set({ ...changes, status: to, updated_at: new Date() })
        .where("id", "=", id)
        .where("status", "=", current.status)
        .returningAll()
        .executeTakeFirst(),
    );
    if (row === undefined) {
      throw new ConflictError("SUBMISSION_CHANGED", `submission ${id} changed while moving it to ${to}`, {
        hint: "read the submission again; another request changed it first",
        details: { submissionId: id, to },
      });
    }
    return toSubmission(row);
  }
}

function requireReason(reason: string): string {
  if (typeof reason !== "string" || reason.trim() === "") {
    throw new ValidationError("REASON_MISSING", "a rejection needs a reason", {
      hint: "say why, e.g. 'artifact exceeds 50 MB' or 'copy of submission 3'",
    });
  }
  return reason;
}
