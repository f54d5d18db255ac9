import { claimRewards, getBalances, readEvents, withdrawStake } from "@flock/chain";
import { scoreCommitment } from "@flock/core";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChainCrashNetwork,
  crashed,
  sleepUntil,
  taskBody,
  until,
} from "./testing/chainCoordinatorScenario.ts";

/**
 * The coordinator killed with SIGKILL right after each kind of chain write (and after the stake index and the
 * task jobs' work), on one network: after each restart the coordinator resumes from what the chain says. Every
 * task reaches `closed` on-chain and in the store, each epoch is posted once, stakes are withdrawable, rewards
 * are claimable and the epoch audits. (Anvil stopped mid-run, and the deploying process killed, are in
 * chainOutage.test.ts, which vitest runs beside this file.)
 */

const net = new ChainCrashNetwork("flock-chain-crash-");
const { call, expectSettled, publish, stakeAs, startCoordinator, submit } = net;

beforeAll(net.start, 60_000);
afterAll(net.stop);

describe("the coordinator killed right after each chain write, restarted on the same folder", () => {
  it("resumes from what the chain says: the task closes on-chain and here, its epoch is posted once, stakes come back and rewards pay", async () => {
    const trainer = net.chain.accounts[3]!;
    const copier = net.chain.accounts[4]!;
    const validator = net.chain.accounts[5]!;
    const as = (a: { privateKey: Hex }) => privateKeyToAccount(a.privateKey);

    // 1. Killed right after TaskStaking.createTask was mined: the request never answers.
    let running = await startCoordinator("registerTask");
    const baseModel = await publish("base model");
    const trainingSet = await publish("training set");
    const created = Date.now();
    // Time for three restarts, nine staking transactions and two uploads before the deadline on a busy machine.
    const deadline = created + 40_000;
    // Time for two restarts, the draw and the validator's commitment before the end.
    const end = deadline + 15_000;
    await expect(
      call(net.admin, "POST", "/tasks", taskBody("crash", baseModel, trainingSet, deadline, end)),
    ).rejects.toThrow();
    await crashed(running, "registerTask");

    // 2. Restarted: the reconciler finds the draft registered on-chain and opens it. Killed right after the
    // stake index stored the first stake it read from the chain.
    running = await startCoordinator("stakeIndexed");
    const task = await until("the registered draft to open", async () => {
      const [t] = (await call(undefined, "GET", "/tasks")).json.items;
      return t?.status === "open" ? t : undefined;
    });
    expect((await net.observer.chainTask(task.id)).status).toBe("open");
    const stakes = new Map<string, bigint>();
    for (const [account, role] of [
      [trainer, "trainer"],
      [copier, "trainer"],
      [validator, "validator"],
    ] as const) {
      stakes.set(account.address, await stakeAs(net.chain.clientFor(account), task.id, role));
    }
    await crashed(running, "stakeIndexed");

    // 3. Killed right after the copier's slash was mined (Slashing.slash, evidence hash once).
    running = await startCoordinator("slash");
    const adapter = new TextEncoder().encode("adapter weights");
    expect((await submit(as(trainer), task.id, adapter)).status).toBe("accepted");
    expect((await submit(as(copier), task.id, adapter)).status).toBe("copy");
    await crashed(running, "slash");

    // 4. Killed right after the submission deadline's job drew the validators (before it was marked done).
    running = await startCoordinator("job:task.closeSubmissions");
    await crashed(running, "job:task.closeSubmissions", deadline + 30_000 - Date.now());

    // 5. The validator reports; killed right after the epoch's roots were posted (RewardDistributor).
    running = await startCoordinator("postEpochRoot");
    const [assignment] = await until("the assignment", async () => {
      const items = (await call(as(validator), "GET", "/assignments")).json.items;
      return items.length > 0 ? items : undefined;
    });
    const score = 1_100_000_000_000_000_000n;
    const salt = `0x${"5a".repeat(16)}`;
    const committed = await call(as(validator), "POST", `/assignments/${assignment.id}/commitment`, {
      commitment: scoreCommitment({ assignmentId: assignment.id, score, salt }),
    });
    expect(committed.status).toBe(201);
    await sleepUntil(end + 300);
    const revealed = await call(as(validator), "POST", `/assignments/${assignment.id}/reveal`, {
      score: score.toString(),
      salt,
      evidence: { bpc: "1.1" },
    });
    expect(revealed.status).toBe(201);
    await crashed(running, "postEpochRoot");

    // 6. Killed right after TaskStaking.setTaskStatus(closed) was mined.
    running = await startCoordinator("closeTask");
    await crashed(running, "closeTask");

    // 7. Killed right after the finalize job's work (everything settled, the job not marked done).
    running = await startCoordinator("job:task.finalize");
    await crashed(running, "job:task.finalize");

    // 8. The last restart finds everything done and finishes the job.
    running = await startCoordinator();
    const epoch = await expectSettled(task.id);
    // No job failed or is stuck: none running, none overdue (an assignment's timeout may still be ahead).
    const leftOver = async () => {
      const jobs = [];
      for (const status of ["pending", "running", "failed"]) {
        jobs.push(...(await call(undefined, "GET", `/admin/jobs?status=${status}`)).json.items);
      }
      return jobs.filter(
        (j: { kind: string; status: string; runAt: string }) =>
          j.kind !== "chain.reconcile" && (j.status !== "pending" || Date.parse(j.runAt) < Date.now() - 5000),
      );
    };
    await until(
      "every job done",
      async () => ((await leftOver()).length === 0 ? true : undefined),
      15_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(await leftOver())}`);
    });

    // The copier was slashed once on-chain.
    let slashes = 0;
    for await (const event of readEvents(net.chain.clientFor(copier), {
      fromBlock: BigInt(net.chain.manifest.blockNumber),
      kinds: ["slashed"],
    })) {
      if (event.kind === "slashed" && event.args.account.toLowerCase() === copier.address.toLowerCase())
        slashes++;
    }
    expect(slashes).toBe(1);

    // The trainer's reward pays with its proof.
    const proof = (await call(undefined, "GET", `/epochs/${epoch.number}/proofs/${trainer.address}`)).json;
    const claimTree = proof.liquid === null ? "vesting" : "liquid";
    const claim = proof[claimTree] as { amount: string; proof: Hex[] };
    const before = (await getBalances(net.chain.clientFor(trainer), { account: trainer.address })).flock;
    await claimRewards(net.chain.clientFor(trainer), {
      epoch: BigInt(epoch.number),
      tree: claimTree,
      amount: BigInt(claim.amount),
      proof: claim.proof,
    });
    expect(
      (await getBalances(net.chain.clientFor(trainer), { account: trainer.address })).flock,
    ).toBeGreaterThan(before);

    // Stakes come back after the dispute window (1 s of chain time): the whole stake, the copier's less its slash.
    await net.chain.advanceTime(5);
    expect((await withdrawStake(net.chain.clientFor(trainer), { taskId: BigInt(task.id) })).amount).toBe(
      stakes.get(trainer.address),
    );
    expect((await withdrawStake(net.chain.clientFor(validator), { taskId: BigInt(task.id) })).amount).toBe(
      stakes.get(validator.address),
    );
    expect((await withdrawStake(net.chain.clientFor(copier), { taskId: BigInt(task.id) })).amount).toBe(
      stakes.get(copier.address)! / 2n,
    );
  }, 240_000);
});
