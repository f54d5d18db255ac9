import { ValidationError } from "@flock/core";
import { primitives } from "#secagg-primitives";
import { toHex, utf8 } from "../secagg/primitives.ts";

/**
 * A voter's commitment to its vote in an FL round (SPEC §2.2: votes by commit-reveal): sha256 over the task,
 * the round, the voter, the vote (+1 / −1) and a secret salt. Revealed later with the salt; the coordinator
 * recomputes it, so a voter cannot change its vote after seeing others', and nobody learns it before.
 */
export function flVoteCommitment(input: {
  taskId: number;
  round: number;
  voter: string;
  vote: number;
  salt: string;
  /**
   * Under the `contribution` pay rule: the voter's evaluation of every model the round listed (content id →
   * loss on its own test data), committed with the vote so neither can change after others reveal.
   */
  evaluations?: Readonly<Record<string, number>>;
}): `0x${string}` {
  if (input.vote !== 1 && input.vote !== -1) {
    throw new ValidationError("FL_VOTE_INVALID", `a vote is +1 or −1, got ${input.vote}`, {
      hint: "vote +1 when the candidate is at least as good as the global model on your data, else −1",
    });
  }
  if (!/^0x[0-9a-f]{64}$/.test(input.salt)) {
    throw new ValidationError("FL_SALT_MALFORMED", "a vote's salt is 0x and 64 lowercase hex digits", {
      hint: "draw 32 random bytes for the salt and keep them until the reveal",
    });
  }
  const evaluations = input.evaluations === undefined ? "" : `:${flEvaluationsText(input.evaluations)}`;
  const text = `flock-fl-vote:${input.taskId}:${input.round}:${input.voter.toLowerCase()}:${input.vote}:${input.salt}${evaluations}`;
  return `0x${toHex(primitives.sha256([utf8(text)]))}`;
}

/**
 * The canonical encoding of a voter's evaluations inside its commitment: `id=value` pairs sorted by id, joined
 * by commas, each value in JavaScript's shortest round-trip form (so the JSON a reveal carries decodes to the
 * same text). Throws FL_EVALUATION_INVALID on a value that is not a finite number.
 */
export function flEvaluationsText(evaluations: Readonly<Record<string, number>>): string {
  return Object.keys(evaluations)
    .sort()
    .map((id) => {
      const value = evaluations[id];
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new ValidationError("FL_EVALUATION_INVALID", `the evaluation of ${id} is ${String(value)}`, {
          hint: "report each listed model's loss on your test data as a finite number",
        });
      }
      return `${id}=${String(value)}`;
    })
    .join(",");
}

/**
 * FLock's vote rule for one voter: +1 when the candidate's loss on the voter's own test data is at most the
 * global model's, else −1.
 */
export function flVoteOf(candidateLoss: number, globalLoss: number): 1 | -1 {
  if (!Number.isFinite(candidateLoss)) return -1;
  if (!Number.isFinite(globalLoss)) return 1;
  return candidateLoss <= globalLoss ? 1 : -1;
}
