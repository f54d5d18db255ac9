import { ConflictError, NotFoundError } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { assignmentNotFound, assignmentTransitionError } from "./assignments.ts";
import { guard } from "./dbErrors.ts";
import type { Database, ScoresTable } from "./schema.ts";
import { inTransaction, normalizeAddress, scoreText } from "./values.ts";

/** A validator's reported score for one assignment, with its evidence. */
export interface Score {
  assignmentId: number;
  submissionId: number;
  validator: string;
  /** Fixed point, 1e18 = 1.0 (protocol's scoreFromMetric). */
  score: bigint;
  evidence: Record<string, unknown>;
  reportedAt: Date;
}

/** A score joined with its submission's trainer, as the epoch computation needs it. */
export interface TaskScore extends Score {
  trainer: string;
}

export interface ScoreReport {
  assignmentId: number;
  /** The reporting validator; must be the assignment's. */
  validator: string;
  score: bigint;
  evidence: Record<string, unknown>;
  reportedAt: Date;
}

function toScore(row: Selectable<ScoresTable>): Score {
  return {
    assignmentId: row.assignment_id,
    submissionId: row.submission_id,
    validator: row.validator,
    score: BigInt(row.score),
    evidence: row.evidence,
    reportedAt: row.reported_at,
  };
}

/** Scores: reported once per assignment, atomically closing it. */
export class ScoreRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Record a score and mark its assignment reported, in one transaction. Refused unless the assignment
   * is open and belongs to the reporting validator.
   */
  async report(report: ScoreReport): Promise<Score> {
    const validator = normalizeAddress(report.validator, "validator");
    const score = scoreText(report.score);
    return inTransaction(this.#db, async (trx) => {
      const closed = await trx
        .updateTable("assignments")
        .set({ status: "reported", updated_at: new Date() })
        .where("id", "=", report.assignmentId)
        .where("validator", "=", validator)
        .where("status", "=", "open")
        .returning(["submission_id"])
        .executeTakeFirst();
      if (closed === undefined) {
        const current = await trx
          .selectFrom("assignments")
          .select(["status", "validator"])
          .where("id", "=", report.assignmentId)
          .executeTakeFirst();
        if (current === undefined) throw assignmentNotFound(report.assignmentId);
        if (current.validator !== validator) {
          throw new ConflictError(
            "ASSIGNMENT_NOT_YOURS",
            `assignment ${report.assignmentId} belongs to another validator`,
            {
              hint: "report scores only for assignments given to you",
              details: { assignmentId: report.assignmentId },
            },
          );
        }
        throw assignmentTransitionError(report.assignmentId, current.status, "reported");
      }
      const row = await guard({ what: `score for assignment ${report.assignmentId}` }, () =>
        trx
          .insertInto("scores")
          .values({
            assignment_id: report.assignmentId,
            submission_id: closed.submission_id,
            validator,
            score,
            evidence: JSON.stringify(report.evidence),
            reported_at: report.reportedAt,
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return toScore(row);
    });
  }

  /** The score of one assignment; NotFoundError SCORE_NOT_FOUND when none was reported. */
  async get(assignmentId: number): Promise<Score> {
    const row = await this.#db
      .selectFrom("scores")
      .selectAll()
      .where("assignment_id", "=", assignmentId)
      .executeTakeFirst();
    if (row === undefined) {
      throw new NotFoundError("SCORE_NOT_FOUND", `no score was reported for assignment ${assignmentId}`, {
        hint: "the validator has not reported yet, or the assignment timed out",
      });
    }
    return toScore(row);
  }

  /** Every score of a task's submissions, with the trainer: the input of the epoch's consensus. */
  async listForTask(taskId: number): Promise<TaskScore[]> {
    const rows = await this.#db
      .selectFrom("scores")
      .innerJoin("submissions", "submissions.id", "scores.submission_id")
      .selectAll("scores")
      .select("submissions.trainer")
      .where("submissions.task_id", "=", taskId)
      .orderBy("scores.submission_id")
      .orderBy("scores.assignment_id")
      .execute();
    return rows.map(({ trainer, ...row }) => ({ ...toScore(row), trainer }));
  }
}
