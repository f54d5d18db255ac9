import { contentId } from "@flock/core";
import { type LocalAccount, sha256 } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { operatorAccount } from "./operatorAccount.ts";
import { commitScore, type PendingReveal } from "./scoreReveal.ts";
import { signedHeaders } from "./signedHeaders.ts";
import type { ManualClock, TestApp } from "./testApp.ts";

const WAD = 10n ** 18n;

export interface ScoredTask {
  taskId: number;
  creator: LocalAccount;
  trainers: LocalAccount[];
  validators: LocalAccount[];
  /** Submission id of each trainer's artifact, in trainer order. */
  submissions: number[];
  /** Time at which the task ends (validators reveal after it; `revealAndFinalize` finishes the task). */
  endTime: Date;
  /** The committed scores, to reveal after the end. */
  pending: PendingReveal[];
}

/**
 * A task run up to its end: one trainer per artifact commits and uploads it, every validator (each staked
 * `validatorStake`) is assigned every submission (k = number of validators) and commits to `scoreOf` for it
 * (revealed later with `revealAndFinalize`).
 * The base model and hidden set are stored in the coordinator's artifact store, as a local network does.
 */
export async function scoredTask(
  t: TestApp,
  clock: ManualClock,
  options: {
    baseModel: Uint8Array;
    hiddenSet: Uint8Array;
    artifacts: Uint8Array[];
    validatorStakes: bigint[];
    scoreOf: (validator: number, trainer: number) => bigint;
    /** The task type (default lm-lora); a tabular type needs its CSV training set. */
    type?: "lm-lora" | "classifier" | "regressor";
    trainingSet?: Uint8Array;
  },
): Promise<ScoredTask> {
  const key = () => privateKeyToAccount(generatePrivateKey());
  const creator = operatorAccount;
  const trainers = options.artifacts.map(key);
  const validators = options.validatorStakes.map(key);
  const start = clock.now().getTime();
  const endTime = new Date(start + 120 * 60_000);
  const base = { id: await t.publish(options.baseModel) };
  const created = await t.signed(creator, "POST", "/tasks", {
    title: "refereed",
    description: "a task whose scores are disputed",
    type: options.type ?? "lm-lora",
    baseModel: base.id,
    contextLength: 48,
    maxTrainableParams: 100_000,
    trainingSetId: await t.publish(options.trainingSet ?? "train"),
    validationCommitment: contentId(options.hiddenSet),
    submissionDeadline: new Date(start + 60 * 60_000).toISOString(),
    endTime: endTime.toISOString(),
    rewardWeight: "1",
    minStake: (1000n * WAD).toString(),
    minLockDays: 0,
  });
  if (created.statusCode !== 201) throw new Error(`task not created: ${created.body}`);
  const taskId: number = created.json().id;
  const hidden = await t.artifacts.put(options.hiddenSet, { maxBytes: options.hiddenSet.length });
  await t.repos.artifacts.record({ id: hidden.id, size: hidden.size, mediaType: "application/octet-stream" });
  await t.repos.tasks.setHiddenValidationSet(taskId, hidden.id);

  let block = 1;
  const stakeAs = (account: LocalAccount, role: "trainer" | "validator", amount: bigint) =>
    t.repos.stakes.applyEvent({
      taskId,
      account: account.address,
      role,
      amount,
      blockNumber: block++,
      logIndex: 0,
    });
  for (const trainer of trainers) await stakeAs(trainer, "trainer", 4000n * WAD);
  for (const [i, v] of validators.entries()) await stakeAs(v, "validator", options.validatorStakes[i]!);

  const submissions: number[] = [];
  for (const [i, trainer] of trainers.entries()) {
    const bytes = options.artifacts[i]!;
    const commit = await t.signed(trainer, "POST", `/tasks/${taskId}/submissions`, {
      commitHash: contentId(bytes),
    });
    const id: number = commit.json().id;
    const path = `/submissions/${id}/artifact`;
    const headers = await signedHeaders({
      account: trainer,
      chainId: 31337,
      method: "PUT",
      path,
      bodyHash: sha256(bytes),
      timestamp: Math.floor(clock.now().getTime() / 1000),
    });
    const uploaded = await t.app.http.inject({
      method: "PUT",
      url: path,
      headers: { ...headers, "content-type": "application/octet-stream" },
      payload: Buffer.from(bytes),
    });
    if (uploaded.json().status !== "accepted") throw new Error(`upload not accepted: ${uploaded.body}`);
    submissions.push(id);
  }

  clock.set(new Date(start + 60 * 60_000));
  await t.app.scheduler.runDue();
  const pending: PendingReveal[] = [];
  for (const [vi, v] of validators.entries()) {
    const assignments = (await t.signed(v, "GET", "/assignments")).json().items;
    for (const a of assignments as { id: number; submissionId: number }[]) {
      const score = options.scoreOf(vi, submissions.indexOf(a.submissionId));
      pending.push(await commitScore(t, v, a.id, score));
    }
  }
  return { taskId, creator, trainers, validators, submissions, endTime, pending };
}
