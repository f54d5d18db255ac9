import type { FlockEvent as ChainEvent, FlockEventKind } from "@flock/chain";
import type { Address, Hex } from "viem";

/** The task as the chain knows it: who may stake, how much, until when. */
export interface ChainTaskRegistration {
  taskId: number;
  minStake: bigint;
  minLockDays: number;
  /** Staking closes here and the stakes that count are frozen (SPEC §2.1); at or before `endTime`. */
  submissionDeadline: Date;
  endTime: Date;
}

/** A draw from one task's creator-funded pool toward an epoch's total. */
export interface TaskPoolDraw {
  taskId: number;
  /** FLOCK base units; at most what the task's pool holds. */
  amount: bigint;
}

/** The first block mined after a time: its hash seeds draws anyone can verify. */
export interface BlockAfter {
  number: bigint;
  hash: Hex;
  time: Date;
}

/** The epoch settlement the coordinator posts (see shared economics: two trees and the report hash). */
export interface EpochRootPost {
  epoch: bigint;
  liquidRoot: Hex;
  vestingRoot: Hex;
  reportHash: Hex;
  /** Σ of every leaf of both trees: the RewardDistributor refuses a root it cannot fully fund. */
  total: bigint;
  /** How much of `total` each task's own pool pays; the rest comes from the unallocated emission. */
  pools: readonly TaskPoolDraw[];
}

/** The RewardDistributor's FLOCK: what posted epochs still owe, and what no epoch has promised yet. */
export interface RewardPool {
  balance: bigint;
  outstanding: bigint;
  /** balance − outstanding: emission minted (or sent) to the distributor that epochs may still allocate. */
  unallocated: bigint;
}

/** A daily emission mint the coordinator made. */
export interface EmissionMint {
  mintIndex: bigint;
  amount: bigint;
  transactionHash: Hex;
}

/** TaskStaking's status of a task: `none` until it is registered. */
export type ChainTaskStatus = "none" | "open" | "paused" | "closed";

/** A task as TaskStaking holds it. */
export interface ChainTaskState {
  status: ChainTaskStatus;
  minStake: bigint;
  minLockDays: number;
  submissionDeadline: Date;
  endTime: Date;
  /** When it was closed (its dispute window started); null while not closed. */
  closedAt: Date | null;
}

/** An epoch's roots as the RewardDistributor holds them, with the transaction that posted them. */
export interface PostedEpochRoot {
  liquidRoot: Hex;
  vestingRoot: Hex;
  reportHash: Hex;
  total: bigint;
  /** Null only when the posting event could not be found (a chain pruned of its logs). */
  transactionHash: Hex | null;
}

/** What became of a sent transaction (see ChainGateway.transactionOutcome). */
export type TransactionOutcome = "success" | "reverted" | "pending" | "missing";

/** A slash for a proven fault; each evidence hash slashes once on-chain. */
export interface SlashRequest {
  taskId: number;
  account: string;
  fractionBps: number;
  /** sha256 of the published evidence, as bytes32. */
  evidenceHash: Hex;
  /** Paid 10% of the slash (SPEC §3). */
  prover: string;
}

/** One payer's usage charge of an epoch, collected from its prepaid credit (FLOCK base units). */
export interface UsageCharge {
  account: `0x${string}`;
  amount: bigint;
}

/** An epoch's usage charges, collected on-chain before its roots are posted. */
export interface UsageCollection {
  epoch: bigint;
  charges: readonly UsageCharge[];
}

/** An epoch's collection as the chain holds it (its UsageCollected event). */
export interface CollectedUsage {
  /** Null when nothing was sent (no charges), or when the collecting event could not be found. */
  transactionHash: Hex | null;
  /** Σ charges moved into the RewardDistributor. */
  total: bigint;
}

/** An account's usage credit in the UsageCredits contract. */
export interface ChainCreditBalance {
  /** deposited − withdrawn − collected, FLOCK base units. */
  balance: bigint;
  /** Requested for withdrawal (0 without a request). */
  pendingWithdrawal: bigint;
  /** When the request may be withdrawn; null without one. */
  availableAt: Date | null;
}

/**
 * Everything the coordinator asks of the chain. One interface so the app can be built without a chain
 * in unit tests; `createChainGateway` is the real implementation over `@flock/chain`.
 */
export interface ChainGateway {
  readonly chainId: number;
  /**
   * The deployment's TaskStaking address: the EIP-712 `verifyingContract` of signed requests, so a request
   * signed for another deployment on the same chain is refused.
   */
  readonly requestVerifier: Address;
  /** The block to start indexing from (the deployment block). */
  readonly startBlock: bigint;
  /** The coordinator's own account, which signs its transactions (paid as prover of faults it proves). */
  readonly coordinator?: string;
  /**
   * Register a task on-chain (it opens for staking). Reconciled: a task already registered with the same terms
   * (a retry after a crash) is done; one registered with other terms is refused (TASK_REGISTERED_OTHERWISE).
   */
  registerTask(task: ChainTaskRegistration): Promise<void>;
  /**
   * Post an epoch's roots. Reconciled: roots already posted for the epoch with the same values (a retry after a
   * crash) return the transaction that posted them; other values are refused (EPOCH_POSTED_OTHERWISE).
   */
  postEpochRoot(post: EpochRootPost): Promise<{ transactionHash: Hex }>;
  /**
   * Collect an epoch's usage charges from the payers' prepaid credit into the RewardDistributor (UsageCredits
   * `collect`), where they are unallocated FLOCK the epoch's post reserves. An empty list sends nothing
   * (`transactionHash` null). Reconciled: an epoch the chain already collected with the same total (a retry after a
   * crash between send and mine) returns its UsageCollected transaction; another total is refused
   * (USAGE_COLLECTED_OTHERWISE). A charge above an account's on-chain credit refuses the whole collection
   * (CREDIT_INSUFFICIENT).
   */
  collectUsage(collection: UsageCollection): Promise<CollectedUsage>;
  /** An epoch's collection as the chain holds it; null when its usage was not collected. */
  collectedUsage(epoch: bigint): Promise<CollectedUsage | null>;
  /** An account's usage credit as UsageCredits holds it. */
  creditBalance(account: string): Promise<ChainCreditBalance>;
  /** A task as the chain holds it (status `none` when never registered). */
  chainTask(taskId: number): Promise<ChainTaskState>;
  /** An epoch's posted roots; null when the epoch was not posted. */
  postedEpoch(epoch: bigint): Promise<PostedEpochRoot | null>;
  /** The reward distributor's balance, outstanding promises and unallocated (emission) FLOCK. */
  rewardPool(): Promise<RewardPool>;
  /** FLOCK a task's creator-funded pool holds, not yet drawn by a posted epoch. */
  taskPool(taskId: number): Promise<bigint>;
  /**
   * Stakes frozen at the task's submission deadline (SPEC §2.1), by lowercase account; before the deadline,
   * the current stakes. Accounts without a stake map to 0.
   */
  snapshotStakes(taskId: number, accounts: readonly string[]): Promise<Map<string, bigint>>;
  /** Whether an account holds the operator role: it may create tasks paid from the emission (SPEC §3). */
  isOperator(account: string): Promise<boolean>;
  /** The network minimum stake (gmFLOCK base units) every task minimum and every stake must reach. */
  minStakeFloor(): Promise<bigint>;
  /** The first block mined strictly after `time`; null while the head is not past it. */
  firstBlockAfter(time: Date): Promise<BlockAfter | null>;
  /**
   * Ask a development chain (anvil) to mine an empty block later than `after`, so a deadline gets its block
   * without waiting for traffic (a chain whose clock is behind the coordinator's is moved up to it); false where
   * the chain refuses (any real network, which mines blocks by itself).
   */
  mineBlock(after: Date): Promise<boolean>;
  /** Mint the next daily emission into the reward distributor when it is due; null when it is not yet. */
  mintEmissionIfDue(): Promise<EmissionMint | null>;
  /** The latest emission mint (Emission's Minted event): its index and amount; null before the first. */
  latestMint(): Promise<{ mintIndex: bigint; amount: bigint } | null>;
  /**
   * Close a settled task on-chain: its stakes become withdrawable after the dispute window. Reconciled: a task
   * already closed is done.
   */
  closeTask(taskId: number): Promise<void>;
  /**
   * Cancel the reward pool of a draft that will never open: its funders may take their FLOCK back. Reconciled: a
   * pool already cancelled is done; one an epoch drew from is refused (TASK_POOL_BOUND).
   */
  cancelTaskPool(taskId: number): Promise<void>;
  /** Slash on-chain; returns the gmFLOCK seized (also when this evidence was already used: the earlier slash). */
  slash(request: SlashRequest): Promise<{ amount: bigint }>;
  headBlock(): Promise<bigint>;
  /**
   * What became of a transaction the coordinator sent (its hash journaled at send): mined with success, mined and
   * reverted, still pending in the node, or unknown to the node (dropped, or a node that lost it).
   */
  transactionOutcome(hash: Hex): Promise<TransactionOutcome>;
  /** Public randomness for validator draws: the hash of the latest block. */
  randomnessBeacon(): Promise<Hex>;
  /** The timestamp of a block (delegations are time-weighted by block time). */
  blockTime(block: bigint): Promise<Date>;
  /** Events of kinds `kinds` in `[fromBlock, toBlock]`, in chain order. */
  readEvents(range: {
    fromBlock: bigint;
    toBlock: bigint;
    kinds: readonly FlockEventKind[];
  }): AsyncIterable<ChainEvent>;
}
