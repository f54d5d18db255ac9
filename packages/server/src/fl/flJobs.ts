import { withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { JOB_KINDS, jobInput, readJobPayload } from "../jobs/jobPayloads.ts";
import type { JobHandler } from "../scheduler/scheduler.ts";
import { slashWithEvidence } from "../slashes/slashWithEvidence.ts";
import { freezeStakes } from "../stakes/freezeStakes.ts";
import { stepRound } from "./playRound.ts";
import { finishTask } from "./roundOutcome.ts";
import { roundParticipants } from "./roundParticipants.ts";

/** Schedule a federated task's start at its join deadline (keyed: scheduling twice is harmless). */
export async function scheduleFlStart(
  repos: AppContext["repos"],
  task: { id: number; submissionDeadline: Date },
): Promise<void> {
  await repos.jobs.schedule(
    jobInput(JOB_KINDS.flStart, {
      key: `fl:${task.id}:start`,
      runAt: task.submissionDeadline,
      payload: { taskId: task.id },
    }),
  );
}

/**
 * The jobs of a federated task (SPEC §2.2):
 * - `fl.start` at the join deadline: stakes are frozen (the first block after the deadline); with at least the
 *   task's minimum of participants holding stake, the task runs (open → running) and round 1 starts; with fewer,
 *   it finishes without rounds and its pool goes back to its creator at settlement;
 * - `fl.round`: one step of a round (`stepRound`); a step that finds replies still due schedules the next step
 *   (keyed by its tick), so the scheduler is never held up by a round and a restarted coordinator resumes it;
 * - `fl.slash`: one slash of a round's outcome, executed on-chain with published evidence.
 */
export function flJobHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    [JOB_KINDS.flStart]: async (job) => {
      const { taskId } = readJobPayload(job, JOB_KINDS.flStart);
      const task = await ctx.repos.tasks.get(taskId);
      if (task.status !== "open") return;
      const snapshot = await freezeStakes(ctx, taskId);
      if (snapshot === null) {
        // No block after the join deadline yet: look again in a second.
        const at = new Date(ctx.clock.now().getTime() + 1000);
        await ctx.repos.jobs.schedule(
          jobInput(JOB_KINDS.flStart, {
            key: `fl:${taskId}:start:${at.getTime()}`,
            runAt: at,
            payload: { taskId },
          }),
        );
        return;
      }
      const terms = await ctx.repos.fl.getTerms(taskId);
      const participants = await roundParticipants(ctx, taskId);
      if (participants.length < terms.minParticipants) {
        await finishTask(
          ctx,
          taskId,
          `${participants.length} of the ${terms.minParticipants} participants needed joined with stake`,
        );
        return;
      }
      await withTransaction(ctx.db, async (tx) => {
        await tx.tasks.transition(taskId, "validating");
        await tx.fl.setProgress(taskId, { currentRound: 1 });
        await tx.events.append("task.status", { taskId, from: "open", to: "validating" });
        await tx.jobs.schedule(
          jobInput(JOB_KINDS.flRound, {
            key: `fl:${taskId}:r1:t0`,
            runAt: ctx.clock.now(),
            payload: { taskId, round: 1, tick: 0 },
          }),
        );
      });
    },
    [JOB_KINDS.flRound]: async (job) => {
      const { taskId, round, tick } = readJobPayload(job, JOB_KINDS.flRound);
      const next = await stepRound(ctx, taskId, round);
      if (next === null) return;
      await ctx.repos.jobs.schedule(
        jobInput(JOB_KINDS.flRound, {
          key: `fl:${taskId}:r${round}:t${tick + 1}`,
          runAt: next.at,
          payload: { taskId, round, tick: tick + 1 },
        }),
      );
    },
    [JOB_KINDS.flSlash]: async (job) => {
      const { taskId, round, account } = readJobPayload(job, JOB_KINDS.flSlash);
      const record = await ctx.repos.fl.getRound(taskId, round);
      const slash = record.slashes.find((s) => s.account === account);
      if (slash === undefined) return;
      const voter = record.voters.find((v) => v.account === account);
      const proposer = record.proposers.find((p) => p.account === account);
      const dutyFailed = proposer ? !record.updaters.includes(account) : voter?.vote === null;
      await slashWithEvidence(ctx, {
        taskId,
        account,
        fractionBps: slash.fractionBps ?? ctx.config.failedDutySlashBps,
        reason: dutyFailed ? "fl-failed-duty" : "fl-vote",
        evidence: {
          kind: dutyFailed ? "flock-fl-failed-duty/1" : "flock-fl-vote-rule/1",
          taskId,
          round,
          account,
          role: proposer ? "proposer" : "voter",
          seed: record.seed,
          seedBlock: record.seedBlock?.toString() ?? null,
          status: record.status,
          tally: record.tally?.toString() ?? null,
          vote: voter?.vote ?? null,
          updated: proposer ? record.updaters.includes(account) : null,
          inCandidate: proposer ? record.contributors.includes(account) : null,
          candidate: record.candidateModel,
          baseModel: record.baseModel,
          fractionBps: slash.fractionBps ?? null,
        },
        event: { round },
      });
    },
  };
}
