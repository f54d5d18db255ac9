import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultDeploymentSettings, emissionAbi, flockArtifacts, roles, slashingAbi } from "@flock/contracts";
import { ChainError, ConfigError, parseFlock } from "@flock/core";
import { getAddress, keccak256 } from "viem";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTask } from "./actions/createTask.ts";
import { getRewardPool } from "./actions/getRewardPool.ts";
import { mintEmission } from "./actions/mintEmission.ts";
import { type AnvilProcess, spawnAnvil } from "./anvilProcess.ts";
import { createChainPublicClient, createFlockClient } from "./client.ts";
import { deploy } from "./deploy.ts";
import { DEV_MNEMONIC, devAccounts } from "./devAccounts.ts";
import { CONTRACT_NAMES, manifestAddresses, readManifest } from "./manifest.ts";

// A bare node standing in for "any EVM network": a different chain id and no Flock contracts on it.
const CHAIN_ID = 4242;
let dir: string;
let node: AnvilProcess;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "flock-deploy-"));
  node = await spawnAnvil({
    statePath: join(dir, "state.json"),
    chainId: CHAIN_ID,
    mnemonic: DEV_MNEMONIC,
    accounts: 10,
  });
});
afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("deploy", () => {
  it("deploys to an RPC URL with a key and writes a manifest a client can use", async () => {
    const [, , , , , , deployer, coordinator, treasury] = devAccounts(9);
    const manifestPath = join(dir, "out", "deployment.json");
    const manifest = await deploy({
      rpcUrl: node.rpcUrl,
      deployerKey: deployer!.privateKey,
      coordinator: coordinator!.address,
      treasury: treasury!.address,
      settings: { claimFeeBps: 100 },
      manifestPath,
      pollingIntervalMs: 50,
    });
    expect(readManifest(manifestPath)).toEqual(manifest);
    expect(JSON.parse(readFileSync(manifestPath, "utf8")).format).toBe("flock-deployment/1");
    expect(manifest.chainId).toBe(CHAIN_ID);
    expect(manifest.deployer).toBe(deployer!.address);
    expect(manifest.roles).toEqual({
      admin: deployer!.address,
      coordinator: coordinator!.address,
      treasury: treasury!.address,
    });
    expect(manifest.params.claimFeeBps).toBe(100);
    expect(manifest.params.initialEmission).toBe(defaultDeploymentSettings.initialEmission.toString());

    const publicClient = createChainPublicClient({ rpcUrl: node.rpcUrl, chainId: CHAIN_ID });
    expect(BigInt(manifest.blockNumber)).toBe(await publicClient.getBlockNumber({ cacheTime: 0 }));
    for (const name of CONTRACT_NAMES) {
      const entry = manifest.contracts[name];
      expect(entry.address).toBe(getAddress(entry.address));
      expect(entry.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(entry.bytecodeHash).toBe(keccak256(flockArtifacts[name].bytecode));
      const receipt = await publicClient.getTransactionReceipt({ hash: entry.transactionHash });
      expect(receipt.contractAddress && getAddress(receipt.contractAddress)).toBe(entry.address);
      expect(Number(receipt.blockNumber)).toBe(entry.blockNumber);
    }
    // Wiring: the coordinator may slash and mint, and the emission mints to the reward distributor.
    const addresses = manifestAddresses(manifest);
    const [slasher, recipient] = await Promise.all([
      publicClient.readContract({
        address: addresses.Slashing,
        abi: slashingAbi,
        functionName: "hasRole",
        args: [roles.SLASHER_ROLE, coordinator!.address],
      }),
      publicClient.readContract({ address: addresses.Emission, abi: emissionAbi, functionName: "recipient" }),
    ]);
    expect(slasher).toBe(true);
    expect(recipient).toBe(addresses.RewardDistributor);
    // A client built from the manifest alone acts as the coordinator.
    const client = createFlockClient({
      rpcUrl: node.rpcUrl,
      chainId: manifest.chainId,
      addresses,
      privateKey: coordinator!.privateKey,
      pollingIntervalMs: 50,
    });
    await createTask(client, {
      taskId: 1n,
      minStake: parseFlock("3000"),
      minLockDays: 30,
      submissionDeadline: 2_000_000_000n,
      endTime: 2_000_000_000n,
      disputeWindowSec: 3600n,
    });
    // Nothing is in the reward pool until the first emission, which goes to the distributor unallocated.
    expect(await getRewardPool(client)).toEqual({
      balance: 0n,
      outstanding: 0n,
      pooled: 0n,
      unallocated: 0n,
    });
    const minted = await mintEmission(client);
    expect(minted.amount).toBe(defaultDeploymentSettings.initialEmission);
    expect(await getRewardPool(client)).toEqual({
      balance: minted.amount,
      outstanding: 0n,
      pooled: 0n,
      unallocated: minted.amount,
    });
  });

  it("a deployer without gas money is refused before sending anything", async () => {
    const attempt = deploy({ rpcUrl: node.rpcUrl, deployerKey: generatePrivateKey() });
    await expect(attempt).rejects.toBeInstanceOf(ChainError);
    await expect(attempt).rejects.toMatchObject({ code: "DEPLOYER_UNFUNDED" });
  });

  it("an unreachable RPC URL is reported as such", async () => {
    const attempt = deploy({ rpcUrl: "http://127.0.0.1:9", deployerKey: generatePrivateKey() });
    await expect(attempt).rejects.toMatchObject({ code: "CHAIN_UNREACHABLE" });
  });

  it("a hand-edited manifest without addresses is rejected with a hint", () => {
    const path = join(dir, "broken.json");
    writeFileSync(
      path,
      JSON.stringify({ format: "flock-deployment/1", chainId: 1, deployer: "0x0", blockNumber: 1 }),
    );
    expect(() => readManifest(path)).toThrow(ConfigError);
    expect(() => readManifest(join(dir, "missing.json"))).toThrow(/cannot read the deployment manifest/);
  });
});
