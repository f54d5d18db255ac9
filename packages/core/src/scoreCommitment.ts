import { sha256Hex } from "./contentId.ts";
import { ValidationError } from "./errors.ts";

/**
 * A validator's commitment to a score (SPEC §2.1: validators commit a hash of their scores and reveal them
 * after the validation deadline), defined once here for the nodes, the SDK and the coordinator: `sha256("flock-score-commitment:1:<assignmentId>:<score>:<salt>")` as
 * 0x-hex. The assignment id binds it to one duty (a commitment copied from another validator opens nothing
 * of its own), the salt (≥ 16 random bytes, 0x-hex) keeps a guessable score from being found by trying.
 */
export function scoreCommitment(input: { assignmentId: number; score: bigint; salt: string }): `0x${string}` {
  if (!Number.isSafeInteger(input.assignmentId) || input.assignmentId < 0) {
    throw new ValidationError("ASSIGNMENT_ID_INVALID", `assignment id ${input.assignmentId} is not an id`, {
      hint: "commit to the id of one of your assignments",
    });
  }
  if (typeof input.score !== "bigint") {
    throw new ValidationError("SCORE_NOT_BIGINT", "a committed score is a fixed-point bigint", {
      hint: "convert the metric with scoreFromMetric (or scoreOrWorst) first",
    });
  }
  return `0x${sha256Hex(`flock-score-commitment:1:${input.assignmentId}:${input.score}:${readSalt(input.salt)}`)}`;
}

/** A salt as committed: 0x and at least 32 lowercase hex digits (16 bytes). */
export function readSalt(salt: unknown): string {
  if (typeof salt !== "string" || !/^0x[0-9a-f]{32,128}$/.test(salt)) {
    throw new ValidationError("SALT_MALFORMED", "a commitment salt is 0x and 32–128 lowercase hex digits", {
      hint: "draw 16 or more random bytes, hex-encode them, and keep them until the reveal",
    });
  }
  return salt;
}

/** True when a revealed (score, salt) opens the commitment of the assignment. */
export function opensCommitment(
  commitment: string,
  reveal: { assignmentId: number; score: bigint; salt: string },
): boolean {
  return scoreCommitment(reveal) === commitment.toLowerCase();
}
