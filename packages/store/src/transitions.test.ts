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

  it("a submission is uploaded, then accepted, rejected or found a copy; rejected and copy are final", () => {
    const statuses: SubmissionStatus[] = ["committed", "uploaded", "accepted", "rejected", "copy"];
    expect(allowedPairs(statuses, canTransitionSubmission)).toEqual([
      "committed→uploaded",
      "committed→rejected",
      "uploaded→accepted",
      "uploaded→rejected",
      "uploaded→copy",
      "accepted→rejected",
    ]);
  });

  it("an assignment ends once: reported, timed out or refused", () => {
    const statuses: AssignmentStatus[] = ["open", "reported", "timed_out", "refused"];
    expect(allowedPairs(statuses, canTransitionAssignment)).toEqual([
      "open→reported",
      "open→timed_out",
      "open→refused",
    ]);
  });
});
