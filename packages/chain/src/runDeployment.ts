import {
  type ContractName,
  contractNames,
  type DeploymentArg,
  type DeploymentParams,
  deploymentOrder,
  flockArtifacts,
  roles,
  wiringCalls,
} from "@flock/contracts";
import { ChainError } from "@flock/core";
import { type Abi, type Address, getAddress, type Hex, keccak256 } from "viem";
import { toChainError } from "./chainErrors.ts";
import type { FlockSigner } from "./client.ts";
import { CONTRACTS_VERSION } from "./contractsVersion.ts";
import type { DeployedContract } from "./manifest.ts";

/** Result of running the deployment. */
export interface DeploymentRun {
  contracts: Record<ContractName, DeployedContract>;
  /** Block of the last deployment or wiring transaction. */
  lastBlock: number;
}

/** Turns one argument of `@flock/contracts`' deployment description into a value. */
function resolveArg(
  arg: DeploymentArg,
  params: DeploymentParams,
  addresses: Partial<Record<ContractName, Address>>,
): unknown {
  if ("param" in arg) return params[arg.param];
  if ("role" in arg) return roles[arg.role];
  if ("literal" in arg) return arg.literal;
  const address = addresses[arg.contract];
  if (address === undefined) throw new Error(`deployment refers to ${arg.contract} before it is deployed`);
  return address;
}

/**
 * Deploys the contracts in `@flock/contracts`' fixed order and then makes its wiring calls, one
 * transaction at a time and waiting for each receipt, so nonces (and so addresses) are deterministic.
 */
export async function runDeployment(signer: FlockSigner, params: DeploymentParams): Promise<DeploymentRun> {
  const addresses: Partial<Record<ContractName, Address>> = {};
  const contracts: Partial<Record<ContractName, DeployedContract>> = {};
  let lastBlock = 0;

  for (const step of deploymentOrder) {
    const { abi, bytecode } = flockArtifacts[step.contract];
    const args = step.args.map((arg) => resolveArg(arg, params, addresses));
    const action = `deploy ${step.contract}`;
    let hash: Hex;
    try {
      hash = await signer.walletClient.deployContract({ abi: abi as Abi, bytecode, args });
    } catch (error) {
      throw toChainError(error, action);
    }
    const receipt = await signer.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success" || receipt.contractAddress == null) {
      throw new ChainError("DEPLOYMENT_FAILED", `${action} reverted in transaction ${hash}`, {
        hint: "Check the deployment parameters and that the deployer has enough gas funds.",
      });
    }
    lastBlock = Number(receipt.blockNumber);
    const address = getAddress(receipt.contractAddress);
    addresses[step.contract] = address;
    contracts[step.contract] = {
      address,
      version: CONTRACTS_VERSION,
      bytecodeHash: keccak256(bytecode),
      transactionHash: hash,
      blockNumber: lastBlock,
    };
  }

  for (const call of wiringCalls) {
    const address = addresses[call.contract] as Address;
    const args = call.args.map((arg) => resolveArg(arg, params, addresses));
    const action = `wire ${call.contract}.${call.functionName}`;
    let hash: Hex;
    try {
      hash = await signer.walletClient.writeContract({
        address,
        abi: flockArtifacts[call.contract].abi as Abi,
        functionName: call.functionName,
        args,
      });
    } catch (error) {
      throw toChainError(error, action);
    }
    const receipt = await signer.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") {
      throw new ChainError("DEPLOYMENT_FAILED", `${action} reverted in transaction ${hash}`, {
        hint: "The deployer must be the admin of every contract it wires.",
      });
    }
    lastBlock = Number(receipt.blockNumber);
  }
  for (const name of contractNames) {
    if (contracts[name] === undefined) throw new Error(`the deployment order does not deploy ${name}`);
  }
  return { contracts: contracts as Record<ContractName, DeployedContract>, lastBlock };
}
