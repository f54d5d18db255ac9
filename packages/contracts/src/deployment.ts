/**
 * How to deploy and wire the Flock contracts: the order, each constructor's arguments and the role grants
 * that connect them. Deployers (the `chain` package, the tests) follow this data, so it is the single
 * description of a deployment.
 */
import type { RoleName } from "./roles.ts";

export type HexAddress = `0x${string}`;

export const contractNames = [
  "FlockToken",
  "GmFlock",
  "TaskStaking",
  "DelegationPools",
  "Slashing",
  "RewardDistributor",
  "Emission",
  "UsageCredits",
] as const;

export type ContractName = (typeof contractNames)[number];

/** Values a deployment is configured with. */
export interface DeploymentParams {
  /** Holds DEFAULT_ADMIN_ROLE everywhere: sets parameters and roles. */
  admin: HexAddress;
  /** Receives redemption fees, claim fees and the 90% share of slashes. */
  treasury: HexAddress;
  /** Creates tasks, sets their status, mints the daily emission, posts epoch roots and slashes. */
  coordinator: HexAddress;
  /** E0: FLOCK base units of the first daily mint. */
  initialEmission: bigint;
  sigmaMinBps: number;
  sigmaMaxBps: number;
  /** Seconds between two σ changes of one pool. */
  sigmaCooldown: bigint;
  /** Seconds either side of a task's planned end during which σ is frozen. */
  freezeWindow: bigint;
  claimFeeBps: number;
  /** Seconds over which the vesting tree of an epoch releases, from the posting of its root. */
  vestingDuration: bigint;
  /** gmFLOCK base units: the network minimum stake, for every task minimum and every stake (SPEC §3). */
  minStakeFloor: bigint;
  /** Seconds between a usage-credit withdrawal request and its withdrawal (UsageCredits; 1 hour to 30 days). */
  creditWithdrawalDelay: bigint;
}

/** A constructor or call argument: a deployment parameter, the address of an earlier contract, a role id or a literal. */
export type DeploymentArg =
  | { param: keyof DeploymentParams }
  | { contract: ContractName }
  | { role: RoleName }
  | { literal: boolean };

/** Contracts in deployment order with their constructor arguments. */
export const deploymentOrder: ReadonlyArray<{ contract: ContractName; args: readonly DeploymentArg[] }> = [
  { contract: "FlockToken", args: [{ param: "admin" }] },
  { contract: "GmFlock", args: [{ contract: "FlockToken" }, { param: "treasury" }, { param: "admin" }] },
  {
    contract: "TaskStaking",
    args: [{ contract: "GmFlock" }, { param: "admin" }, { param: "minStakeFloor" }],
  },
  {
    contract: "DelegationPools",
    args: [
      { contract: "GmFlock" },
      { contract: "TaskStaking" },
      { param: "admin" },
      { param: "sigmaMinBps" },
      { param: "sigmaMaxBps" },
      { param: "sigmaCooldown" },
      { param: "freezeWindow" },
    ],
  },
  {
    contract: "Slashing",
    args: [{ contract: "GmFlock" }, { contract: "TaskStaking" }, { param: "treasury" }, { param: "admin" }],
  },
  {
    contract: "RewardDistributor",
    args: [
      { contract: "FlockToken" },
      { param: "treasury" },
      { param: "admin" },
      { param: "claimFeeBps" },
      { param: "vestingDuration" },
    ],
  },
  {
    contract: "Emission",
    args: [
      { contract: "FlockToken" },
      { param: "initialEmission" },
      { contract: "RewardDistributor" },
      { param: "admin" },
    ],
  },
  {
    contract: "UsageCredits",
    args: [
      { contract: "FlockToken" },
      { contract: "RewardDistributor" },
      { param: "admin" },
      { param: "creditWithdrawalDelay" },
    ],
  },
];

/** Calls the admin makes after deployment, in order, to connect the contracts and the coordinator. */
export const wiringCalls: ReadonlyArray<{
  contract: ContractName;
  functionName: "grantRole" | "setProtocolContract";
  args: readonly DeploymentArg[];
}> = [
  {
    contract: "FlockToken",
    functionName: "grantRole",
    args: [{ role: "MINTER_ROLE" }, { contract: "Emission" }],
  },
  {
    contract: "GmFlock",
    functionName: "setProtocolContract",
    args: [{ contract: "TaskStaking" }, { literal: true }],
  },
  {
    contract: "GmFlock",
    functionName: "setProtocolContract",
    args: [{ contract: "DelegationPools" }, { literal: true }],
  },
  {
    contract: "GmFlock",
    functionName: "setProtocolContract",
    args: [{ contract: "Slashing" }, { literal: true }],
  },
  {
    contract: "TaskStaking",
    functionName: "grantRole",
    args: [{ role: "SLASHER_ROLE" }, { contract: "Slashing" }],
  },
  {
    contract: "TaskStaking",
    functionName: "grantRole",
    args: [{ role: "COORDINATOR_ROLE" }, { param: "coordinator" }],
  },
  {
    contract: "Slashing",
    functionName: "grantRole",
    args: [{ role: "SLASHER_ROLE" }, { param: "coordinator" }],
  },
  {
    contract: "RewardDistributor",
    functionName: "grantRole",
    args: [{ role: "COORDINATOR_ROLE" }, { param: "coordinator" }],
  },
  {
    contract: "Emission",
    functionName: "grantRole",
    args: [{ role: "COORDINATOR_ROLE" }, { param: "coordinator" }],
  },
  {
    contract: "UsageCredits",
    functionName: "grantRole",
    args: [{ role: "COLLECTOR_ROLE" }, { param: "coordinator" }],
  },
];

/**
 * Protocol defaults for the non-address parameters (E0 = 1,000,000 FLOCK; σ in [50%, 100%]; a network
 * minimum stake of 3000 gmFLOCK, as FLock's; usage-credit withdrawals 2 days after their request).
 */
export const defaultDeploymentSettings = {
  initialEmission: 1_000_000n * 10n ** 18n,
  sigmaMinBps: 5_000,
  sigmaMaxBps: 10_000,
  sigmaCooldown: 7n * 86_400n,
  freezeWindow: 86_400n,
  claimFeeBps: 0,
  vestingDuration: 30n * 86_400n,
  minStakeFloor: 3_000n * 10n ** 18n,
  creditWithdrawalDelay: 2n * 86_400n,
} as const satisfies Omit<DeploymentParams, "admin" | "treasury" | "coordinator">;

/**
 * Overrides of the defaults for a local development chain: a network minimum stake of 100 gmFLOCK, so small
 * dev tasks and tests can stake a few hundred gmFLOCK while 1-wei stakes are still refused; usage-credit
 * withdrawals one hour after their request (the shortest the contract allows).
 */
export const localDeploymentSettings = {
  minStakeFloor: 100n * 10n ** 18n,
  creditWithdrawalDelay: 3_600n,
} as const satisfies Partial<Omit<DeploymentParams, "admin" | "treasury" | "coordinator">>;
