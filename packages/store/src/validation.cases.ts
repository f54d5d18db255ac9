import { expect, it } from "vitest";
import { account, at, cid, hash32, newTask, type StoreTestContext } from "./testing/fixtures.ts";

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

  const REQUEST = { headers: { "x-flock-address": account(10) }, body: '{"score":"1"}' };

  it("a validator commits, then reveals: the assignment closes and the score joins the task's inputs", async () => {
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
    const committed = await ctx.repos.assignments.commitScore(assignment.id, {
      validator: account(10),
      commitment: hash32("commitment"),
      committedAt: at(65),
    });
    expect(committed).toMatchObject({ status: "committed", commitment: hash32("commitment") });
    expect(await ctx.repos.scores.listForTask(taskId)).toEqual([]);
    const score = await ctx.repos.scores.reveal({
      assignmentId: assignment.id,
      validator: account(10),
      score: -1_250_000_000_000_000_000n,
      salt: "0xabc",
      evidence: { bpc: 1.25, tokens: 4096 },
      reportedAt: at(121),
      request: REQUEST,
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
        reportedAt: at(121),
        salt: "0xabc",
        revealRequest: REQUEST,
      },
    ]);
  });

  it("a reveal without a commitment, twice, by the wrong validator, or after the window is refused and nothing is stored", async () => {
    const { taskId, submissionId } = await acceptedSubmission();
    const assignment = await ctx.repos.assignments.create({
      submissionId,
      validator: account(10),
      seed: "s",
      assignedAt: at(61),
      deadline: at(91),
    });
    const reveal = {
      assignmentId: assignment.id,
      score: 1n,
      salt: "0x01",
      evidence: {},
      reportedAt: at(121),
      request: REQUEST,
    };
    await expect(ctx.repos.scores.reveal({ ...reveal, validator: account(10) })).rejects.toMatchObject({
      code: "ASSIGNMENT_TRANSITION_INVALID",
    });
    const commit = { validator: account(10), commitment: hash32("c"), committedAt: at(70) };
    await expect(
      ctx.repos.assignments.commitScore(assignment.id, { ...commit, validator: account(11) }),
    ).rejects.toMatchObject({ code: "ASSIGNMENT_NOT_YOURS" });
    await expect(
      ctx.repos.assignments.commitScore(assignment.id, { ...commit, commitment: "0x12" }),
    ).rejects.toMatchObject({ code: "COMMITMENT_MALFORMED" });
    await ctx.repos.assignments.commitScore(assignment.id, commit);
    await expect(ctx.repos.assignments.commitScore(assignment.id, commit)).rejects.toMatchObject({
      code: "ASSIGNMENT_TRANSITION_INVALID",
    });
    await expect(ctx.repos.scores.reveal({ ...reveal, validator: account(11) })).rejects.toMatchObject({
      code: "ASSIGNMENT_NOT_YOURS",
    });
    await ctx.repos.assignments.markUnrevealed(assignment.id);
    await expect(ctx.repos.scores.reveal({ ...reveal, validator: account(10) })).rejects.toMatchObject({
      name: "ConflictError",
      code: "ASSIGNMENT_TRANSITION_INVALID",
    });
    expect((await ctx.repos.assignments.get(assignment.id)).status).toBe("unrevealed");
    expect(await ctx.repos.scores.listForTask(taskId)).toEqual([]);
  });

  it("a refereed score is recorded once per submission and listed by task", async () => {
    const { taskId, submissionId } = await acceptedSubmission();
    const first = await ctx.repos.scores.recordRefereed({
      submissionId,
      score: 7n,
      disputeId: 1,
      evidenceId: cid("evidence 1"),
      decidedAt: at(130),
    });
    const again = await ctx.repos.scores.recordRefereed({
      submissionId,
      score: 8n,
      disputeId: 2,
      evidenceId: cid("evidence 2"),
      decidedAt: at(131),
    });
    expect(again).toEqual(first);
    expect([...(await ctx.repos.scores.refereedForTask(taskId)).values()]).toEqual([first]);
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
