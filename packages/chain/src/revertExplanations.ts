import { roles, stakeRole, taskStatus } from "@flock/contracts";
import { formatFlock } from "@flock/core";
import type { Address } from "viem";
import type { ContractName } from "./manifest.ts";

/** What a contract refused, in words: a stable code, the reason, and what to do about it. */
export interface RevertExplanation {
  code: string;
  message: string;
  hint: string;
}

/** Names of known contract addresses, so messages say "GmFlock (0x…)" instead of a bare address. */
export type ContractLabels = Partial<Record<ContractName, Address>>;

type Explain = (
  args: readonly unknown[],
  nameOf: (value: unknown) => ContractName | undefined,
) => RevertExplanation;

const tokens = (value: unknown): string => formatFlock(BigInt(value as bigint));
const time = (value: unknown): string => new Date(Number(value) * 1000).toISOString();
const roleName = (id: unknown): string =>
  Object.entries(roles).find(([, value]) => value === String(id).toLowerCase())?.[0] ?? String(id);
const statusName = (value: unknown): string =>
  Object.entries(taskStatus).find(([, code]) => code === Number(value))?.[0] ?? String(value);
const stakeRoleName = (value: unknown): string =>
  Object.entries(stakeRole).find(([, code]) => code === Number(value))?.[0] ?? String(value);
const treeName = (value: unknown): string =>
  Number(value) === 0 ? "liquid" : Number(value) === 1 ? "vesting" : String(value);
const e = (code: string, message: string, hint: string): RevertExplanation => ({ code, message, hint });

/** One entry per custom error of the Flock contracts (and the OpenZeppelin errors they inherit). */
const EXPLANATIONS: Record<string, Explain> = {
  // OpenZeppelin AccessControl / ERC-20 / utils
  AccessControlUnauthorizedAccount: ([account, role]) =>
    e(
      "MISSING_ROLE",
      `${String(account)} does not hold ${roleName(role)}`,
      "Send this from the account that holds the role (the coordinator or admin of the deployment), or have the admin grant it.",
    ),
  AccessControlBadConfirmation: () =>
    e(
      "ROLE_RENOUNCE_MISMATCH",
      "an account can only renounce its own role",
      "Renounce from the account that holds the role.",
    ),
  ERC20InsufficientAllowance: ([spender, allowance, needed], nameOf) => {
    const name = nameOf(spender);
    const who = name === undefined ? String(spender) : `${name} (${String(spender)})`;
    return e(
      "ALLOWANCE_TOO_LOW",
      `${who} may spend ${tokens(allowance)} of the caller's tokens but needs ${tokens(needed)}`,
      `Call approve({ token, spender: "${name ?? String(spender)}", amount: ${String(needed)}n }) first.`,
    );
  },
  ERC20InsufficientBalance: ([sender, balance, needed], nameOf) => {
    if (nameOf(sender) === "RewardDistributor") {
      return e(
        "REWARD_POOL_EMPTY",
        `the RewardDistributor holds ${tokens(balance)} FLOCK, less than the ${tokens(needed)} to pay`,
        "The coordinator must mint the daily emission (mintEmission) into the distributor before claims can be paid.",
      );
    }
    return e(
      "INSUFFICIENT_BALANCE",
      `${String(sender)} holds ${tokens(balance)} tokens but ${tokens(needed)} are needed`,
      "Check the balances with getBalances and use a smaller amount (gmFLOCK at stake or delegated is not in the wallet).",
    );
  },
  ERC20ExceededCap: ([supply, cap]) =>
    e(
      "SUPPLY_CAP_EXCEEDED",
      `minting would raise the FLOCK supply to ${tokens(supply)}, above the cap of ${tokens(cap)}`,
      "Nothing more can be minted than the 1,000,000,000 FLOCK cap.",
    ),
  ERC20InvalidReceiver: ([to]) =>
    e("INVALID_RECEIVER", `tokens cannot be sent to ${String(to)}`, "Use a non-zero recipient address."),
  ERC20InvalidSender: ([from]) =>
    e("INVALID_SENDER", `tokens cannot be sent from ${String(from)}`, "Use a non-zero sender address."),
  ERC20InvalidSpender: ([spender]) =>
    e("INVALID_SPENDER", `${String(spender)} cannot be approved`, "Approve a non-zero spender address."),
  ERC20InvalidApprover: ([owner]) =>
    e("INVALID_APPROVER", `${String(owner)} cannot approve`, "Approve from a non-zero address."),
  ERC20InvalidCap: ([cap]) =>
    e("INVALID_CAP", `token cap ${String(cap)} is invalid`, "Deploy FlockToken with a positive cap."),
  ReentrancyGuardReentrantCall: () =>
    e(
      "REENTRANT_CALL",
      "the contract was re-entered during a call",
      "Do not call Flock contracts from a token callback.",
    ),
  SafeERC20FailedOperation: ([token]) =>
    e(
      "TOKEN_TRANSFER_FAILED",
      `a transfer of token ${String(token)} failed`,
      "Check the token address in the deployment manifest.",
    ),
  ZeroAddress: () => e("ZERO_ADDRESS", "an address argument is the zero address", "Pass a real address."),
  ZeroAmount: () => e("AMOUNT_ZERO", "the amount is zero", "Pass an amount greater than zero."),

  // GmFlock
  LockTooLong: ([days, max]) =>
    e(
      "LOCK_TOO_LONG",
      `a lock of ${String(days)} days exceeds the maximum of ${String(max)} days`,
      "Lock for 0 to 365 days.",
    ),
  UnknownLock: ([lockId]) =>
    e(
      "LOCK_NOT_FOUND",
      `lock ${String(lockId)} does not exist`,
      "Use a lock id returned by lockFlock (or read from the Locked events).",
    ),
  NotLockOwner: ([lockId, caller]) =>
    e(
      "NOT_LOCK_OWNER",
      `lock ${String(lockId)} does not belong to ${String(caller)}`,
      "Use one of your own locks, from the account that made it.",
    ),
  LockNotExpired: ([lockId, unlockTime]) =>
    e(
      "LOCK_NOT_EXPIRED",
      `lock ${String(lockId)} runs until ${time(unlockTime)}`,
      `Unlock after ${time(unlockTime)}.`,
    ),
  InsufficientGmFlock: ([lockId, held, required]) =>
    e(
      "GMFLOCK_SHORTFALL",
      `lock ${String(lockId)} needs ${tokens(required)} gmFLOCK back but the owner holds ${tokens(held)}`,
      "Withdraw staked and delegated gmFLOCK first; if part of it was slashed, unlock with forfeitShortfall: true to forfeit the slashed share.",
    ),
  AlreadyUnlocked: ([lockId]) =>
    e(
      "LOCK_ALREADY_UNLOCKED",
      `lock ${String(lockId)} was already unlocked`,
      "Nothing is left to unlock in this lock.",
    ),
  TransferRestricted: ([from, to]) =>
    e(
      "GMFLOCK_NOT_TRANSFERABLE",
      `gmFLOCK cannot move from ${String(from)} to ${String(to)}`,
      "gmFLOCK only moves into and out of the Flock staking, delegation and slashing contracts.",
    ),

  // TaskStaking
  TaskExists: ([taskId]) => e("TASK_EXISTS", `task ${String(taskId)} already exists`, "Pick a new task id."),
  UnknownTask: ([taskId]) =>
    e(
      "TASK_NOT_FOUND",
      `task ${String(taskId)} does not exist`,
      "Create the task first, or check the task id.",
    ),
  InvalidStatusTransition: ([taskId, from, to]) =>
    e(
      "TASK_STATUS_TRANSITION_INVALID",
      `task ${String(taskId)} cannot go from ${statusName(from)} to ${statusName(to)}`,
      "Tasks go open ⇄ paused and then to closed, which is final.",
    ),
  InvalidRole: ([role]) =>
    e(
      "STAKE_ROLE_INVALID",
      `stake role ${String(role)} is not trainer or validator`,
      'Stake as "trainer" or "validator".',
    ),
  TaskNotOpen: ([taskId, status]) =>
    e(
      "TASK_NOT_OPEN",
      `task ${String(taskId)} is ${statusName(status)}, not open for staking`,
      "Stake while the task is open.",
    ),
  RoleConflict: ([taskId, account, staked]) =>
    e(
      "STAKE_ROLE_CONFLICT",
      `${String(account)} already stakes on task ${String(taskId)} as ${stakeRoleName(staked)}`,
      "One account is trainer or validator on a task, never both: use the same role or another account.",
    ),
  BelowMinimumStake: ([taskId, total, min]) =>
    e(
      "STAKE_BELOW_MINIMUM",
      `a stake of ${tokens(total)} gmFLOCK on task ${String(taskId)} is below its minimum of ${tokens(min)}`,
      `Stake at least ${tokens(min)} gmFLOCK in total.`,
    ),
  LockTooShort: ([lockId, days, min]) =>
    e(
      "LOCK_TOO_SHORT_FOR_TASK",
      `lock ${String(lockId)} lasts ${String(days)} days but the task needs ${String(min)}`,
      `Back the stake with a lock of at least ${String(min)} days.`,
    ),
  LockEnded: ([lockId]) =>
    e(
      "LOCK_ENDED",
      `lock ${String(lockId)} was already unlocked and cannot back a stake`,
      "Back the stake with a lock that is still active.",
    ),
  LockTooSmall: ([lockId, gm, stake]) =>
    e(
      "LOCK_TOO_SMALL_FOR_STAKE",
      `lock ${String(lockId)} minted ${tokens(gm)} gmFLOCK, less than the stake of ${tokens(stake)}`,
      "Back the stake with a larger lock, or stake less.",
    ),
  TooManyActiveTasks: ([account]) =>
    e(
      "TOO_MANY_ACTIVE_TASKS",
      `${String(account)} already stakes on the maximum number of unfinished tasks`,
      "Withdraw from a closed task first.",
    ),
  TaskNotClosed: ([taskId, status]) =>
    e(
      "TASK_NOT_CLOSED",
      `task ${String(taskId)} is ${statusName(status)}; stakes are withdrawable only after it closes`,
      "Wait until the coordinator closes the task and its dispute window has passed.",
    ),
  WithdrawLocked: ([taskId, availableAt]) =>
    e(
      "DISPUTE_WINDOW_OPEN",
      `the dispute window of task ${String(taskId)} lasts until ${time(availableAt)}`,
      `Withdraw after ${time(availableAt)}.`,
    ),
  NothingStaked: ([taskId, account]) =>
    e(
      "NOTHING_STAKED",
      `${String(account)} has no stake on task ${String(taskId)}`,
      "Check the task id and the account.",
    ),
  BelowStakeFloor: ([minStake, floor]) =>
    e(
      "STAKE_BELOW_FLOOR",
      `a task minimum stake of ${tokens(minStake)} gmFLOCK is below the network minimum of ${tokens(floor)}`,
      `Create the task with a minimum stake of at least ${tokens(floor)} gmFLOCK (\`flock task create --min-stake ${tokens(floor)}\`).`,
    ),
  DeadlineAfterEnd: ([deadline, end]) =>
    e(
      "TASK_DEADLINE_AFTER_END",
      `the submission deadline ${time(deadline)} is after the task's end ${time(end)}`,
      "Give a submission deadline at or before the task's end time.",
    ),
  StakingClosed: ([taskId, deadline]) =>
    e(
      "STAKING_CLOSED",
      `staking on task ${String(taskId)} closed at its submission deadline ${time(deadline)}; the stakes that count are frozen`,
      "Stake before a task's submission deadline; `flock task list` shows the open tasks and their deadlines.",
    ),
  SeizeExceedsStake: ([taskId, account, amount, stake]) =>
    e(
      "SEIZE_EXCEEDS_STAKE",
      `cannot seize ${tokens(amount)} of ${String(account)}'s stake of ${tokens(stake)} on task ${String(taskId)}`,
      "Slash at most the current stake.",
    ),

  // DelegationPools
  InvalidSigmaParams: ([min, max]) =>
    e(
      "SIGMA_BOUNDS_INVALID",
      `σ bounds [${String(min)}, ${String(max)}] bps are invalid`,
      "Use 0 ≤ σmin ≤ σmax ≤ 10000 bps.",
    ),
  SigmaOutOfRange: ([sigma, min, max]) =>
    e(
      "SIGMA_OUT_OF_RANGE",
      `σ = ${String(sigma)} bps is outside [${String(min)}, ${String(max)}] bps`,
      `Choose σ between ${String(min)} and ${String(max)} bps.`,
    ),
  SigmaCooldown: ([availableAt]) =>
    e(
      "SIGMA_COOLDOWN",
      `σ was changed recently; the next change is allowed at ${time(availableAt)}`,
      `Change σ again after ${time(availableAt)}.`,
    ),
  SigmaFrozen: ([participant]) =>
    e(
      "SIGMA_FROZEN",
      `σ of ${String(participant)} is frozen because a task it stakes on is near its end`,
      "Change σ after the task has ended (or been closed).",
    ),
  PoolNotOpen: ([participant]) =>
    e(
      "POOL_NOT_OPEN",
      `${String(participant)} has no delegation pool`,
      "The participant must open its pool with setSigma before anyone can delegate to it.",
    ),
  InsufficientDelegation: ([participant, delegator, delegation, amount]) =>
    e(
      "DELEGATION_TOO_SMALL",
      `${String(delegator)} delegated ${tokens(delegation)} gmFLOCK to ${String(participant)}, less than ${tokens(amount)}`,
      "Undelegate at most what you delegated to this participant.",
    ),

  // Slashing
  InvalidFraction: ([bps]) =>
    e(
      "SLASH_FRACTION_INVALID",
      `slash fraction ${String(bps)} bps is not in (0, 10000]`,
      "Slash a fraction between 1 and 10000 bps.",
    ),
  EvidenceAlreadyUsed: ([hash]) =>
    e(
      "EVIDENCE_ALREADY_USED",
      `evidence ${String(hash)} was already used for a slash`,
      "Each proven fault slashes once; cite new evidence for a new fault.",
    ),
  NothingToSlash: ([taskId, account]) =>
    e(
      "NOTHING_TO_SLASH",
      `${String(account)} has no stake on task ${String(taskId)} to slash (or the fraction rounds to zero)`,
      "Check the task id, the account and the fraction.",
    ),

  // RewardDistributor
  EpochAlreadyPosted: ([epoch]) =>
    e(
      "EPOCH_ALREADY_POSTED",
      `epoch ${String(epoch)} already has its roots posted`,
      "Each epoch is settled once; post the next epoch.",
    ),
  EpochNotPosted: ([epoch]) =>
    e(
      "EPOCH_NOT_POSTED",
      `epoch ${String(epoch)} has no posted roots yet`,
      "Wait until the coordinator posts the epoch's roots.",
    ),
  InvalidTree: ([tree]) =>
    e(
      "REWARD_TREE_INVALID",
      `reward tree ${String(tree)} is not liquid or vesting`,
      'Claim from the "liquid" or "vesting" tree.',
    ),
  EmptyTree: ([epoch, tree]) =>
    e(
      "REWARD_TREE_EMPTY",
      `the ${treeName(tree)} tree of epoch ${String(epoch)} is empty`,
      "Nothing is claimable from this tree in this epoch.",
    ),
  InvalidProof: ([epoch, tree, account, amount]) =>
    e(
      "REWARD_PROOF_INVALID",
      `the proof does not show ${tokens(amount)} FLOCK for ${String(account)} in the ${treeName(tree)} tree of epoch ${String(epoch)}`,
      "Use the amount and proof from the epoch's published report for this account and tree.",
    ),
  NothingToClaim: ([epoch, tree, account]) =>
    e(
      "NOTHING_TO_CLAIM",
      `${String(account)} has nothing more to claim now from the ${treeName(tree)} tree of epoch ${String(epoch)}`,
      "Liquid rewards are claimed once; vesting rewards release over time, so claim again later.",
    ),
  InsufficientRewards: ([needed, available]) =>
    e(
      "REWARDS_INSUFFICIENT",
      `the epoch's emission-paid rewards total ${tokens(needed)} FLOCK but the RewardDistributor has only ${tokens(available)} FLOCK of emission that earlier epochs have not already reserved`,
      "Mint the daily emission (mintEmission) or send FLOCK to the RewardDistributor, then post again; getRewardPool shows the unallocated FLOCK (task pools funded by creators pay only through their own pool draws).",
    ),
  EpochOverclaimed: ([epoch, total]) =>
    e(
      "EPOCH_OVERCLAIMED",
      `this claim would take epoch ${String(epoch)} past the ${tokens(total)} FLOCK posted as its total`,
      `The epoch's trees pay more than the total posted with them, so it pays nothing beyond that total; check it with \`flock audit ${String(epoch)}\` and report it to the coordinator.`,
    ),
  EpochTotalMismatch: ([epoch, total]) =>
    e(
      "EPOCH_TOTAL_MISMATCH",
      `epoch ${String(epoch)} cannot be posted with a total of ${tokens(total)} FLOCK and these roots: a positive total needs a non-empty tree and a non-empty tree needs a positive total`,
      "Post the sum of every leaf amount of both trees as the total (0 only with two empty trees).",
    ),
  InsufficientTaskPool: ([taskId, needed, available]) =>
    e(
      "TASK_POOL_INSUFFICIENT",
      `the epoch draws ${tokens(needed)} FLOCK from the pool of task ${String(taskId)}, which holds ${tokens(available)}`,
      `Draw at most what the task's pool holds (getTaskPool), or have its creator fund it first (fundTask, \`flock task fund ${String(taskId)}\`).`,
    ),
  TaskPoolBound: ([taskId]) =>
    e(
      "TASK_POOL_BOUND",
      `an epoch already drew from the pool of task ${String(taskId)}: it is bound to the task`,
      "Only the pool of a task that never opened can be cancelled and refunded.",
    ),
  PoolCancelled: ([taskId]) =>
    e(
      "TASK_POOL_CANCELLED",
      `the pool of task ${String(taskId)} was cancelled`,
      "A cancelled pool takes no funding and pays no epoch; its funders take their FLOCK back with refundTaskFunding.",
    ),
  TaskPoolNotCancelled: ([taskId]) =>
    e(
      "TASK_POOL_NOT_CANCELLED",
      `the pool of task ${String(taskId)} is not cancelled`,
      "Funding is refunded only after the task's creator cancels its draft (`POST /tasks/:id/cancel`).",
    ),
  NothingToRefund: ([taskId, funder]) =>
    e(
      "NOTHING_TO_REFUND",
      `${String(funder)} has nothing to take back from the pool of task ${String(taskId)}`,
      "Only an account that funded the pool is refunded, once.",
    ),
  PoolDrawsExceedTotal: ([epoch, pooled, total]) =>
    e(
      "POOL_DRAWS_EXCEED_TOTAL",
      `epoch ${String(epoch)} draws ${tokens(pooled)} FLOCK from task pools but pays only ${tokens(total)} in all`,
      "Draw from task pools only what the epoch's trees pay out to those tasks' participants; the draws never exceed the total.",
    ),
  PoolDrawsMismatch: ([taskIds, amounts]) =>
    e(
      "POOL_DRAWS_MISMATCH",
      `the epoch names ${String(taskIds)} pool task ids but ${String(amounts)} pool amounts`,
      "Pass one amount per task pool drawn (postEpochRoot's pools: [{ taskId, amount }]).",
    ),
  ClaimFeeTooHigh: ([fee, max]) =>
    e(
      "CLAIM_FEE_TOO_HIGH",
      `claim fee ${String(fee)} bps exceeds the maximum ${String(max)} bps`,
      `Set a claim fee of at most ${String(max)} bps.`,
    ),
  VestingDurationTooLong: ([duration, max]) =>
    e(
      "VESTING_TOO_LONG",
      `vesting duration ${String(duration)} s exceeds the maximum ${String(max)} s`,
      `Use a vesting duration of at most ${String(max)} seconds.`,
    ),

  // UsageCredits
  InsufficientCredit: ([account, needed, available]) =>
    e(
      "CREDIT_INSUFFICIENT",
      `${String(account)} has ${tokens(available)} FLOCK of usage credit, less than the ${tokens(needed)} asked for`,
      "Read the credit balance (creditBalanceOf, or `flock credits balance`) and use at most that amount; a collection charges each account at most its balance.",
    ),
  EpochAlreadyCollected: ([epoch]) =>
    e(
      "USAGE_ALREADY_COLLECTED",
      `the usage of epoch ${String(epoch)} was already collected`,
      "Each epoch's usage is collected once: read its UsageCollected event instead of collecting again.",
    ),
  ChargesMismatch: ([accounts, amounts]) =>
    e(
      "USAGE_CHARGES_MISMATCH",
      `the collection names ${String(accounts)} accounts but ${String(amounts)} amounts`,
      "Pass one amount per charged account (collectUsage's charges: [{ account, amount }]).",
    ),
  NoCharges: ([epoch]) =>
    e(
      "USAGE_CHARGES_EMPTY",
      `the collection of epoch ${String(epoch)} charges nobody`,
      "Do not collect an epoch without usage; it stays open for nothing.",
    ),
  NoWithdrawalRequested: ([account]) =>
    e(
      "CREDIT_WITHDRAWAL_NOT_REQUESTED",
      `${String(account)} has no pending withdrawal request`,
      "Request a withdrawal first (requestCreditWithdrawal, or `flock credits withdraw --request <amount>`), then withdraw after the delay.",
    ),
  WithdrawalNotReady: ([account, availableAt]) =>
    e(
      "CREDIT_WITHDRAWAL_NOT_READY",
      `the withdrawal of ${String(account)} becomes available at ${time(availableAt)}`,
      `Withdraw after ${time(availableAt)}.`,
    ),
  NothingToWithdraw: ([account]) =>
    e(
      "CREDIT_NOTHING_TO_WITHDRAW",
      `${String(account)} has no usage credit left to withdraw`,
      "Usage collected since the request used the balance up; cancel the request with an amount of 0.",
    ),
  WithdrawalDelayOutOfRange: ([delay, min, max]) =>
    e(
      "CREDIT_WITHDRAWAL_DELAY_INVALID",
      `a withdrawal delay of ${String(delay)} s is outside ${String(min)}–${String(max)} s`,
      `Use a delay between ${String(min)} and ${String(max)} seconds.`,
    ),

  // Emission
  MintTooSoon: ([availableAt]) =>
    e(
      "EMISSION_TOO_SOON",
      `the last emission was less than 12 hours ago; the next mint is allowed at ${time(availableAt)}`,
      `Mint again after ${time(availableAt)}.`,
    ),
  EmissionScheduleEnded: ([index]) =>
    e(
      "EMISSION_SCHEDULE_ENDED",
      `mint ${String(index)} is past the end of the emission schedule`,
      "No more emission can be minted.",
    ),
  CapReached: () =>
    e("SUPPLY_CAP_REACHED", "the FLOCK supply has reached its cap", "No more FLOCK can be minted."),
};

/** Explains a decoded custom error; unknown errors keep their name so nothing is hidden. */
export function explainRevert(
  errorName: string,
  args: readonly unknown[],
  contracts: ContractLabels = {},
): RevertExplanation {
  const nameOf = (value: unknown): ContractName | undefined =>
    (Object.entries(contracts) as [ContractName, Address][]).find(
      ([, address]) => typeof value === "string" && address.toLowerCase() === value.toLowerCase(),
    )?.[0];
  const explain = EXPLANATIONS[errorName];
  if (explain !== undefined) return explain(args, nameOf);
  if (errorName === "Error") {
    return e(
      "CONTRACT_REVERTED",
      `the contract reverted: ${String(args[0])}`,
      "Check the arguments and the account's state.",
    );
  }
  if (errorName === "Panic") {
    return e(
      "CONTRACT_PANIC",
      `the contract panicked with code ${String(args[0])}`,
      "This is a contract bug or an arithmetic overflow: report it with the arguments used.",
    );
  }
  return e(
    "CONTRACT_REVERTED",
    `the contract reverted with ${errorName}(${args.map(String).join(", ")})`,
    "Check the arguments; this client may be older than the deployed contracts.",
  );
}

/** Names of the custom errors this package explains, for a test that every contract error is covered. */
export const EXPLAINED_ERRORS: readonly string[] = Object.keys(EXPLANATIONS);
