import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  approve,
  type FlockClient,
  type LocalChain,
  lockFlock,
  manifestAddresses,
  readEvents,
  stake,
  startLocalChain,
} from "@flock/chain";
import { contentId, parseFlock } from "@flock/core";
import { computeEpoch, epochInputsFromReport } from "@flock/protocol";
import { type LocalAccount, sha256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { expect } from "vitest";
import type { ChainGateway } from "../chain/chainGateway.ts";
import { createChainGateway } from "../chain/createChainGateway.ts";
import type { ServerConfig } from "../deps.ts";
import { type ChainCoordinatorProcess, startChainCoordinator } from "./chainCoordinatorProcess.ts";
import type { CrashPoint } from "./crashPoints.ts";
import { signedHeaders } from "./signedHeaders.ts";
import { seedDataDir } from "./templateDataDir.ts";

/**
 * One local chain (anvil with the contracts deployed) and a coordinator process over it in a data folder the
 * test keeps, for the chain crash tests (`chainCrash.test.ts`, `chainOutage.test.ts`): the coordinator is
 * started, killed at crash points and started again on the same folder; anvil may be stopped and restarted on
 * its own folder and port. The helpers send signed requests, stake, publish, submit and check a settled task.
 */

/** Short timers so a killed coordinator's work is picked up again within seconds. */
export const CRASH_TEST_CONFIG: Partial<ServerConfig> = {
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

// biome-ignore lint/suspicious/noExplicitAny: responses are read loosely in these scenarios
type Json = any;

/** Poll `probe` every 150 ms until it returns a value (a throwing probe counts as not yet). */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

export const sleepUntil = (time: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));

/** Wait for the coordinator to kill itself at its crash point. */
export async function crashed(running: ChainCoordinatorProcess, point: CrashPoint, timeoutMs = 60_000) {
  const signal = await Promise.race([
    running.exited,
    new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), timeoutMs)),
  ]);
  if (signal === "timeout") throw new Error(`the coordinator did not reach crash point ${point}`);
  expect(signal).toBe("SIGKILL");
}

/** An emission-paid task created by the network's admin (an operator: it opens at once). */
export function taskBody(
  title: string,
  baseModel: string,
  trainingSetId: string,
  deadline: number,
  end: number,
) {
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

export class ChainCrashNetwork {
  readonly root: string;
  readonly chainDir: string;
  readonly coordinatorDir: string;
  chain!: LocalChain;
  observer!: ChainGateway;
  admin!: LocalAccount;
  coordinator: ChainCoordinatorProcess | undefined;

  constructor(prefix: string) {
    this.root = mkdtempSync(join(tmpdir(), prefix));
    this.chainDir = join(this.root, "chain");
    this.coordinatorDir = join(this.root, "coordinator");
  }

  /** Start anvil with the contracts deployed, and give the coordinator's folder a migrated database. */
  readonly start = async (): Promise<void> => {
    const [chain] = await Promise.all([
      startLocalChain({ dataDir: this.chainDir }),
      seedDataDir(this.coordinatorDir),
    ]);
    this.chain = chain;
    this.observer = createChainGateway({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      addresses: manifestAddresses(chain.manifest),
      coordinatorKey: chain.roles.coordinator.privateKey,
      startBlock: BigInt(chain.manifest.blockNumber),
    });
    this.admin = privateKeyToAccount(chain.roles.admin.privateKey);
  };

  readonly stop = async (): Promise<void> => {
    await this.coordinator?.stop();
    await this.chain?.stop();
    rmSync(this.root, { recursive: true, force: true });
  };

  /** Start anvil again on its folder and port (after `chain.stop()`). */
  readonly restartChain = async (port: number): Promise<void> => {
    this.chain = await startLocalChain({ dataDir: this.chainDir, port });
  };

  /** Start the coordinator on the test's folder (reconnecting to the chain wherever it is now). */
  readonly startCoordinator = async (crashAfter?: CrashPoint): Promise<ChainCoordinatorProcess> => {
    this.coordinator = await startChainCoordinator({
      dataDir: this.coordinatorDir,
      rpcUrl: this.chain.rpcUrl,
      deployment: join(this.chainDir, "deployment.json"),
      coordinatorKey: this.chain.roles.coordinator.privateKey,
      disputeWindowSec: 1,
      ...(crashAfter === undefined ? {} : { crashAfter }),
      config: CRASH_TEST_CONFIG,
    });
    return this.coordinator;
  };

  /** A request to the running coordinator, signed by `account` when given. */
  readonly call = async (
    account: LocalAccount | undefined,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Json }> => {
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
          chainId: this.chain.chainId,
          verifyingContract: this.observer.requestVerifier,
          method,
          path,
          bodyHash: sha256(bytes ?? new Uint8Array()),
        }),
      );
    }
    const response = await fetch(`${this.coordinator!.url}${path}`, {
      method,
      headers,
      ...(bytes === undefined ? {} : { body: bytes }),
    });
    const text = await response.text();
    return { status: response.status, json: text === "" ? undefined : JSON.parse(text) };
  };

  /** Lock 1000 FLOCK for a year and stake all of its gmFLOCK on the task; returns the stake. */
  readonly stakeAs = async (
    client: FlockClient,
    taskId: number,
    role: "trainer" | "validator",
  ): Promise<bigint> => {
    const amount = parseFlock("1000");
    await approve(client, { token: "FLOCK", spender: "GmFlock", amount });
    const { lockId, gmAmount } = await lockFlock(client, { amount, days: 365 });
    await approve(client, { token: "gmFLOCK", spender: "TaskStaking", amount: gmAmount });
    await stake(client, { taskId: BigInt(taskId), role, amount: gmAmount, lockId });
    return gmAmount;
  };

  /** Publish `text` as an artifact (by the admin); returns its id. */
  readonly publish = async (text: string): Promise<string> => {
    const bytes = new TextEncoder().encode(text);
    const response = await this.call(this.admin, "PUT", `/artifacts/${contentId(bytes)}`, bytes);
    expect(response.status).toBe(201);
    return response.json.id;
  };

  /** Commit and upload `bytes` as the trainer's submission; returns the uploaded submission. */
  readonly submit = async (trainer: LocalAccount, taskId: number, bytes: Uint8Array) => {
    const commit = await this.call(trainer, "POST", `/tasks/${taskId}/submissions`, {
      commitHash: contentId(bytes),
    });
    expect(commit.status).toBe(201);
    const uploaded = await this.call(trainer, "PUT", `/submissions/${commit.json.id}/artifact`, bytes);
    expect(uploaded.status).toBe(200);
    return uploaded.json as { id: number; status: string };
  };

  /** Epoch roots posted on-chain for `epoch` (EpochRootPosted events): exactly one when posted once. */
  readonly postsOf = async (epoch: number): Promise<number> => {
    let count = 0;
    for await (const event of readEvents(this.chain.clientFor(this.chain.accounts[0]!), {
      fromBlock: BigInt(this.chain.manifest.blockNumber),
      kinds: ["epochRootPosted"],
    })) {
      if (event.kind === "epochRootPosted" && event.args.epoch === BigInt(epoch)) count++;
    }
    return count;
  };

  /** The task is closed in the store and on-chain, its one epoch posted once, and the epoch audits. */
  readonly expectSettled = async (taskId: number): Promise<{ number: number }> => {
    const call = this.call;
    await until("the task to close", async () =>
      (await call(undefined, "GET", `/tasks/${taskId}`)).json.status === "closed" ? true : undefined,
    );
    expect((await this.observer.chainTask(taskId)).status).toBe("closed");
    const [epoch] = (await call(undefined, "GET", `/epochs?taskId=${taskId}`)).json.items;
    expect(epoch.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await this.postsOf(epoch.number)).toBe(1);
    // The audit: the chain's roots are the store's, and recomputing the published report gives them again.
    const posted = await this.observer.postedEpoch(BigInt(epoch.number));
    expect(posted).toMatchObject({
      liquidRoot: epoch.liquidRoot,
      vestingRoot: epoch.vestingRoot,
      reportHash: epoch.reportHash,
      transactionHash: epoch.txHash,
    });
    const report = await fetch(`${this.coordinator!.url}/epochs/${epoch.number}/report`);
    const recomputed = computeEpoch(epochInputsFromReport(JSON.parse(await report.text())));
    expect(recomputed.reportHash).toBe(epoch.reportHash);
    expect(recomputed.trees.liquid.root).toBe(epoch.liquidRoot);
    expect(recomputed.trees.vesting.root).toBe(epoch.vestingRoot);
    const health = (await call(undefined, "GET", "/health")).json;
    expect(health.failedJobs).toEqual([]);
    expect(health.chainDifferences.filter((d: { repaired: boolean }) => !d.repaired)).toEqual([]);
    return epoch as { number: number };
  };
}
