import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { getBalances, startLocalChain, withdrawStake } from "@flock/chain";
import { parseFlock, scoreCommitment } from "@flock/core";
import type { Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChainCrashNetwork, sleepUntil, taskBody, until } from "./testing/chainCoordinatorScenario.ts";

/**
 * Anvil stopped mid-run, under a running coordinator: the jobs that need the chain wait for it and the task
 * still settles. And the process that deploys the local chain killed right after the deployment: the next start
 * resumes it. (The coordinator killed at each chain write is in chainCrash.test.ts.)
 */

const net = new ChainCrashNetwork("flock-chain-outage-");
const { call, expectSettled, publish, stakeAs, startCoordinator, submit } = net;

beforeAll(async () => {
  await net.start();
  await startCoordinator();
}, 120_000);
afterAll(net.stop);

describe("anvil stopped under a running coordinator", () => {
  it("anvil stopped across a deadline and across the settlement: the jobs wait for it without giving up, and the task closes", async () => {
    const trainer = net.chain.accounts[6]!;
    const validator = net.chain.accounts[7]!;
    const as = (a: { privateKey: Hex }) => privateKeyToAccount(a.privateKey);
    const port = Number(new URL(net.chain.rpcUrl).port);
    const deadline = Date.now() + 15_000;
    // The outage lasts past the deadline; the validator still commits before the end once the chain is back.
    const end = deadline + 25_000;
    const created = await call(
      net.admin,
      "POST",
      "/tasks",
      taskBody("anvil", await publish("base model 2"), await publish("training set 2"), deadline, end),
    );
    expect(created.status).toBe(201);
    const taskId: number = created.json.id;
    const stakes = new Map<string, bigint>();
    stakes.set(trainer.address, await stakeAs(net.chain.clientFor(trainer), taskId, "trainer"));
    stakes.set(validator.address, await stakeAs(net.chain.clientFor(validator), taskId, "validator"));
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
    await net.chain.stop();
    await until(
      "the deadline job to retry more than five times",
      async () => {
        const job = await jobOf("task.closeSubmissions");
        expect(job?.status).not.toBe("failed");
        return job !== undefined && job.attempts > 6 ? job : undefined;
      },
      45_000,
    );
    await net.restartChain(port);
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
    await net.chain.stop();
    await until(
      "the finalize job to retry",
      async () => {
        const job = await jobOf("task.finalize");
        expect(job?.status).not.toBe("failed");
        return job !== undefined && job.attempts > 3 ? job : undefined;
      },
      45_000,
    );
    await net.restartChain(port);
    await expectSettled(taskId);
    await net.chain.advanceTime(5);
    for (const account of [trainer, validator]) {
      expect((await withdrawStake(net.chain.clientFor(account), { taskId: BigInt(taskId) })).amount).toBe(
        stakes.get(account.address),
      );
    }
  }, 180_000);
});

describe("the process that deploys the local chain killed right after the deployment", () => {
  it("the next start resumes the deployed chain: same contracts, funded accounts, and the killed process's anvil stopped", async () => {
    const dataDir = join(net.root, "deploy");
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
