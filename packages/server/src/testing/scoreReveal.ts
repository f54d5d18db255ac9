import { randomBytes } from "node:crypto";
import { scoreCommitment } from "@flock/core";
import type { LightMyRequestResponse } from "fastify";
import type { LocalAccount } from "viem";
import type { TestApp } from "./testApp.ts";

/** A committed score a test will reveal after the task's end (SPEC §2.1 commit-reveal). */
export interface PendingReveal {
  validator: LocalAccount;
  assignmentId: number;
  score: bigint;
  salt: string;
  evidence: Record<string, unknown>;
}

/** A fresh 16-byte salt, 0x-hex. */
export function newSalt(): string {
  return `0x${randomBytes(16).toString("hex")}`;
}

/** Commit to a score over HTTP (signed); throws unless the coordinator accepts it. */
export async function commitScore(
  t: Pick<TestApp, "signed">,
  validator: LocalAccount,
  assignmentId: number,
  score: bigint,
  evidence: Record<string, unknown> = { score: score.toString() },
): Promise<PendingReveal> {
  const salt = newSalt();
  const response = await t.signed(validator, "POST", `/assignments/${assignmentId}/commitment`, {
    commitment: scoreCommitment({ assignmentId, score, salt }),
  });
  if (response.statusCode !== 201) throw new Error(`commitment not accepted: ${response.body}`);
  return { validator, assignmentId, score, salt, evidence };
}

/** Send one reveal (signed) and return the coordinator's answer. */
export function sendReveal(
  t: Pick<TestApp, "signed">,
  pending: PendingReveal,
): Promise<LightMyRequestResponse> {
  return t.signed(pending.validator, "POST", `/assignments/${pending.assignmentId}/reveal`, {
    score: pending.score.toString(),
    salt: pending.salt,
    evidence: pending.evidence,
  });
}

/** Reveal every pending score; throws unless each is accepted (the clock must be past the task's end). */
export async function revealScores(
  t: Pick<TestApp, "signed">,
  pending: readonly PendingReveal[],
): Promise<void> {
  for (const p of pending) {
    const response = await sendReveal(t, p);
    if (response.statusCode !== 201) throw new Error(`reveal not accepted: ${response.body}`);
  }
}

/**
 * Move a task past validation as the network does: to just after its end, reveal the pending scores, then to
 * the close of the reveal window (`revealWindowMs`, the config's) and run the due jobs (the finalize job).
 */
export async function revealAndFinalize(
  t: Pick<TestApp, "signed" | "app">,
  clock: { set(time: Date): void },
  endTime: Date,
  pending: readonly PendingReveal[],
): Promise<void> {
  clock.set(new Date(endTime.getTime() + 1000));
  await t.app.scheduler.runDue();
  await revealScores(t, pending);
  clock.set(new Date(endTime.getTime() + t.app.config.revealWindowMs));
  await t.app.scheduler.runDue();
}
