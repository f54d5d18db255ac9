/**
 * AccessControl role ids of the contracts (`keccak256("<NAME>")`; the admin role is zero). A test checks
 * them against the deployed contracts' constants.
 */
export const roles = {
  DEFAULT_ADMIN_ROLE: "0x0000000000000000000000000000000000000000000000000000000000000000",
  MINTER_ROLE: "0x9f2df0fed2c77648de5860a4cc508cd0818c85b8b8a1ab4ceeef8d981c8956a6",
  COORDINATOR_ROLE: "0x2e8b98eef02e8df3bd27d1270ded3bea3d14db99c5234c7b14001a7fff957bcc",
  SLASHER_ROLE: "0x12b42e8a160f6064dc959c6f251e3af0750ad213dbecf573b4710d67d6c28e39",
  COLLECTOR_ROLE: "0x14cf45180c3fcf249a5a305e9657ea05c14fd4f4e1800ee0216a8213091711d2",
  OPERATOR_ROLE: "0x97667070c54ef182b0f5858b034beac1b6f3089aa2d3188bb1e8929f4fa9b929",
} as const;

export type RoleName = keyof typeof roles;

/** Task status codes of `TaskStaking` (`setTaskStatus`). */
export const taskStatus = { none: 0, open: 1, paused: 2, closed: 3 } as const;

/** Stake roles of `TaskStaking.stake`: a participant is trainer or validator on a task, never both. */
export const stakeRole = { none: 0, trainer: 1, validator: 2 } as const;

/** Reward trees of `RewardDistributor.claim`. */
export const rewardTree = { liquid: 0, vesting: 1 } as const;
