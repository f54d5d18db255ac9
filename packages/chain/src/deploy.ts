import { type DeploymentParams, defaultDeploymentSettings } from "@flock/contracts";
import { ChainError } from "@flock/core";
import { type Address, createPublicClient, type Hex, http } from "viem";
import { toChainError } from "./chainErrors.ts";
import { createFlockSigner } from "./client.ts";
import { type DeploymentManifest, writeManifest } from "./manifest.ts";
import { runDeployment } from "./runDeployment.ts";

/** The tunable (non-address) deployment settings: E0, σ bounds and timings, claim fee, vesting duration. */
export type DeploymentSettings = Omit<DeploymentParams, "admin" | "treasury" | "coordinator">;

/** Parameters of deploy. */
export interface DeployParameters {
  /** JSON-RPC endpoint of any EVM chain. */
  rpcUrl: string;
  /** Key of the deploying account; it becomes the admin of every contract (it must be, to wire them). */
  deployerKey: Hex;
  /** Account that creates tasks, mints emission, posts epoch roots and slashes; the deployer by default. */
  coordinator?: Address;
  /** Receives redemption fees, claim fees and slashed gmFLOCK; the deployer by default. */
  treasury?: Address;
  /** Overrides of `defaultDeploymentSettings` from @flock/contracts. */
  settings?: Partial<DeploymentSettings>;
  /** Where to write the manifest (JSON); not written when omitted. */
  manifestPath?: string;
  pollingIntervalMs?: number;
}

/** Return type of deploy: the manifest that was written. */
export type DeployReturnType = DeploymentManifest;

/**
 * Deploys and wires the Flock contracts on the chain behind `rpcUrl` and returns (and optionally
 * writes) the deployment manifest every other part of Flock reads addresses from.
 * @example const manifest = await deploy({ rpcUrl, deployerKey, manifestPath: "deployment.json" });
 */
export async function deploy(parameters: DeployParameters): Promise<DeploymentManifest> {
  let chainId: number;
  try {
    chainId = await createPublicClient({
      transport: http(parameters.rpcUrl, { retryCount: 1 }),
    }).getChainId();
  } catch (error) {
    throw toChainError(error, "connect to the chain to deploy");
  }
  const signer = createFlockSigner({
    rpcUrl: parameters.rpcUrl,
    chainId,
    privateKey: parameters.deployerKey,
    ...(parameters.pollingIntervalMs === undefined
      ? {}
      : { pollingIntervalMs: parameters.pollingIntervalMs }),
  });
  const deployer = signer.account.address;
  const balance = await signer.publicClient.getBalance({ address: deployer });
  if (balance === 0n) {
    throw new ChainError(
      "DEPLOYER_UNFUNDED",
      `the deployer ${deployer} has no native currency to pay for gas`,
      {
        hint: "Fund the deployer account on this chain, then deploy again.",
      },
    );
  }
  const settings: DeploymentSettings = { ...defaultDeploymentSettings, ...parameters.settings };
  const params: DeploymentParams = {
    ...settings,
    admin: deployer,
    coordinator: parameters.coordinator ?? deployer,
    treasury: parameters.treasury ?? deployer,
  };
  const run = await runDeployment(signer, params);
  const manifest: DeploymentManifest = {
    format: "flock-deployment/1",
    chainId,
    deployer,
    blockNumber: run.lastBlock,
    deployedAt: new Date().toISOString(),
    contracts: run.contracts,
    roles: { admin: params.admin, coordinator: params.coordinator, treasury: params.treasury },
    params: Object.fromEntries(
      Object.entries(settings).map(([key, value]) => [
        key,
        typeof value === "bigint" ? value.toString() : value,
      ]),
    ),
  };
  if (parameters.manifestPath !== undefined) writeManifest(parameters.manifestPath, manifest);
  return manifest;
}
