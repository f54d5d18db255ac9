/**
 * Deploys and wires the Flock contracts by following `deploymentOrder` and `wiringCalls`, so the tests
 * exercise the deployment description that the `chain` package follows.
 */
import { getAddress, getContract, type Hex, type TransactionReceipt } from "viem";
import {
  type ContractName,
  type DeploymentArg,
  type DeploymentParams,
  defaultDeploymentSettings,
  deploymentOrder,
  flockArtifacts,
  type HexAddress,
  roles,
  wiringCalls,
} from "../../src/index.ts";
import type { Network } from "./network.ts";

function resolveArg(
  arg: DeploymentArg,
  params: DeploymentParams,
  addresses: Partial<Record<ContractName, HexAddress>>,
) {
  if ("param" in arg) return params[arg.param];
  if ("contract" in arg) {
    const address = addresses[arg.contract];
    if (address === undefined) throw new Error(`${arg.contract} is used before it is deployed`);
    return address;
  }
  if ("role" in arg) return roles[arg.role];
  return arg.literal;
}

/** Waits for a transaction and fails unless it succeeded. */
export async function confirm(net: Network, hash: Promise<Hex> | Hex): Promise<TransactionReceipt> {
  const receipt = await net.publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") throw new Error(`transaction ${receipt.transactionHash} reverted`);
  return receipt;
}

/** Deploys everything with wallet 0 as admin, wallet 1 as treasury and wallet 2 as coordinator. */
export async function deployFlock(net: Network, overrides: Partial<DeploymentParams> = {}) {
  const [adminWallet, treasuryWallet, coordinatorWallet] = net.wallets;
  if (!adminWallet || !treasuryWallet || !coordinatorWallet)
    throw new Error("the test network needs 3 wallets");
  const params: DeploymentParams = {
    ...defaultDeploymentSettings,
    admin: adminWallet.account.address,
    treasury: treasuryWallet.account.address,
    coordinator: coordinatorWallet.account.address,
    ...overrides,
  };
  const addresses: Partial<Record<ContractName, HexAddress>> = {};
  for (const step of deploymentOrder) {
    const { abi, bytecode } = flockArtifacts[step.contract];
    const hash = await adminWallet.deployContract({
      abi,
      bytecode,
      args: step.args.map((arg) => resolveArg(arg, params, addresses)),
    } as Parameters<typeof adminWallet.deployContract>[0]);
    const receipt = await confirm(net, hash);
    if (!receipt.contractAddress) throw new Error(`${step.contract} deployment returned no address`);
    addresses[step.contract] = getAddress(receipt.contractAddress);
  }
  for (const call of wiringCalls) {
    const { abi } = flockArtifacts[call.contract];
    await confirm(
      net,
      adminWallet.writeContract({
        address: addresses[call.contract]!,
        abi,
        functionName: call.functionName,
        args: call.args.map((arg) => resolveArg(arg, params, addresses)),
      } as Parameters<typeof adminWallet.writeContract>[0]),
    );
  }

  const deployed = addresses as Record<ContractName, HexAddress>;
  return {
    params,
    addresses: deployed,
    ...contractsFor(net, deployed, adminWallet),
    as: (wallet: Wallet) => contractsFor(net, deployed, wallet),
  };
}

type Wallet = Network["wallets"][number];

/** The eight contracts, sending transactions from `wallet`. */
function contractsFor(net: Network, addresses: Record<ContractName, HexAddress>, wallet: Wallet) {
  const client = { public: net.publicClient, wallet };
  const at = <N extends ContractName>(name: N) =>
    getContract({ address: addresses[name], abi: flockArtifacts[name].abi, client });
  return {
    flockToken: at("FlockToken"),
    gmFlock: at("GmFlock"),
    taskStaking: at("TaskStaking"),
    delegationPools: at("DelegationPools"),
    slashing: at("Slashing"),
    rewardDistributor: at("RewardDistributor"),
    emission: at("Emission"),
    usageCredits: at("UsageCredits"),
  };
}

export type Flock = Awaited<ReturnType<typeof deployFlock>>;
