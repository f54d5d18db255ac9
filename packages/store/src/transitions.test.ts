import { describe, expect, it } from "vitest";
import { canTransitionAssignment } from "./assignments.ts";
import type { AssignmentStatus, SubmissionStatus, TaskStatus } from "./schema.ts";
import { canTransitionSubmission } from "./submissions.ts";
import { canTransitionTask } from "./tasks.ts";

function allowedPairs<S extends string>(statuses: readonly S[], can: (from: S, to: S) => boolean): string[] {
  return statuses.flatMap((from) => statuses.filter((to) => can(from, to)).map((to) => `${from}→${to}`));
}

describe("lifecycle transitions", () => {
  it("a task moves only forward through SPEC §2.1's five states", () => {
    const statuses: TaskStatus[] = ["draft", "open", "validating", "finalized", "closed"];
    expect(allowedPairs(statuses, canTransitionTask)).toEqual([
      "draft→open",
      "open→validating",
      "validating→finalized",
      "finalized→closed",
    ]);
  });

  it("a submission is uploaded, then accepted, rejected, found a copy or replaced by a new commit; those are final", () => {
    const statuses: SubmissionStatus[] = [
      "committed",
      "uploaded",
      "accepted",
      "rejected",
      "copy",
      "replaced",
    ];
    expect(allowedPairs(statuses, canTransitionSubmission)).toEqual([
      "committed→uploaded",
      "committed→rejected",
      "committed→replaced",
      "uploaded→accepted",
      "uploaded→rejected",
      "uploaded→copy",
      "uploaded→replaced",
      "accepted→rejected",
      "accepted→replaced",
    ]);
  });

  it("an assignment is committed, timed out or refused; a commitment is revealed or not; outcomes are final", () => {
    const statuses: AssignmentStatus[] = [
      "open",
      "committed",
      "reported",
      "timed_out",
      "refused",
      "unrevealed",
    ];
    expect(allowedPairs(statuses, canTransitionAssignment)).toEqual([
      "open→committed",
      "open→timed_out",
      "open→refused",
      "committed→reported",
      "committed→unrevealed",
    ]);
  });
});
