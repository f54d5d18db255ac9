import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  approve,
  claimRewards,
  type FlockClient,
  getBalances,
  type LocalChain,
  lockFlock,
  manifestAddresses,
  readEvents,
  stake,
  startLocalChain,
  withdrawStake,
} from "@flock/chain";
import { contentId, parseFlock, scoreCommitment } from "@flock/core";
import { computeEpoch, epochInputsFromReport } from "@flock/protocol";
import { type Hex, type LocalAccount, sha256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChainGateway } from "./chain/chainGateway.ts";
import { createChainGateway } from "./chain/createChainGateway.ts";
import type { ServerConfig } from "./deps.ts";
import { type ChainCoordinatorProcess, startChainCoordinator } from "./testing/chainCoordinatorProcess.ts";
import type { CrashPoint } from "./testing/crashPoints.ts";
import { signedHeaders } from "./testing/signedHeaders.ts";

/**
 * The coordinator killed with SIGKILL right after each kind of chain write (and after the stake index and the
 * task jobs' work), and anvil stopped mid-run, on one network: after each restart the coordinator resumes from
 * what the chain says. Every task reaches `closed` on-chain and in the store, each epoch is posted once, stakes
 * are withdrawable, rewards are claimable and the epoch audits.
 */

const root = mkdtempSync(join(tmpdir(), "flock-chain-crash-"));
const chainDir = join(root, "chain");
const coordinatorDir = join(root, "coordinator");
const config: Partial<ServerConfig> = {
  schedulerPollMs: 100,
  indexerPollMs: 200,
  eventPollMs: 100,
  validatorsPerSubmission: 1,
  revealWindowMs: 3000,
  // A killed coordinator's running job is claimed again within 3 s; failures back off at most 500 ms.
  jobLeaseMs: 3000,
  jobMaxBackoffMs: 500,
  reconcileIntervalMs: 1000,
};
let chain: LocalChain;
let observer: ChainGateway;
let coordinator: ChainCoordinatorProcess | undefined;
let admin: LocalAccount;

/** Start the coordinator on the test's folder (reconnecting to the chain wherever it is now). */
async function startCoordinator(crashAfter?: CrashPoint): Promise<ChainCoordinatorProcess> {
  coordinator = await startChainCoordinator({
    dataDir: coordinatorDir,
    rpcUrl: chain.rpcUrl,
    deployment: join(chainDir, "deployment.json"),
    coordinatorKey: chain.roles.coordinator.privateKey,
    disputeWindowSec: 1,
    ...(crashAfter === undefined ? {} : { crashAfter }),
    config,
  });
  return coordinator;
}

/** Wait for the coordinator to kill itself at its crash point. */
async function crashed(running: ChainCoordinatorProcess, point: CrashPoint, timeoutMs = 60_000) {
  const signal = await Promise.race([
    running.exited,
    new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), timeoutMs)),
  ]);
  if (signal === "timeout") throw new Error(`the coordinator did not reach crash point ${point}`);
  expect(signal).toBe("SIGKILL");
}

// biome-ignore lint/suspicious/noExplicitAny: responses are read loosely in these scenarios
type Json = any;

async function call(
  account: LocalAccount | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const bytes =
    body === undefined
      ? undefined
      : body instanceof Uint8Array
        ? body
        : new TextEncoder().encode(JSON.stringify(body));
  const headers: Record<string, string> = {};
  if (bytes !== undefined) {
    headers["content-type"] = body instanceof Uint8Array ? "application/octet-stream" : "application/json";
  }
  if (account !== undefined) {
    Object.assign(
      headers,
      await signedHeaders({
        account,
        chainId: chain.chainId,
        verifyingContract: observer.requestVerifier,
        method,
        path,
        bodyHash: sha256(bytes ?? new Uint8Array()),
      }),
    );
  }
  const response = await fetch(`${coordinator!.url}${path}`, {
    method,
    headers,
    ...(bytes === undefined ? {} : { body: bytes }),
  });
  const text = await response.text();
  return { status: response.status, json: text === "" ? undefined : JSON.parse(text) };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

const sleepUntil = (time: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));

async function stakeAs(client: FlockClient, taskId: number, role: "trainer" | "validator"): Promise<bigint> {
  const amount = parseFlock("1000");
  await approve(client, { token: "FLOCK", spender: "GmFlock", amount });
  const { lockId, gmAmount } = await lockFlock(client, { amount, days: 365 });
  await approve(client, { token: "gmFLOCK", spender: "TaskStaking", amount: gmAmount });
  await stake(client, { taskId: BigInt(taskId), role, amount: gmAmount, lockId });
  return gmAmount;
}

async function publish(text: string): Promise<string> {
  const bytes = new TextEncoder().encode(text);
  const response = await call(admin, "PUT", `/artifacts/${contentId(bytes)}`, bytes);
  expect(response.status).toBe(201);
  return response.json.id;
}

/** An emission-paid task created by the network's admin (an operator: it opens at once). */
function taskBody(title: string, baseModel: string, trainingSetId: string, deadline: number, end: number) {
  return {
    title,
    description: "crash test",
    type: "lm-lora",
    baseModel,
    contextLength: 64,
    maxTrainableParams: 1000,
    trainingSetId,
    validationCommitment: contentId(`hidden ${title}`),
    submissionDeadline: new Date(deadline).toISOString(),
    endTime: new Date(end).toISOString(),
    rewardWeight: "1",
    minStake: parseFlock("100").toString(),
    minLockDays: 0,
  };
}

async function submit(trainer: LocalAccount, taskId: number, bytes: Uint8Array) {
  const commit = await call(trainer, "POST", `/tasks/${taskId}/submissions`, {
    commitHash: contentId(bytes),
  });
  expect(commit.status).toBe(201);
  const uploaded = await call(trainer, "PUT", `/submissions/${commit.json.id}/artifact`, bytes);
  expect(uploaded.status).toBe(200);
  return uploaded.json as { id: number; status: string };
}

/** Epoch roots posted on-chain for `epoch` (EpochRootPosted events): exactly one when posted once. */
async function postsOf(epoch: number): Promise<number> {
  let count = 0;
  for await (const event of readEvents(chain.clientFor(chain.accounts[0]!), {
    fromBlock: BigInt(chain.manifest.blockNumber),
    kinds: ["epochRootPosted"],
  })) {
    if (event.kind === "epochRootPosted" && event.args.epoch === BigInt(epoch)) count++;
  }
  return count;
}

/** The task is closed in the store and on-chain, its one epoch posted once, and the epoch audits. */
async function expectSettled(taskId: number) {
  await until("the task to close", async () =>
    (await call(undefined, "GET", `/tasks/${taskId}`)).json.status === "closed" ? true : undefined,
  );
  expect((await observer.chainTask(taskId)).status).toBe("closed");
  const [epoch] = (await call(undefined, "GET", `/epochs?taskId=${taskId}`)).json.items;
  expect(epoch.txHash).toMatch(/^0x[0-9a-f]{64}$/);
  expect(await postsOf(epoch.number)).toBe(1);
  // The audit: the chain's roots are the store's, and recomputing the published report gives them again.
  const posted = await observer.postedEpoch(BigInt(epoch.number));
  expect(posted).toMatchObject({
    liquidRoot: epoch.liquidRoot,
    vestingRoot: epoch.vestingRoot,
    reportHash: epoch.reportHash,
    transactionHash: epoch.txHash,
  });
  const report = await fetch(`${coordinator!.url}/epochs/${epoch.number}/report`);
  const recomputed = computeEpoch(epochInputsFromReport(JSON.parse(await report.text())));
  expect(recomputed.reportHash).toBe(epoch.reportHash);
  expect(recomputed.trees.liquid.root).toBe(epoch.liquidRoot);
  expect(recomputed.trees.vesting.root).toBe(epoch.vestingRoot);
  const health = (await call(undefined, "GET", "/health")).json;
  expect(health.failedJobs).toEqual([]);
  expect(health.chainDifferences.filter((d: { repaired: boolean }) => !d.repaired)).toEqual([]);
  return epoch as { number: number };
}

beforeAll(async () => {
  chain = await startLocalChain({ dataDir: chainDir });
  observer = createChainGateway({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    addresses: manifestAddresses(chain.manifest),
    coordinatorKey: chain.roles.coordinator.privateKey,
    startBlock: BigInt(chain.manifest.blockNumber),
  });
  admin = privateKeyToAccount(chain.roles.admin.privateKey);
}, 60_000);

afterAll(async () => {
  await coordinator?.stop();
  await chain?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("the coordinator killed right after each chain write, restarted on the same folder", () => {
  it("resumes from what the chain says: the task closes on-chain and here, its epoch is posted once, stakes come back and rewards pay", async () => {
    const trainer = chain.accounts[3]!;
    const copier = chain.accounts[4]!;
    const validator = chain.accounts[5]!;
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
      call(admin, "POST", "/tasks", taskBody("crash", baseModel, trainingSet, deadline, end)),
    ).rejects.toThrow();
    await crashed(running, "registerTask");

    // 2. Restarted: the reconciler finds the draft registered on-chain and opens it. Killed right after the
    // stake index stored the first stake it read from the chain.
    running = await startCoordinator("stakeIndexed");
    const task = await until("the registered draft to open", async () => {
      const [t] = (await call(undefined, "GET", "/tasks")).json.items;
      return t?.status === "open" ? t : undefined;
    });
    expect((await observer.chainTask(task.id)).status).toBe("open");
    const stakes = new Map<string, bigint>();
    for (const [account, role] of [
      [trainer, "trainer"],
      [copier, "trainer"],
      [validator, "validator"],
    ] as const) {
      stakes.set(account.address, await stakeAs(chain.clientFor(account), task.id, role));
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
    for await (const event of readEvents(chain.clientFor(copier), {
      fromBlock: BigInt(chain.manifest.blockNumber),
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
    const before = (await getBalances(chain.clientFor(trainer), { account: trainer.address })).flock;
    await claimRewards(chain.clientFor(trainer), {
      epoch: BigInt(epoch.number),
      tree: claimTree,
      amount: BigInt(claim.amount),
      proof: claim.proof,
    });
    expect((await getBalances(chain.clientFor(trainer), { account: trainer.address })).flock).toBeGreaterThan(
      before,
    );

    // Stakes come back after the dispute window (1 s of chain time): the whole stake, the copier's less its slash.
    await chain.advanceTime(5);
    expect((await withdrawStake(chain.clientFor(trainer), { taskId: BigInt(task.id) })).amount).toBe(
      stakes.get(trainer.address),
    );
    expect((await withdrawStake(chain.clientFor(validator), { taskId: BigInt(task.id) })).amount).toBe(
      stakes.get(validator.address),
    );
    expect((await withdrawStake(chain.clientFor(copier), { taskId: BigInt(task.id) })).amount).toBe(
      stakes.get(copier.address)! / 2n,
    );
  }, 240_000);

  it("anvil stopped across a deadline and across the settlement: the jobs wait for it without giving up, and the task closes", async () => {
    const trainer = chain.accounts[6]!;
    const validator = chain.accounts[7]!;
    const as = (a: { privateKey: Hex }) => privateKeyToAccount(a.privateKey);
    const port = Number(new URL(chain.rpcUrl).port);
    const deadline = Date.now() + 15_000;
    // The outage lasts past the deadline; the validator still commits before the end once the chain is back.
    const end = deadline + 25_000;
    const created = await call(
      admin,
      "POST",
      "/tasks",
      taskBody("anvil", await publish("base model 2"), await publish("training set 2"), deadline, end),
    );
    expect(created.status).toBe(201);
    const taskId: number = created.json.id;
    const stakes = new Map<string, bigint>();
    stakes.set(trainer.address, await stakeAs(chain.clientFor(trainer), taskId, "trainer"));
    stakes.set(validator.address, await stakeAs(chain.clientFor(validator), taskId, "validator"));
    expect((await submit(as(trainer), taskId, new TextEncoder().encode("adapter 2"))).status).toBe(
      "accepted",
    );

    // Anvil goes down before the deadline. The deadline's job retries for as long as it is down: past the five
    // attempts that once made it give up, it is still pending, not failed.
    const jobOf = async (kind: string) =>
      [
        ...(await call(undefined, "GET", "/admin/jobs?status=pending")).json.items,
        ...(await call(undefined, "GET", "/admin/jobs?status=running")).json.items,
        ...(await call(undefined, "GET", "/admin/jobs?status=failed")).json.items,
      ].find((j: { kind: string; taskId?: number }) => j.kind === kind && j.taskId === taskId);
    await sleepUntil(deadline - 2000);
    await chain.stop();
    await until(
      "the deadline job to retry more than five times",
      async () => {
        const job = await jobOf("task.closeSubmissions");
        expect(job?.status).not.toBe("failed");
        return job !== undefined && job.attempts > 6 ? job : undefined;
      },
      45_000,
    );
    chain = await startLocalChain({ dataDir: chainDir, port });
    const [assignment] = await until("the assignment", async () => {
      const items = (await call(as(validator), "GET", "/assignments")).json.items;
      return items.length > 0 ? items : undefined;
    });
    const score = 1_200_000_000_000_000_000n;
    const salt = `0x${"6b".repeat(16)}`;
    const committed = await call(as(validator), "POST", `/assignments/${assignment.id}/commitment`, {
      commitment: scoreCommitment({ assignmentId: assignment.id, score, salt }),
    });
    expect(committed.status).toBe(201);
    await sleepUntil(end + 300);
    const revealed = await call(as(validator), "POST", `/assignments/${assignment.id}/reveal`, {
      score: score.toString(),
      salt,
      evidence: { bpc: "1.2" },
    });
    expect(revealed.status).toBe(201);

    // Down again as the reveal window closes: the settlement (post the roots, close the task) waits for it.
    await sleepUntil(end + 2500);
    await chain.stop();
    await until(
      "the finalize job to retry",
      async () => {
        const job = await jobOf("task.finalize");
        expect(job?.status).not.toBe("failed");
        return job !== undefined && job.attempts > 3 ? job : undefined;
      },
      45_000,
    );
    chain = await startLocalChain({ dataDir: chainDir, port });
    await expectSettled(taskId);
    await chain.advanceTime(5);
    for (const account of [trainer, validator]) {
      expect((await withdrawStake(chain.clientFor(account), { taskId: BigInt(taskId) })).amount).toBe(
        stakes.get(account.address),
      );
    }
  }, 180_000);
});

describe("the process that deploys the local chain killed right after the deployment", () => {
  it("the next start resumes the deployed chain: same contracts, funded accounts, and the killed process's anvil stopped", async () => {
    const dataDir = join(root, "deploy");
    const script = `import { startLocalChain } from "@flock/chain"; await startLocalChain({ dataDir: ${JSON.stringify(dataDir)} }); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
    const manifestPath = join(dataDir, "deployment.json");
    await until("the deployment", async () => (existsSync(manifestPath) ? true : undefined), 60_000);
    const anvilPid = Number(readFileSync(join(dataDir, "anvil.pid"), "utf8").split(" ")[0]);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));

    const resumed = await startLocalChain({ dataDir });
    try {
      expect(resumed.deployed).toBe(false);
      expect(resumed.manifest).toEqual(JSON.parse(readFileSync(manifestPath, "utf8")));
      expect(() => process.kill(anvilPid, 0)).toThrow();
      const funded = await getBalances(resumed.clientFor(resumed.accounts[9]!), {
        account: resumed.accounts[9]!.address,
      });
      expect(funded.flock).toBe(parseFlock("100000"));
    } finally {
      await resumed.stop();
    }
  }, 120_000);
});
