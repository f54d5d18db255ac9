import type { ContractName } from "./deployment.ts";
import { delegationPoolsAbi, delegationPoolsBytecode } from "./generated/DelegationPools.ts";
import { emissionAbi, emissionBytecode } from "./generated/Emission.ts";
import { flockTokenAbi, flockTokenBytecode } from "./generated/FlockToken.ts";
import { gmFlockAbi, gmFlockBytecode } from "./generated/GmFlock.ts";
import { rewardDistributorAbi, rewardDistributorBytecode } from "./generated/RewardDistributor.ts";
import { slashingAbi, slashingBytecode } from "./generated/Slashing.ts";
import { taskStakingAbi, taskStakingBytecode } from "./generated/TaskStaking.ts";
import { usageCreditsAbi, usageCreditsBytecode } from "./generated/UsageCredits.ts";

/** ABI and creation bytecode of every contract, by name. */
export const flockArtifacts = {
  FlockToken: { abi: flockTokenAbi, bytecode: flockTokenBytecode },
  GmFlock: { abi: gmFlockAbi, bytecode: gmFlockBytecode },
  TaskStaking: { abi: taskStakingAbi, bytecode: taskStakingBytecode },
  DelegationPools: { abi: delegationPoolsAbi, bytecode: delegationPoolsBytecode },
  Slashing: { abi: slashingAbi, bytecode: slashingBytecode },
  RewardDistributor: { abi: rewardDistributorAbi, bytecode: rewardDistributorBytecode },
  Emission: { abi: emissionAbi, bytecode: emissionBytecode },
  UsageCredits: { abi: usageCreditsAbi, bytecode: usageCreditsBytecode },
} as const satisfies Record<ContractName, { abi: readonly unknown[]; bytecode: `0x${string}` }>;
