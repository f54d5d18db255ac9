import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { flockArtifacts, localDeploymentSettings } from "@flock/contracts";
import { ChainError, ConflictError } from "@flock/core";
import { createTestClient, type Hex, http, keccak256 } from "viem";
import { type AnvilProcess, spawnAnvil } from "./anvilProcess.ts";
import { createChainPublicClient, createFlockClient, type FlockClient } from "./client.ts";
import { type DeploymentSettings, deploy } from "./deploy.ts";
import { DEV_ACCOUNT_COUNT, DEV_MNEMONIC, type DevAccount, devAccounts } from "./devAccounts.ts";
import { fundDevAccounts } from "./fundDevAccounts.ts";
import {
  CONTRACT_NAMES,
  type DeploymentManifest,
  type FlockAddresses,
  manifestAddresses,
  readManifest,
  writeManifest,
} from "./manifest.ts";

/** Chain id of a local Flock chain unless told otherwise (anvil's and Hardhat's default). */
export const LOCAL_CHAIN_ID = 31337;

/** Parameters of startLocalChain. */
export interface StartLocalChainParameters {
  /** Folder holding `anvil-state.json` and `deployment.json`; created if missing. */
  dataDir: string;
  /** Port; a free one is picked when omitted. */
  port?: number;
  /**
   * Address anvil listens on (default 127.0.0.1). 0.0.0.0 serves other machines too — its dev accounts are
   * public and unlocked, so only on a network you trust.
   */
  host?: string;
  chainId?: number;
  /** Seconds between state dumps while running (a crash loses at most this much); 30 by default. */
  stateIntervalSec?: number;
  /** Deployment settings for the first start (ignored when resuming); over `localDeploymentSettings`. */
  settings?: Partial<DeploymentSettings>;
}

/** The role holders of a local chain, all dev accounts. */
export interface LocalRoles {
  /** Deployer and admin of every contract. */
  admin: DevAccount;
  /** Creates tasks, mints emission, posts epoch roots and slashes. */
  coordinator: DevAccount;
  /** Receives fees and slashed gmFLOCK. */
  treasury: DevAccount;
}

/** A running local chain with the Flock contracts deployed. */
export interface LocalChain {
  rpcUrl: string;
  chainId: number;
  addresses: FlockAddresses;
  manifest: DeploymentManifest;
  /** Dev accounts with their private keys, 10,000 ETH each; accounts 3–9 also get FLOCK (see `fundDevAccounts`). */
  accounts: DevAccount[];
  roles: LocalRoles;
  /** True when this start deployed the contracts, false when it resumed an existing chain. */
  deployed: boolean;
  /** A client acting as one of the dev accounts (or any key), polling fast as blocks are mined at once. */
  clientFor(account: DevAccount | Hex): FlockClient;
  /** Moves the chain's clock forward and mines a block (dev chains only: anvil's evm_increaseTime). */
  advanceTime(seconds: number): Promise<void>;
  /** Process id of anvil. */
  pid: number;
  /** Stops anvil, which writes its state file; resolves once the process has exited. */
  stop(): Promise<void>;
}

/** Return type of startLocalChain. */
export type StartLocalChainReturnType = LocalChain;

const LOCAL_POLLING_MS = 50;

/**
 * Starts anvil (on 127.0.0.1 unless `host` says otherwise) with its state in `dataDir`, deploys the Flock
 * contracts on first start (fixed dev mnemonic and order, so addresses are always the same) and resumes the
 * same chain on the next start with the same `dataDir`.
 * @example const chain = await startLocalChain({ dataDir: ".flock/chain" }); … await chain.stop();
 */
export async function startLocalChain(parameters: StartLocalChainParameters): Promise<LocalChain> {
  const dataDir = resolve(parameters.dataDir);
  const chainId = parameters.chainId ?? LOCAL_CHAIN_ID;
  mkdirSync(dataDir, { recursive: true });
  const lockPath = join(dataDir, "anvil.pid");
  await claimDataDir(lockPath);
  const statePath = join(dataDir, "anvil-state.json");
  await stopStrayAnvils(statePath);

  const accounts = devAccounts(DEV_ACCOUNT_COUNT);
  const roles = localRoles(accounts);
  const manifestPath = join(dataDir, "deployment.json");
  let anvil: AnvilProcess | undefined;
  try {
    anvil = await spawnAnvil({
      statePath,
      port: parameters.port ?? 0,
      ...(parameters.host === undefined ? {} : { host: parameters.host }),
      chainId,
      mnemonic: DEV_MNEMONIC,
      accounts: DEV_ACCOUNT_COUNT,
      stateInterval: parameters.stateIntervalSec ?? 30,
    });
    // anvil's pid and ours: a later start can tell a live chain from one whose owner died.
    writeFileSync(lockPath, `${anvil.pid} ${process.pid}`);
    const endpoint = { rpcUrl: anvil.rpcUrl, chainId, pollingIntervalMs: LOCAL_POLLING_MS };
    await waitUntilAnswering(endpoint);

    let manifest: DeploymentManifest | undefined = existsSync(manifestPath)
      ? readLocalManifest(manifestPath)
      : undefined;
    if (manifest !== undefined) manifest = await checkResumedChain(endpoint, manifest);
    const deployed = manifest === undefined;
    if (manifest === undefined) {
      manifest = await deploy({
        rpcUrl: anvil.rpcUrl,
        deployerKey: roles.admin.privateKey,
        coordinator: roles.coordinator.address,
        treasury: roles.treasury.address,
        // a dev chain's network minimum stake is small (localDeploymentSettings) unless settings say otherwise
        settings: { ...localDeploymentSettings, ...parameters.settings },
        pollingIntervalMs: LOCAL_POLLING_MS,
      });
      await fundDevAccounts({ endpoint, manifest, roles, accounts });
      writeManifest(manifestPath, manifest);
    }
    const addresses = manifestAddresses(manifest);
    const running = anvil;
    return {
      rpcUrl: anvil.rpcUrl,
      chainId,
      addresses,
      manifest,
      accounts,
      roles,
      deployed,
      clientFor: (account) =>
        createFlockClient({
          ...endpoint,
          addresses,
          privateKey: typeof account === "string" ? account : account.privateKey,
        }),
      advanceTime: async (seconds) => {
        const test = createTestClient({ mode: "anvil", transport: http(running.rpcUrl) });
        await test.increaseTime({ seconds });
        await test.mine({ blocks: 1 });
      },
      pid: running.pid,
      stop: async () => {
        await running.stop();
        rmSync(lockPath, { force: true });
      },
    };
  } catch (error) {
    await anvil?.stop();
    rmSync(lockPath, { force: true });
    throw error;
  }
}

/** The fixed role assignment of a local chain: 0 deploys and administers, 1 coordinates and slashes, 2 is the treasury. */
function localRoles(accounts: DevAccount[]): LocalRoles {
  const [admin, coordinator, treasury] = accounts;
  if (admin === undefined || coordinator === undefined || treasury === undefined)
    throw new Error("too few dev accounts");
  return { admin, coordinator, treasury };
}

/**
 * Claims a data folder for this start: two anvils on one state file would overwrite each other. The lock
 * file is created exclusively and first holds this Node process's pid (a start in progress), then anvil's pid
 * and its owner's. A lock whose process is gone (a crash) is taken over; an anvil whose owner is gone (left
 * behind by a process killed before anvil ran under its watchdog) is stopped with SIGTERM, so it writes its
 * state first, and the folder taken over.
 */
async function claimDataDir(lockPath: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: "wx" });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const [pid, owner] = readFileSync(lockPath, "utf8").trim().split(/\s+/).map(Number);
    if (pid !== undefined && Number.isSafeInteger(pid) && pid > 0 && isChainProcess(pid)) {
      const orphaned =
        owner !== undefined && Number.isSafeInteger(owner) && owner > 0 && owner !== pid && !isAlive(owner);
      if (!orphaned) {
        throw new ConflictError(
          "LOCAL_CHAIN_RUNNING",
          `a local chain is already running or starting on this data folder (pid ${pid})`,
          {
            hint: `Stop that chain first, or use another data folder. If no chain is running, delete ${lockPath}.`,
            details: { lockPath, pid },
          },
        );
      }
      await stopOrphan(pid);
    }
    rmSync(lockPath, { force: true });
  }
  throw new ConflictError("LOCAL_CHAIN_RUNNING", "another start claimed this data folder at the same time", {
    hint: "Start one local chain per data folder.",
    details: { lockPath },
  });
}

/**
 * Stops every anvil still serving this data folder's state file that no lock names: a start killed between
 * spawning anvil and recording its pid leaves one (its watchdog is stopping it, or, without a watchdog, it
 * runs on). Two anvils on one state file overwrite each other's state, so the new one waits until the old
 * one has written its state and gone. Found by command line (Linux `/proc`; elsewhere the lock is all there is).
 */
async function stopStrayAnvils(statePath: string): Promise<void> {
  if (!existsSync("/proc")) return;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (basename(argv[0] ?? "") !== "anvil") continue;
    const at = argv.indexOf("--state");
    if (at >= 0 && resolve(argv[at + 1] ?? "") === statePath) await stopOrphan(Number(entry));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** SIGTERM (anvil dumps its state on the way out), then SIGKILL after 15 s; resolves once it is gone. */
async function stopOrphan(pid: number): Promise<void> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + 15_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Whether `pid` is a live anvil or a Node process that may be starting one. On Linux the command line is
 * checked, so a pid reused by an unrelated program after a crash does not block the folder.
 */
function isChainProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return true;
  try {
    return /anvil|node/.test(readFileSync(cmdline, "utf8"));
  } catch {
    return false;
  }
}

async function waitUntilAnswering(endpoint: { rpcUrl: string; chainId: number }): Promise<void> {
  const client = createChainPublicClient(endpoint);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const id = await client.getChainId();
      if (id !== endpoint.chainId) {
        throw new ChainError(
          "CHAIN_ID_MISMATCH",
          `anvil reports chain id ${id}, expected ${endpoint.chainId}`,
          {
            hint: "The state file belongs to another chain id: use another data folder or the same chainId.",
          },
        );
      }
      return;
    } catch (error) {
      if (error instanceof ChainError || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * The manifest of a data folder; one written before a contract was added to the deployment (it names fewer
 * contracts than this package deploys) is refused as outdated, with the contracts it lacks.
 */
function readLocalManifest(path: string): DeploymentManifest {
  let raw: { contracts?: Record<string, unknown> } | undefined;
  try {
    raw = JSON.parse(readFileSync(path, "utf8")) as typeof raw;
  } catch {
    raw = undefined; // unreadable: readManifest says so with its own code
  }
  const held = raw?.contracts;
  if (typeof held === "object" && held !== null) {
    const missing = CONTRACT_NAMES.filter((name) => held[name] === undefined);
    if (missing.length > 0) {
      throw new ChainError(
        "LOCAL_CHAIN_CONTRACTS_OUTDATED",
        `the local chain was deployed before this version of Flock added contracts (${missing.join(", ")})`,
        {
          hint: "Delete the data folder to start a fresh local chain with the current contracts.",
          details: { outdated: missing },
        },
      );
    }
  }
  return readManifest(path);
}

/**
 * A data folder deployed from other contracts than this package's (e.g. before a contract's interface
 * changed) cannot be driven by these actions: say so at start instead of failing on some later call.
 */
function assertCurrentContracts(manifest: DeploymentManifest): void {
  const outdated = CONTRACT_NAMES.filter(
    (name) => manifest.contracts[name].bytecodeHash !== keccak256(flockArtifacts[name].bytecode),
  );
  if (outdated.length === 0) return;
  throw new ChainError(
    "LOCAL_CHAIN_CONTRACTS_OUTDATED",
    `the local chain was deployed from other contracts than this version of Flock's (${outdated.join(", ")})`,
    {
      hint: "Delete the data folder to start a fresh local chain with the current contracts.",
      details: { outdated },
    },
  );
}

/**
 * On a restart the manifest must describe the chain anvil loaded. If anvil died before it ever wrote its
 * state (a crash right after the first start), the chain is empty: deploy again, which lands on the same
 * addresses because the dev deployer's nonces start at 0 again.
 */
async function checkResumedChain(
  endpoint: { rpcUrl: string; chainId: number },
  manifest: DeploymentManifest,
): Promise<DeploymentManifest | undefined> {
  if (manifest.chainId !== endpoint.chainId) {
    throw new ChainError(
      "CHAIN_ID_MISMATCH",
      `deployment.json is for chain ${manifest.chainId}, not ${endpoint.chainId}`,
      {
        hint: "Use the chainId the data folder was created with, or a new data folder.",
      },
    );
  }
  const client = createChainPublicClient(endpoint);
  const code = await client.getCode({ address: manifest.contracts.FlockToken.address });
  if (code !== undefined && code !== "0x") {
    assertCurrentContracts(manifest);
    return manifest;
  }
  const height = await client.getBlockNumber({ cacheTime: 0 });
  if (height === 0n) return undefined;
  throw new ChainError(
    "LOCAL_CHAIN_STATE_MISMATCH",
    "the local chain state does not contain the contracts of deployment.json",
    {
      hint: "The state file and the manifest come from different chains: delete the data folder to start afresh.",
      details: { height: height.toString() },
    },
  );
}
