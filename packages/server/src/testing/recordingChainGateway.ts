import type { FlockEvent as ChainEvent } from "@flock/chain";
import { ChainError } from "@flock/core";
import type {
  ChainGateway,
  ChainTaskRegistration,
  ChainTaskState,
  CollectedUsage,
  EpochRootPost,
  SlashRequest,
} from "../chain/chainGateway.ts";

/**
 * A chain gateway for tests of routes that only need the chain to accept calls: it records them.
 * Tests of stake indexing and settlement use the real gateway over anvil instead.
 */
export interface RecordingChainGateway extends ChainGateway {
  /** FLOCK the recorded reward distributor holds; posts are refused beyond it, as on-chain. */
  rewardBalance: bigint;
  registered: ChainTaskRegistration[];
  posted: EpochRootPost[];
  slashed: SlashRequest[];
  closed: number[];
  /** Creator-funded pools by task id (held within rewardBalance); posts draw from them, never beyond them. */
  taskPools: Map<number, bigint>;
  /** Frozen stakes by task id, then lowercase account (accounts not set read 0). */
  frozenStakes: Map<number, Map<string, bigint>>;
  /** Lowercase accounts holding the operator role. */
  operators: Set<string>;
  /** The network minimum stake the recorder reports. */
  stakeFloor: bigint;
  /** Emission mints the recorder reports, oldest first (the latest funds the next epoch once). */
  mints: { mintIndex: bigint; amount: bigint }[];
  /** What became of transactions by lowercase hash (transactionOutcome answers `missing` for others). */
  transactions: Map<string, "success" | "reverted" | "pending">;
  /** Task ids whose pools were cancelled (cancelTaskPool). */
  cancelledPools: Set<number>;
  /** Usage credit by lowercase account (what UsageCredits would hold); collections are refused beyond it. */
  credits: Map<string, bigint>;
  /** Collected epochs' usage, by epoch; a collection adds its total to rewardBalance, as on-chain. */
  collections: Map<bigint, CollectedUsage & { charges: { account: string; amount: bigint }[] }>;
}

/** The TaskStaking address the recording gateway reports (no contract is deployed there). */
export const RECORDING_REQUEST_VERIFIER = "0x00000000000000000000000000000000000f10c5" as const;

/** `events`: chain events the gateway reports (e.g. SigmaSet), filtered by the kinds asked for. */
export function createRecordingChainGateway(
  chainId = 31337,
  events: ChainEvent[] = [],
): RecordingChainGateway {
  const registered: ChainTaskRegistration[] = [];
  const posted: EpochRootPost[] = [];
  const slashed: SlashRequest[] = [];
  const closed: number[] = [];
  let outstanding = 0n;
  const taskPools = new Map<number, bigint>();
  const credits = new Map<string, bigint>();
  const collections: RecordingChainGateway["collections"] = new Map();
  const gateway: RecordingChainGateway = {
    credits,
    collections,
    async collectUsage(collection) {
      const total = collection.charges.reduce((sum, charge) => sum + charge.amount, 0n);
      if (collection.charges.length === 0) return { transactionHash: null, total: 0n };
      const held = collections.get(collection.epoch);
      if (held !== undefined) {
        // reconciled as the real gateway is: the same total is done, another is refused
        if (held.total !== total) {
          throw new ChainError(
            "USAGE_COLLECTED_OTHERWISE",
            `epoch ${collection.epoch} was collected otherwise`,
            {
              hint: "the recorded collection differs",
              details: { permanent: true },
            },
          );
        }
        return { transactionHash: held.transactionHash, total };
      }
      const after = new Map(credits);
      for (const charge of collection.charges) {
        const account = charge.account.toLowerCase();
        const balance = after.get(account) ?? 0n;
        if (charge.amount > balance) {
          throw new ChainError("CREDIT_INSUFFICIENT", `${account} has ${balance} of usage credit`, {
            hint: "the recorded usage credit holds less",
            details: { errorName: "InsufficientCredit" },
          });
        }
        after.set(account, balance - charge.amount);
      }
      for (const [account, balance] of after) credits.set(account, balance);
      const transactionHash = `0x${collection.epoch.toString(16).padStart(64, "c")}` as const;
      collections.set(collection.epoch, {
        transactionHash,
        total,
        charges: collection.charges.map((c) => ({ account: c.account.toLowerCase(), amount: c.amount })),
      });
      gateway.rewardBalance += total;
      return { transactionHash, total };
    },
    async collectedUsage(epoch) {
      const held = collections.get(epoch);
      return held === undefined ? null : { transactionHash: held.transactionHash, total: held.total };
    },
    async creditBalance(account) {
      return { balance: credits.get(account.toLowerCase()) ?? 0n, pendingWithdrawal: 0n, availableAt: null };
    },
    taskPools,
    frozenStakes: new Map(),
    // Dev account 0, the local network's admin, is an operator from deployment.
    operators: new Set(["0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"]),
    stakeFloor: 0n,
    // One daily mint of 10,000 FLOCK: the first epoch of a test distributes it, later ones only their pools.
    mints: [{ mintIndex: 0n, amount: 10_000n * 10n ** 18n }],
    latestMint: async () => gateway.mints.at(-1) ?? null,
    taskPool: async (taskId) => taskPools.get(taskId) ?? 0n,
    async snapshotStakes(taskId, accounts) {
      const stakes = gateway.frozenStakes.get(taskId);
      return new Map(accounts.map((a) => [a.toLowerCase(), stakes?.get(a.toLowerCase()) ?? 0n]));
    },
    mineBlock: async () => true,
    cancelledPools: new Set<number>(),
    async cancelTaskPool(taskId) {
      gateway.cancelledPools.add(taskId);
    },
    // Transactions a test says were sent, with what became of them; any other hash is unknown to the "node".
    transactions: new Map<string, "success" | "reverted" | "pending">(),
    async transactionOutcome(hash) {
      return gateway.transactions.get(hash.toLowerCase()) ?? "missing";
    },
    isOperator: async (account) => gateway.operators.has(account.toLowerCase()),
    minStakeFloor: async () => gateway.stakeFloor,
    // The recorder has no blocks in time: the block after any time is block 1 with a fixed hash.
    firstBlockAfter: async (time) => ({ number: 1n, hash: `0x${"cd".repeat(32)}`, time }),
    // Plenty for any test's epochs unless a test sets less.
    rewardBalance: 10n ** 30n,
    slashed,
    closed,
    // Reconciled as the real gateway is: closing a closed task is done, not refused.
    async closeTask(taskId) {
      if (!closed.includes(taskId)) closed.push(taskId);
    },
    async chainTask(taskId): Promise<ChainTaskState> {
      const task = registered.find((t) => t.taskId === taskId);
      if (task === undefined) {
        return {
          status: "none",
          minStake: 0n,
          minLockDays: 0,
          submissionDeadline: new Date(0),
          endTime: new Date(0),
          closedAt: null,
        };
      }
      return {
        status: closed.includes(taskId) ? "closed" : "open",
        minStake: task.minStake,
        minLockDays: task.minLockDays,
        submissionDeadline: task.submissionDeadline,
        endTime: task.endTime,
        closedAt: closed.includes(taskId) ? new Date(0) : null,
      };
    },
    async postedEpoch(epoch) {
      const index = posted.findIndex((p) => p.epoch === epoch);
      if (index < 0) return null;
      const post = posted[index]!;
      return {
        liquidRoot: post.liquidRoot,
        vestingRoot: post.vestingRoot,
        reportHash: post.reportHash,
        total: post.total,
        transactionHash: `0x${(index + 1).toString(16).padStart(64, "0")}`,
      };
    },
    // The recorder holds no stakes: it reports 1 base unit seized (the anvil tests check real amounts).
    async slash(request) {
      slashed.push(request);
      return { amount: 1n };
    },
    chainId,
    requestVerifier: RECORDING_REQUEST_VERIFIER,
    startBlock: 0n,
    // Dev account 1, the local network's coordinator.
    coordinator: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
    registered,
    posted,
    async registerTask(task) {
      if (!registered.some((t) => t.taskId === task.taskId)) registered.push(task);
    },
    async rewardPool() {
      const pooledTotal = [...taskPools.values()].reduce((sum, amount) => sum + amount, 0n);
      return {
        balance: gateway.rewardBalance,
        outstanding,
        unallocated: gateway.rewardBalance - outstanding - pooledTotal,
      };
    },
    // Emission is the real chain's business; the recorder never mints.
    mintEmissionIfDue: async () => null,
    async postEpochRoot(post) {
      const earlier = posted.findIndex((p) => p.epoch === post.epoch);
      if (earlier >= 0) {
        const held = posted[earlier]!;
        if (held.liquidRoot !== post.liquidRoot || held.reportHash !== post.reportHash) {
          throw new ChainError("EPOCH_POSTED_OTHERWISE", `epoch ${post.epoch} was posted with other roots`, {
            hint: "the recorded roots differ",
            details: { permanent: true },
          });
        }
        return { transactionHash: `0x${(earlier + 1).toString(16).padStart(64, "0")}` };
      }
      let pooled = 0n;
      for (const draw of post.pools) {
        const held = taskPools.get(draw.taskId) ?? 0n;
        if (draw.amount > held) {
          // Refusals carry the contract error's name, as the real gateway's decoded reverts do.
          throw new ChainError("TASK_POOL_INSUFFICIENT", `task ${draw.taskId} holds ${held}`, {
            hint: "the recorded task pool holds less",
            details: { errorName: "InsufficientTaskPool" },
          });
        }
        pooled += draw.amount;
      }
      const pooledTotal = [...taskPools.values()].reduce((sum, amount) => sum + amount, 0n);
      const unallocated = gateway.rewardBalance - outstanding - pooledTotal;
      if (pooled > post.total || unallocated < post.total - pooled) {
        throw new ChainError("REWARDS_INSUFFICIENT", `epoch ${post.epoch} needs ${post.total - pooled}`, {
          hint: "the recorded reward distributor holds less",
          details: { errorName: "InsufficientRewards" },
        });
      }
      for (const draw of post.pools) taskPools.set(draw.taskId, taskPools.get(draw.taskId)! - draw.amount);
      outstanding += post.total;
      posted.push(post);
      return { transactionHash: `0x${posted.length.toString(16).padStart(64, "0")}` };
    },
    // The head is the latest given event's block, so indexers see events added during a test.
    async headBlock() {
      let head = 0n;
      for (const event of events) if (event.blockNumber > head) head = event.blockNumber;
      return head;
    },
    blockTime: async () => new Date(0),
    randomnessBeacon: async () => `0x${"ab".repeat(32)}`,
    readEvents: async function* (range): AsyncGenerator<ChainEvent> {
      for (const event of events) {
        const inRange = event.blockNumber >= range.fromBlock && event.blockNumber <= range.toBlock;
        if (inRange && range.kinds.includes(event.kind)) yield event;
      }
    },
  };
  return gateway;
}
