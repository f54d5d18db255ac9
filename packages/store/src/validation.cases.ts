import { expect, it } from "vitest";
import { account, at, cid, newTask, type StoreTestContext } from "./testing/fixtures.ts";

export function validationCases(ctx: StoreTestContext): void {
  async function acceptedSubmission(trainer = account(2)): Promise<{ taskId: number; submissionId: number }> {
    const task = await ctx.repos.tasks.create(newTask({ status: "open" }));
    const submission = await ctx.repos.submissions.commit({
      taskId: task.id,
      trainer,
      commitHash: cid(`w ${trainer}`),
      committedAt: at(1),
    });
    await ctx.repos.submissions.recordUpload(submission.id, {
      artifactId: cid(`w ${trainer}`),
      size: 5,
      uploadedAt: at(2),
    });
    await ctx.repos.submissions.accept(submission.id);
    return { taskId: task.id, submissionId: submission.id };
  }

  it("a validator reports a score: the assignment closes and the score joins the task's inputs", async () => {
    const { taskId, submissionId } = await acceptedSubmission();
    const assignment = await ctx.repos.assignments.create({
      submissionId,
      validator: account(10),
      seed: "0x01",
      assignedAt: at(61),
      deadline: at(91),
    });
    expect(await ctx.repos.assignments.listForValidator(account(10))).toHaveLength(1);
    // The hidden set is served only with an open assignment on the task.
    expect(
      await ctx.repos.assignments.listForTask(taskId, { validator: account(10), status: "open" }),
    ).toHaveLength(1);
    expect(await ctx.repos.assignments.listForTask(taskId, { validator: account(11) })).toEqual([]);
    const score = await ctx.repos.scores.report({
      assignmentId: assignment.id,
      validator: account(10),
      score: -1_250_000_000_000_000_000n,
      evidence: { bpc: 1.25, tokens: 4096 },
      reportedAt: at(70),
    });
    expect(score.score).toBe(-1_250_000_000_000_000_000n);
    expect((await ctx.repos.assignments.get(assignment.id)).status).toBe("reported");
    expect(await ctx.repos.assignments.listForValidator(account(10))).toEqual([]);
    const inputs = await ctx.repos.scores.listForTask(taskId);
    expect(inputs).toEqual([
      {
        assignmentId: assignment.id,
        submissionId,
        validator: account(10),
        trainer: account(2),
        score: -1_250_000_000_000_000_000n,
        evidence: { bpc: 1.25, tokens: 4096 },
        reportedAt: at(70),
      },
    ]);
  });

  it("a submission is never assigned to its own trainer, nor twice to one validator", async () => {
    const { submissionId } = await acceptedSubmission(account(2));
    const assignment = { submissionId, seed: "s", assignedAt: at(61), deadline: at(91) };
    await expect(
      ctx.repos.assignments.create({ ...assignment, validator: account(2) }),
    ).rejects.toMatchObject({
      code: "ASSIGNMENT_TO_SUBMITTER",
    });
    await ctx.repos.assignments.create({ ...assignment, validator: account(10) });
    await expect(
      ctx.repos.assignments.create({ ...assignment, validator: account(10) }),
    ).rejects.toMatchObject({
      code: "ASSIGNMENT_EXISTS",
    });
  });

  it("a score reported twice, by the wrong validator, or after a timeout is refused and nothing is stored", async () => {
    const { taskId, submissionId } = await acceptedSubmission();
    const assignment = await ctx.repos.assignments.create({
      submissionId,
      validator: account(10),
      seed: "s",
      assignedAt: at(61),
      deadline: at(91),
    });
    const report = { assignmentId: assignment.id, score: 1n, evidence: {}, reportedAt: at(70) };
    await expect(ctx.repos.scores.report({ ...report, validator: account(11) })).rejects.toMatchObject({
      code: "ASSIGNMENT_NOT_YOURS",
    });
    await ctx.repos.assignments.markTimedOut(assignment.id);
    await expect(ctx.repos.scores.report({ ...report, validator: account(10) })).rejects.toMatchObject({
      name: "ConflictError",
      code: "ASSIGNMENT_TRANSITION_INVALID",
    });
    expect(await ctx.repos.scores.listForTask(taskId)).toEqual([]);
  });

  it("an overdue assignment is listed, timed out, and the submission re-assigned to another validator", async () => {
    const { submissionId } = await acceptedSubmission();
    const late = await ctx.repos.assignments.create({
      submissionId,
      validator: account(10),
      seed: "s1",
      assignedAt: at(61),
      deadline: at(91),
    });
    expect(await ctx.repos.assignments.listOverdue(at(90))).toEqual([]);
    expect((await ctx.repos.assignments.listOverdue(at(92))).map((a) => a.id)).toEqual([late.id]);
    await ctx.repos.assignments.markTimedOut(late.id);
    await ctx.repos.assignments.create({
      submissionId,
      validator: account(11),
      seed: "s2",
      assignedAt: at(92),
      deadline: at(122),
    });
    const statuses = (await ctx.repos.assignments.listForSubmission(submissionId)).map((a) => [
      a.validator,
      a.status,
    ]);
    expect(statuses).toEqual([
      [account(10), "timed_out"],
      [account(11), "open"],
    ]);
  });

  it("a validator refuses a malformed artifact with a recorded reason", async () => {
    const { submissionId } = await acceptedSubmission();
    const assignment = await ctx.repos.assignments.create({
      submissionId,
      validator: account(10),
      seed: "s",
      assignedAt: at(61),
      deadline: at(91),
    });
    const refused = await ctx.repos.assignments.refuse(assignment.id, "safetensors header is truncated");
    expect(refused).toMatchObject({ status: "refused", reason: "safetensors header is truncated" });
    await expect(ctx.repos.assignments.refuse(assignment.id, "again")).rejects.toMatchObject({
      code: "ASSIGNMENT_TRANSITION_INVALID",
    });
  });

  it("the database refuses a score that names a validator other than its assignment's", async () => {
    const { submissionId } = await acceptedSubmission();
    const assignment = await ctx.repos.assignments.create({
      submissionId,
      validator: account(10),
      seed: "s",
      assignedAt: at(61),
      deadline: at(91),
    });
    await expect(
      ctx.db
        .insertInto("scores")
        .values({
          assignment_id: assignment.id,
          submission_id: submissionId,
          validator: account(11),
          score: "1",
          evidence: "{}",
          reported_at: at(70),
        })
        .execute(),
    ).rejects.toMatchObject({ code: "23503" });
  });
}
