import { describe, expect, it } from "vitest";
import { flEvaluationsText, flVoteCommitment } from "./voteCommitment.ts";

const SALT = `0x${"ab".repeat(32)}`;
const base = {
  taskId: 3,
  round: 2,
  voter: "0xAbC0000000000000000000000000000000000001",
  vote: 1,
  salt: SALT,
};

describe("a vote committed with its evaluations (the contribution pay rule)", () => {
  it("binds the evaluations: another value, a missing model or another vote opens nothing", () => {
    const evaluations = { bafyb: 0.25, bafya: 1.5e-7 };
    const committed = flVoteCommitment({ ...base, evaluations });
    expect(flVoteCommitment({ ...base, evaluations: { bafya: 1.5e-7, bafyb: 0.25 } })).toBe(committed);
    expect(flVoteCommitment({ ...base, evaluations: { ...evaluations, bafyb: 0.2500001 } })).not.toBe(
      committed,
    );
    expect(flVoteCommitment({ ...base, evaluations: { bafya: 1.5e-7 } })).not.toBe(committed);
    expect(flVoteCommitment({ ...base, vote: -1, evaluations })).not.toBe(committed);
    // Without evaluations the commitment is the stake rule's, unchanged.
    expect(flVoteCommitment(base)).not.toBe(committed);
  });

  it("encodes canonically and survives JSON, and refuses a value that is not finite", () => {
    const evaluations = { b: 0.1 + 0.2, a: -3 };
    expect(flEvaluationsText(evaluations)).toBe("a=-3,b=0.30000000000000004");
    expect(flEvaluationsText(JSON.parse(JSON.stringify(evaluations)))).toBe(flEvaluationsText(evaluations));
    expect(() => flVoteCommitment({ ...base, evaluations: { a: Number.NaN } })).toThrow(
      expect.objectContaining({ code: "FL_EVALUATION_INVALID" }),
    );
  });
});
