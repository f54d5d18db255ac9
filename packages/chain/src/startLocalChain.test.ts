import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultDeploymentSettings, flockTokenAbi, roles, taskStakingAbi } from "@flock/contracts";
import { ConflictError, parseFlock } from "@flock/core";
import { afterAll, describe, expect, it } from "vitest";
import { approve } from "./actions/approve.ts";
import { getBalances } from "./actions/getBalances.ts";
import { getRewardPool } from "./actions/getRewardPool.ts";
import { lockFlock } from "./actions/lockFlock.ts";
import { anvilBinaryPath } from "./anvilBinary.ts";
import { createChainPublicClient } from "./client.ts";
import { CONTRACT_NAMES, readManifest } from "./manifest.ts";
import { startLocalChain } from "./startLocalChain.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "flock-chain-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("startLocalChain", () => {
  it("a fresh data folder gets the contracts deployed, wired, and a manifest", async () => {
    const dataDir = tempDir();
    const chain = await startLocalChain({ dataDir });
    try {
      expect(chain.deployed).toBe(true);
      expect(chain.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // The dev deployer's first transaction always creates FlockToken at the same address.
      expect(chain.addresses.FlockToken).toBe("0x5FbDB2315678afecb367f032d93F642f64180aa3");
      const manifest = readManifest(join(dataDir, "deployment.json"));
      expect(manifest).toEqual(chain.manifest);
      expect(manifest.chainId).toBe(31337);
      const client = createChainPublicClient({ rpcUrl: chain.rpcUrl, chainId: chain.chainId });
      for (const name of CONTRACT_NAMES) {
        const code = await client.getCode({ address: chain.addresses[name] });
        expect(code?.length, name).toBeGreaterThan(2);
      }
      const minter = await client.readContract({
        address: chain.addresses.FlockToken,
        abi: flockTokenAbi,
        functionName: "hasRole",
        args: [roles.MINTER_ROLE, chain.addresses.Emission],
      });
      const coordinator = await client.readContract({
        address: chain.addresses.TaskStaking,
        abi: taskStakingAbi,
        functionName: "hasRole",
        args: [roles.COORDINATOR_ROLE, chain.roles.coordinator.address],
      });
      expect([minter, coordinator]).toEqual([true, true]);
      // Participants (accounts 3–9) start with E0/10 FLOCK from the first emission; role holders get none.
      const participant = await getBalances(chain.clientFor(chain.accounts[3]!), {
        account: chain.accounts[3]!.address,
      });
      expect(participant.flock).toBe(parseFlock("100000"));
      expect(participant.eth).toBe(parseFlock("10000"));
      // The 3·E0/10 of that mint no participant got is in the reward pool, unallocated, as emission puts it.
      const e0 = defaultDeploymentSettings.initialEmission;
      const reader = chain.clientFor(chain.accounts[3]!);
      expect(await getRewardPool(reader)).toEqual({
        balance: (3n * e0) / 10n,
        outstanding: 0n,
        pooled: 0n,
        unallocated: (3n * e0) / 10n,
      });
      const treasury = await getBalances(reader, { account: chain.roles.treasury.address });
      expect(treasury.flock).toBe(0n);
    } finally {
      await chain.stop();
    }
    expect(isRunning(chain.pid)).toBe(false);
    expect(existsSync(join(dataDir, "anvil-state.json"))).toBe(true);
    expect(existsSync(join(dataDir, "anvil.pid"))).toBe(false);
  });

  it("a restart resumes the same chain: balances and height survive and nothing is redeployed", async () => {
    const dataDir = tempDir();
    const first = await startLocalChain({ dataDir });
    const alice = first.accounts[4]!;
    let heightBefore: bigint;
    let lockId: bigint;
    try {
      const client = first.clientFor(alice);
      await approve(client, { token: "FLOCK", spender: "GmFlock", amount: parseFlock("1000") });
      ({ lockId } = await lockFlock(client, { amount: parseFlock("1000"), days: 365 }));
      heightBefore = await client.publicClient.getBlockNumber({ cacheTime: 0 });
    } finally {
      await first.stop();
    }
    const manifestText = readFileSync(join(dataDir, "deployment.json"), "utf8");

    const second = await startLocalChain({ dataDir });
    try {
      expect(second.deployed).toBe(false);
      expect(readFileSync(join(dataDir, "deployment.json"), "utf8")).toBe(manifestText);
      expect(second.addresses).toEqual(first.addresses);
      const client = second.clientFor(alice);
      expect(await client.publicClient.getBlockNumber({ cacheTime: 0 })).toBe(heightBefore);
      const balances = await getBalances(client, { account: alice.address });
      expect(balances.gmFlock).toBe(parseFlock("3010"));
      expect(balances.flock).toBe(parseFlock("99000"));
      // The resumed chain keeps working: the next lock gets the next id.
      await approve(client, { token: "FLOCK", spender: "GmFlock", amount: parseFlock("1") });
      const next = await lockFlock(client, { amount: parseFlock("1"), days: 0 });
      expect(next.lockId).toBe(lockId + 1n);
    } finally {
      await second.stop();
    }

    // A folder deployed from other contracts (here: another RewardDistributor bytecode) is refused.
    const manifest = JSON.parse(manifestText);
    manifest.contracts.RewardDistributor.bytecodeHash = `0x${"11".repeat(32)}`;
    writeFileSync(join(dataDir, "deployment.json"), JSON.stringify(manifest));
    await expect(startLocalChain({ dataDir })).rejects.toMatchObject({
      code: "LOCAL_CHAIN_CONTRACTS_OUTDATED",
      message: expect.stringContaining("(RewardDistributor)"),
    });
    expect(existsSync(join(dataDir, "anvil.pid"))).toBe(false);
    // A folder deployed before a contract was added to the deployment (here: without UsageCredits) too.
    delete manifest.contracts.UsageCredits;
    writeFileSync(join(dataDir, "deployment.json"), JSON.stringify(manifest));
    await expect(startLocalChain({ dataDir })).rejects.toMatchObject({
      code: "LOCAL_CHAIN_CONTRACTS_OUTDATED",
      message: expect.stringContaining("added contracts (UsageCredits)"),
    });
    expect(existsSync(join(dataDir, "anvil.pid"))).toBe(false);
  });

  it("two data folders run side by side without touching each other", async () => {
    const [a, b] = await Promise.all([
      startLocalChain({ dataDir: tempDir() }),
      startLocalChain({ dataDir: tempDir() }),
    ]);
    try {
      expect(a.rpcUrl).not.toBe(b.rpcUrl);
      const alice = a.accounts[5]!;
      const onA = a.clientFor(alice);
      await approve(onA, { token: "FLOCK", spender: "GmFlock", amount: parseFlock("10") });
      await lockFlock(onA, { amount: parseFlock("10"), days: 30 });
      expect((await getBalances(onA, { account: alice.address })).gmFlock).toBe(parseFlock("10"));
      expect((await getBalances(b.clientFor(alice), { account: alice.address })).gmFlock).toBe(0n);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("a second start on a data folder whose chain is running is refused", async () => {
    const dataDir = tempDir();
    const chain = await startLocalChain({ dataDir });
    try {
      const again = startLocalChain({ dataDir });
      await expect(again).rejects.toBeInstanceOf(ConflictError);
      await expect(again).rejects.toMatchObject({ code: "LOCAL_CHAIN_RUNNING" });
      // The refused start must not have disturbed the running chain.
      expect(await chain.clientFor(chain.accounts[3]!).publicClient.getChainId()).toBe(31337);
    } finally {
      await chain.stop();
    }
  });

  it("a port already in use fails the start cleanly and leaves no process or lock behind", async () => {
    const first = await startLocalChain({ dataDir: tempDir() });
    const dataDir = tempDir();
    try {
      const port = Number(new URL(first.rpcUrl).port);
      await expect(startLocalChain({ dataDir, port })).rejects.toMatchObject({ code: "ANVIL_EXITED" });
      expect(existsSync(join(dataDir, "anvil.pid"))).toBe(false);
      // The failed start did not disturb the chain that owns the port.
      expect(await first.clientFor(first.accounts[3]!).publicClient.getChainId()).toBe(31337);
    } finally {
      await first.stop();
    }
  });

  it("a stale lock file from a crashed run does not block the next start", async () => {
    const dataDir = tempDir();
    // The pid of a process that has exited, as a crash would leave it.
    const gone = spawnSync(process.execPath, ["-e", "process.pid"]).pid;
    writeFileSync(join(dataDir, "anvil.pid"), String(gone));
    const chain = await startLocalChain({ dataDir });
    await chain.stop();
    expect(chain.deployed).toBe(true);
  });

  it("anvil never outlives the process that started it: SIGKILL of its parent stops anvil, and its state survives", async () => {
    const dataDir = tempDir();
    const script = `
      import { startLocalChain } from ${JSON.stringify(join(import.meta.dirname, "startLocalChain.ts"))};
      const chain = await startLocalChain({ dataDir: ${JSON.stringify(dataDir)} });
      console.log("anvil " + chain.pid);
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const anvilPid = await new Promise<number>((resolve, reject) => {
      let out = "";
      parent.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /anvil (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      parent.once("exit", (code) => reject(new Error(`the parent exited with ${code} before anvil started`)));
    });
    expect(isRunning(anvilPid)).toBe(true);
    parent.kill("SIGKILL");
    const end = Date.now() + 20_000;
    while (isRunning(anvilPid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(isRunning(anvilPid)).toBe(false);
    // Stopped with SIGTERM, anvil wrote its state: the next start resumes the deployed chain.
    const again = await startLocalChain({ dataDir });
    try {
      expect(again.deployed).toBe(false);
    } finally {
      await again.stop();
    }
  }, 90_000);

  it("an anvil left running on the data folder by a dead owner is stopped at the next start", async () => {
    const dataDir = tempDir();
    const orphan = spawn(anvilBinaryPath(), ["--port", "0", "--state", join(dataDir, "anvil-state.json")], {
      stdio: "ignore",
      detached: true,
    });
    orphan.unref();
    const gone = spawnSync(process.execPath, ["-e", "process.pid"]).pid;
    writeFileSync(join(dataDir, "anvil.pid"), `${orphan.pid} ${gone}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(isRunning(orphan.pid!)).toBe(true);
    const chain = await startLocalChain({ dataDir });
    try {
      expect(isRunning(orphan.pid!)).toBe(false);
      expect(readFileSync(join(dataDir, "anvil.pid"), "utf8")).toBe(`${chain.pid} ${process.pid}`);
    } finally {
      await chain.stop();
    }
  }, 60_000);

  it("an anvil on the data folder that no lock names (its starter died before recording it) is stopped at the next start", async () => {
    const dataDir = tempDir();
    const stray = spawn(anvilBinaryPath(), ["--port", "0", "--state", join(dataDir, "anvil-state.json")], {
      stdio: "ignore",
      detached: true,
    });
    stray.unref();
    // The lock a start holds before anvil runs: only its own pid, and that process is gone.
    const gone = spawnSync(process.execPath, ["-e", "process.pid"]).pid;
    writeFileSync(join(dataDir, "anvil.pid"), String(gone));
    await new Promise((r) => setTimeout(r, 300));
    expect(isRunning(stray.pid!)).toBe(true);
    const chain = await startLocalChain({ dataDir });
    try {
      expect(isRunning(stray.pid!)).toBe(false);
      expect(chain.deployed).toBe(true);
    } finally {
      await chain.stop();
    }
  }, 60_000);
});
