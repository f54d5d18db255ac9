import { ConflictError, NotFoundError, ValidationError } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import { guard } from "./dbErrors.ts";
import type { AssignmentStatus, AssignmentsTable, Database } from "./schema.ts";
import { normalizeAddress } from "./values.ts";

/** One validator's duty to score one submission before a deadline (SPEC §2.1 validation). */
export interface Assignment {
  id: number;
  submissionId: number;
  validator: string;
  /** The seed of the draw that picked this validator, kept so anyone can re-run the draw. */
  seed: string;
  assignedAt: Date;
  deadline: Date;
  status: AssignmentStatus;
  reason: string | null;
  /** The validator's score commitment (SPEC §2.1 commit-reveal), once committed. */
  commitment: string | null;
  committedAt: Date | null;
  updatedAt: Date;
}

export interface NewAssignment {
  submissionId: number;
  validator: string;
  seed: string;
  assignedAt: Date;
  deadline: Date;
}

const NEXT_STATUS: Record<AssignmentStatus, readonly AssignmentStatus[]> = {
  open: ["committed", "timed_out", "refused"],
  committed: ["reported", "unrevealed"],
  reported: [],
  timed_out: [],
  refused: [],
  unrevealed: [],
};

/**
 * open → committed | timed_out | refused; committed → reported (revealed) | unrevealed (the reveal window
 * closed first: a failed duty). The outcomes are final.
 */
export function canTransitionAssignment(from: AssignmentStatus, to: AssignmentStatus): boolean {
  return NEXT_STATUS[from].includes(to);
}

export function toAssignment(row: Selectable<AssignmentsTable>): Assignment {
  return {
    id: row.id,
    submissionId: row.submission_id,
    validator: row.validator,
    seed: row.seed,
    assignedAt: row.assigned_at,
    deadline: row.deadline,
    status: row.status,
    reason: row.reason,
    commitment: row.commitment,
    committedAt: row.committed_at,
    updatedAt: row.updated_at,
  };
}

export function assignmentNotFound(id: number): NotFoundError {
  return new NotFoundError("ASSIGNMENT_NOT_FOUND", `assignment ${id} does not exist`, {
    hint: "request your open assignments to find a valid id",
    details: { assignmentId: id },
  });
}

export function assignmentTransitionError(
  id: number,
  from: AssignmentStatus,
  to: AssignmentStatus,
): ConflictError {
  return new ConflictError(
    "ASSIGNMENT_TRANSITION_INVALID",
    `assignment ${id} is ${from}, it cannot become ${to}`,
    {
      hint: "an open assignment can be committed, refused or timed out; a committed one revealed",
      details: { assignmentId: id, from, to },
    },
  );
}

export function assignmentNotYours(id: number): ConflictError {
  return new ConflictError("ASSIGNMENT_NOT_YOURS", `assignment ${id} belongs to another validator`, {
    hint: "commit and reveal scores only for assignments given to you",
    details: { assignmentId: id },
  });
}

/** Assignments: creation (never the submitter), open duties per validator, timeouts and refusals. */
export class AssignmentRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Assign a submission to a validator; refuses the submission's own trainer and a second assignment. */
  async create(assignment: NewAssignment): Promise<Assignment> {
    const validator = normalizeAddress(assignment.validator, "validator");
    if (assignment.deadline.getTime() <= assignment.assignedAt.getTime()) {
      throw new ValidationError(
        "ASSIGNMENT_DEADLINE_INVALID",
        "the assignment deadline is not after its start",
        {
          hint: "give the validator time: deadline = assignedAt + the network's assignment timeout",
        },
      );
    }
    const submission = await this.#db
      .selectFrom("submissions")
      .select(["trainer"])
      .where("id", "=", assignment.submissionId)
      .executeTakeFirst();
    if (submission === undefined) {
      throw new NotFoundError(
        "SUBMISSION_NOT_FOUND",
        `submission ${assignment.submissionId} does not exist`,
        {
          hint: "assign only stored submissions",
        },
      );
    }
    // SPEC §2.1: a submission is never validated by its own trainer.
    if (submission.trainer === validator) {
      throw new ConflictError(
        "ASSIGNMENT_TO_SUBMITTER",
        "a validator cannot be assigned its own submission",
        {
          hint: "draw another validator; the submitter is excluded from the draw",
          details: { submissionId: assignment.submissionId, validator },
        },
      );
    }
    const row = await guard(
      {
        what: `assignment of submission ${assignment.submissionId}`,
        onUnique: () =>
          new ConflictError("ASSIGNMENT_EXISTS", `${validator} is already assigned this submission`, {
            hint: "re-assign a timed-out submission to a different validator",
            details: { submissionId: assignment.submissionId, validator },
          }),
      },
      () =>
        this.#db
          .insertInto("assignments")
          .values({
            submission_id: assignment.submissionId,
            validator,
            seed: assignment.seed,
            assigned_at: assignment.assignedAt,
            deadline: assignment.deadline,
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
    );
    return toAssignment(row);
  }

  async find(id: number): Promise<Assignment | undefined> {
    const row = await this.#db.selectFrom("assignments").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? undefined : toAssignment(row);
  }

  /** The assignment; NotFoundError ASSIGNMENT_NOT_FOUND when missing. */
  async get(id: number): Promise<Assignment> {
    const assignment = await this.find(id);
    if (assignment === undefined) throw assignmentNotFound(id);
    return assignment;
  }

  /** Every assignment of a submission, oldest first. */
  async listForSubmission(submissionId: number): Promise<Assignment[]> {
    const rows = await this.#db
      .selectFrom("assignments")
      .selectAll()
      .where("submission_id", "=", submissionId)
      .orderBy("id")
      .execute();
    return rows.map(toAssignment);
  }

  /** Every assignment of a task's submissions, optionally of one validator or status, oldest first. */
  async listForTask(
    taskId: number,
    filter: { validator?: string; status?: AssignmentStatus } = {},
  ): Promise<Assignment[]> {
    let query = this.#db
      .selectFrom("assignments")
      .innerJoin("submissions", "submissions.id", "assignments.submission_id")
      .selectAll("assignments")
      .where("submissions.task_id", "=", taskId)
      .orderBy("assignments.id");
    if (filter.validator !== undefined) {
      query = query.where("assignments.validator", "=", normalizeAddress(filter.validator, "validator"));
    }
    if (filter.status !== undefined) query = query.where("assignments.status", "=", filter.status);
    return (await query.execute()).map(toAssignment);
  }

  /** A validator's assignments (open ones by default), oldest first. */
  async listForValidator(validator: string, status: AssignmentStatus = "open"): Promise<Assignment[]> {
    const rows = await this.#db
      .selectFrom("assignments")
      .selectAll()
      .where("validator", "=", normalizeAddress(validator, "validator"))
      .where("status", "=", status)
      .orderBy("id")
      .execute();
    return rows.map(toAssignment);
  }

  /** Open assignments whose deadline has passed at `now`: candidates for timeout and re-assignment. */
  async listOverdue(now: Date, limit = 100): Promise<Assignment[]> {
    const rows = await this.#db
      .selectFrom("assignments")
      .selectAll()
      .where("status", "=", "open")
      .where("deadline", "<", now)
      .orderBy("deadline")
      .orderBy("id")
      .limit(limit)
      .execute();
    return rows.map(toAssignment);
  }

  /** The validator did not report in time (open → timed_out). */
  async markTimedOut(id: number): Promise<Assignment> {
    return this.#close(id, "timed_out", null);
  }

  /** The validator refused the artifact with a recorded reason (malformed, hash mismatch, oversized). */
  async refuse(id: number, reason: string): Promise<Assignment> {
    if (typeof reason !== "string" || reason.trim() === "") {
      throw new ValidationError("REASON_MISSING", "a refusal needs a reason", {
        hint: "say what was wrong with the artifact",
      });
    }
    return this.#close(id, "refused", reason);
  }

  /**
   * The validator commits to its score (open → committed): the hash of (assignment, score, salt) defined by
   * protocol's `scoreCommitment`. Refused unless the assignment is open and the validator's.
   */
  async commitScore(
    id: number,
    commit: { validator: string; commitment: string; committedAt: Date },
  ): Promise<Assignment> {
    const validator = normalizeAddress(commit.validator, "validator");
    if (typeof commit.commitment !== "string" || !/^0x[0-9a-f]{64}$/.test(commit.commitment)) {
      throw new ValidationError(
        "COMMITMENT_MALFORMED",
        "a score commitment is 0x and 64 lowercase hex digits",
        {
          hint: "send protocol's scoreCommitment(assignmentId, score, salt)",
        },
      );
    }
    const row = await this.#db
      .updateTable("assignments")
      .set({
        status: "committed",
        commitment: commit.commitment,
        committed_at: commit.committedAt,
        updated_at: new Date(),
      })
      .where("id", "=", id)
      .where("validator", "=", validator)
      .where("status", "=", "open")
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return toAssignment(row);
    const current = await this.get(id);
    if (current.validator !== validator) throw assignmentNotYours(id);
    throw assignmentTransitionError(id, current.status, "committed");
  }

  /** The reveal window closed before the validator revealed its committed score (committed → unrevealed). */
  async markUnrevealed(id: number): Promise<Assignment> {
    return this.#close(
      id,
      "unrevealed",
      "the score was not revealed before the reveal window closed",
      "committed",
    );
  }

  async #close(
    id: number,
    to: "timed_out" | "refused" | "unrevealed",
    reason: string | null,
    from: AssignmentStatus = "open",
  ): Promise<Assignment> {
    const row = await this.#db
      .updateTable("assignments")
      .set({ status: to, reason, updated_at: new Date() })
      .where("id", "=", id)
      .where("status", "=", from)
      .returningAll()
      .executeTakeFirst();
    if (row !== undefined) return toAssignment(row);
    const current = await this.get(id);
    throw assignmentTransitionError(id, current.status, to);
  }
}
