import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type ContractName, contractNames } from "@flock/contracts";
import { ConfigError } from "@flock/core";
import { type Address, type Hex, isAddress } from "viem";

/** The Flock contracts, in deployment order. */
export const CONTRACT_NAMES = contractNames;
export type { ContractName };

/** Addresses of the deployed Flock contracts. */
export type FlockAddresses = Record<ContractName, Address>;

/** One deployed contract in a manifest. */
export interface DeployedContract {
  address: Address;
  /** Version of the `@flock/contracts` package it was built from. */
  version: string;
  /** keccak256 of the creation bytecode (without constructor arguments): tells builds apart. */
  bytecodeHash: Hex;
  transactionHash: Hex;
  blockNumber: number;
}

/** Everything a client needs to talk to a Flock deployment on some EVM chain. */
export interface DeploymentManifest {
  format: "flock-deployment/1";
  chainId: number;
  deployer: Address;
  /** Block of the last deployment transaction: event readers start here. */
  blockNumber: number;
  deployedAt: string;
  contracts: Record<ContractName, DeployedContract>;
  /** Who holds the roles granted at deployment. */
  roles: { admin: Address; coordinator: Address; treasury: Address };
  /** The non-address deployment parameters, amounts and durations as decimal strings. */
  params: Record<string, string | number>;
}

/** The address of every contract of a manifest. */
export function manifestAddresses(manifest: DeploymentManifest): FlockAddresses {
  const out = {} as FlockAddresses;
  for (const name of CONTRACT_NAMES) out[name] = manifest.contracts[name].address;
  return out;
}

/** Writes a manifest atomically (temp file, then rename), creating the folder if needed. */
export function writeManifest(path: string, manifest: DeploymentManifest): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(temp, path);
}

/** Reads and checks a manifest written by `deploy`. */
export function readManifest(path: string): DeploymentManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new ConfigError("DEPLOYMENT_MANIFEST_UNREADABLE", `cannot read the deployment manifest ${path}`, {
      hint: "Point Flock at the deployment.json written by `deploy`, or deploy again.",
      cause,
    });
  }
  return parseManifest(raw, path);
}

/** Checks the shape of a parsed manifest. */
export function parseManifest(raw: unknown, source = "manifest"): DeploymentManifest {
  const bad = (what: string): never => {
    throw new ConfigError(
      "DEPLOYMENT_MANIFEST_INVALID",
      `the deployment manifest ${source} is invalid: ${what}`,
      {
        hint: "Deploy again to write a fresh manifest; do not edit it by hand.",
      },
    );
  };
  if (typeof raw !== "object" || raw === null) return bad("not a JSON object");
  const m = raw as Partial<DeploymentManifest>;
  if (m.format !== "flock-deployment/1") bad(`unknown format ${String(m.format)}`);
  if (!Number.isSafeInteger(m.chainId)) bad("chainId is not an integer");
  if (typeof m.deployer !== "string" || !isAddress(m.deployer)) bad("deployer is not an address");
  if (!Number.isSafeInteger(m.blockNumber)) bad("blockNumber is not an integer");
  if (typeof m.contracts !== "object" || m.contracts === null) return bad("contracts is missing");
  for (const name of CONTRACT_NAMES) {
    const c = m.contracts[name];
    if (c === undefined || typeof c.address !== "string" || !isAddress(c.address))
      bad(`${name} has no address`);
  }
  if (typeof m.roles !== "object" || m.roles === null) bad("roles is missing");
  return m as DeploymentManifest;
}
