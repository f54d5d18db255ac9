import { NotFoundError } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { assignmentNotFound, assignmentNotYours, assignmentTransitionError } from "./assignments.ts";
import { guard } from "./dbErrors.ts";
import type { Database, RefereedScoresTable, ScoresTable } from "./schema.ts";
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
  /** The salt that opened the commitment; null for scores reported before commit-reveal. */
  salt: string | null;
  /** The reveal request as received: its signed headers and raw body, for audits. */
  revealRequest: RevealRequest | null;
}

/** A signed request kept verbatim: the x-flock-* headers and the raw body bytes as UTF-8 text. */
export interface RevealRequest {
  headers: Record<string, string>;
  body: string;
}

/** A refereed re-run's score (SPEC §2.1): it replaces the submission's consensus. */
export interface RefereedScore {
  submissionId: number;
  score: bigint;
  disputeId: number;
  evidenceId: string;
  decidedAt: Date;
}

/** A score joined with its submission's trainer, as the epoch computation needs it. */
export interface TaskScore extends Score {
  trainer: string;
}

export interface ScoreReveal {
  assignmentId: number;
  /** The revealing validator; must be the assignment's. */
  validator: string;
  score: bigint;
  salt: string;
  evidence: Record<string, unknown>;
  reportedAt: Date;
  request: RevealRequest;
}

function toScore(row: Selectable<ScoresTable>): Score {
  return {
    assignmentId: row.assignment_id,
    submissionId: row.submission_id,
    validator: row.validator,
    score: BigInt(row.score),
    evidence: row.evidence,
    reportedAt: row.reported_at,
    salt: row.salt,
    revealRequest:
      row.reveal_headers === null || row.reveal_body === null
        ? null
        : { headers: row.reveal_headers, body: row.reveal_body },
  };
}

function toRefereed(row: Selectable<RefereedScoresTable>): RefereedScore {
  return {
    submissionId: row.submission_id,
    score: BigInt(row.score),
    disputeId: row.dispute_id,
    evidenceId: row.evidence_id,
    decidedAt: row.decided_at,
  };
}

/** Scores: reported once per assignment, atomically closing it. */
export class ScoreRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Record a revealed score and mark its committed assignment reported, in one transaction (SPEC §2.1
   * commit-reveal; the caller checked the reveal against the commitment). Refused unless the assignment is
   * committed and belongs to the revealing validator.
   */
  async reveal(reveal: ScoreReveal): Promise<Score> {
    const validator = normalizeAddress(reveal.validator, "validator");
    const score = scoreText(reveal.score);
    return inTransaction(this.#db, async (trx) => {
      const closed = await trx
        .updateTable("assignments")
        .set({ status: "reported", updated_at: new Date() })
        .where("id", "=", reveal.assignmentId)
        .where("validator", "=", validator)
        .where("status", "=", "committed")
        .returning(["submission_id"])
        .executeTakeFirst();
      if (closed === undefined) {
        const current = await trx
          .selectFrom("assignments")
          .select(["status", "validator"])
          .where("id", "=", reveal.assignmentId)
          .executeTakeFirst();
        if (current === undefined) throw assignmentNotFound(reveal.assignmentId);
        if (current.validator !== validator) throw assignmentNotYours(reveal.assignmentId);
        throw assignmentTransitionError(reveal.assignmentId, current.status, "reported");
      }
      const row = await guard({ what: `score for assignment ${reveal.assignmentId}` }, () =>
        trx
          .insertInto("scores")
          .values({
            assignment_id: reveal.assignmentId,
            submission_id: closed.submission_id,
            validator,
            score,
            evidence: JSON.stringify(reveal.evidence),
            reported_at: reveal.reportedAt,
            salt: reveal.salt,
            reveal_headers: JSON.stringify(reveal.request.headers),
            reveal_body: reveal.request.body,
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
      return toScore(row);
    });
  }

  /**
   * Record the referee's re-run as a submission's score (first decision wins: the evaluation is
   * bit-reproducible, so a later re-run can only agree). Returns the recorded one.
   */
  async recordRefereed(
    refereed: Omit<RefereedScore, "decidedAt"> & { decidedAt: Date },
  ): Promise<RefereedScore> {
    await this.#db
      .insertInto("refereed_scores")
      .values({
        submission_id: refereed.submissionId,
        score: scoreText(refereed.score),
        dispute_id: refereed.disputeId,
        evidence_id: refereed.evidenceId,
        decided_at: refereed.decidedAt,
      })
      .onConflict((oc) => oc.column("submission_id").doNothing())
      .execute();
    const row = await this.#db
      .selectFrom("refereed_scores")
      .selectAll()
      .where("submission_id", "=", refereed.submissionId)
      .executeTakeFirstOrThrow();
    return toRefereed(row);
  }

  /** The refereed scores of a task's submissions, by submission id. */
  async refereedForTask(taskId: number): Promise<Map<number, RefereedScore>> {
    const rows = await this.#db
      .selectFrom("refereed_scores")
      .innerJoin("submissions", "submissions.id", "refereed_scores.submission_id")
      .selectAll("refereed_scores")
      .where("submissions.task_id", "=", taskId)
      .orderBy("refereed_scores.submission_id")
      .execute();
    return new Map(rows.map((row) => [row.submission_id, toRefereed(row)]));
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
