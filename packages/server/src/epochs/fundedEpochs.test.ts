import { contentId } from "@flock/core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway, type RecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { commitScore, revealAndFinalize } from "../testing/scoreReveal.ts";
import { freshDataDir } from "../testing/templateDataDir.ts";
import { type ManualClock, manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const key = () => privateKeyToAccount(generatePrivateKey());
const WAD = 10n ** 18n;

/** One task, one trainer, one validator, run to settlement with the reward distributor holding `balance`. */
async function settleOneTask(t: TestApp, clock: ManualClock, start: Date) {
  const minutes = (n: number) => new Date(start.getTime() + n * 60_000);
  const [creator, trainer, validator] = [operatorAccount, key(), key()];
  const task = (
    await t.signed(creator, "POST", "/tasks", {
      title: "funded",
      description: "d",
      type: "lm-lora",
      baseModel: await t.publish("base model"),
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: await t.publish("train"),
      validationCommitment: contentId(`hidden ${start.toISOString()}`),
      submissionDeadline: minutes(60).toISOString(),
      endTime: minutes(120).toISOString(),
      rewardWeight: "1",
      minStake: "0",
      minLockDays: 0,
    })
  ).json();
  for (const [account, role] of [
    [trainer, "trainer"],
    [validator, "validator"],
  ] as const) {
    await t.indexStake(task.id, account.address, role, 3000n * WAD);
  }
  const adapter = new TextEncoder().encode(`adapter ${start.toISOString()}`);
  const commit = (
    await t.signed(trainer, "POST", `/tasks/${task.id}/submissions`, { commitHash: contentId(adapter) })
  ).json();
  await t.upload(trainer, `/submissions/${commit.id}/artifact`, adapter);
  clock.set(minutes(60));
  await t.app.scheduler.runDue();
  const [assignment] = (await t.signed(validator, "GET", "/assignments")).json().items;
  const pending = await commitScore(t, validator, assignment.id, 1_250_000_000_000_000_000n, { bpc: 1.25 });
  await revealAndFinalize(t, clock, minutes(120), [pending]);
  await t.app.scheduler.runDue();
  const [epoch] = await t.repos.epochs.list({ taskId: task.id });
  const report = JSON.parse(
    (await t.app.http.inject({ method: "GET", url: `/epochs/${epoch!.number}/report` })).body,
  );
  const rewards = await t.repos.rewards.listForEpoch(epoch!.number);
  return { epoch: epoch!, report, total: rewards.reduce((sum, r) => sum + r.amount, 0n) };
}

// SPEC §3: rewards come from emission the RewardDistributor holds; an epoch never promises more.
describe("epochs are funded by what the reward distributor holds", () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  async function start(
    balance: bigint,
  ): Promise<{ chain: RecordingChainGateway; clock: ManualClock; t0: Date }> {
    const t0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const clock = manualClock(t0);
    const chain = createRecordingChainGateway();
    chain.rewardBalance = balance;
    chain.mints = [{ mintIndex: 0n, amount: 1000n * WAD }];
    t = await startTestApp({ dataDir: await freshDataDir(), clock, chain });
    return { chain, clock, t0 };
  }

  it("a full pool pays the latest mint's emission and the root declares exactly its leaves' sum", async () => {
    const { chain, clock, t0 } = await start(5000n * WAD);
    const { report, total } = await settleOneTask(t!, clock, t0);
    expect(BigInt(report.inputs.emission)).toBe(1000n * WAD);
    expect(total).toBe(1000n * WAD);
    expect(chain.posted.map((p) => p.total)).toEqual([1000n * WAD]);
  });

  it("a short pool pays what it holds, and the next epoch only what the first left", async () => {
    const { chain, clock, t0 } = await start(1500n * WAD);
    const first = await settleOneTask(t!, clock, t0);
    expect(BigInt(first.report.inputs.emission)).toBe(1000n * WAD);
    expect(first.report.inputs.mintIndex).toBe("0");
    chain.mints.push({ mintIndex: 1n, amount: 1000n * WAD });
    const second = await settleOneTask(t!, clock, new Date(t0.getTime() + 180 * 60_000));
    expect(second.report.inputs.mintIndex).toBe("1");
    expect(BigInt(second.report.inputs.emission)).toBe(500n * WAD);
    expect(chain.posted.map((p) => p.total)).toEqual([1000n * WAD, 500n * WAD]);
    // The pool is now fully promised: a third epoch would pay nothing.
    expect((await chain.rewardPool()).unallocated).toBe(0n);
  });

  it("a mint funds one epoch only: the next epoch without a new mint pays no emission", async () => {
    const { chain, clock, t0 } = await start(5000n * WAD);
    const first = await settleOneTask(t!, clock, t0);
    expect(BigInt(first.report.inputs.emission)).toBe(1000n * WAD);
    const second = await settleOneTask(t!, clock, new Date(t0.getTime() + 180 * 60_000));
    expect(BigInt(second.report.inputs.emission)).toBe(0n);
    expect(second.report.inputs.mintIndex).toBeUndefined();
    expect(chain.posted.map((p) => p.total)).toEqual([1000n * WAD, 0n]);
  });

  it("an empty pool settles an epoch that pays nothing, and says so in its report", async () => {
    const { chain, clock, t0 } = await start(0n);
    const { report, total, epoch } = await settleOneTask(t!, clock, t0);
    expect(BigInt(report.inputs.emission)).toBe(0n);
    expect(total).toBe(0n);
    expect(epoch.txHash).not.toBeNull();
    expect(chain.posted.map((p) => p.total)).toEqual([0n]);
  });
});
