import {
  cancelTaskPool,
  collectUsage,
  createFlockClient,
  createTask,
  creditBalanceOf,
  type FlockAddresses,
  firstBlockAfter,
  getMinStakeFloor,
  getRewardPool,
  getSnapshotStake,
  getTaskPool,
  isOperator,
  isUsageCollected,
  mintEmission,
  postEpochRoot,
  readEvents,
  setTaskStatus,
  slash,
} from "@flock/chain";
import { ChainError, isFlockError } from "@flock/core";
import { type Address, type Hex, TransactionNotFoundError, TransactionReceiptNotFoundError } from "viem";
import type {
  ChainGateway,
  ChainTaskRegistration,
  CollectedUsage,
  EpochRootPost,
  PostedEpochRoot,
  UsageCollection,
} from "./chainGateway.ts";
import { readChainEpoch, readChainTask } from "./chainState.ts";

export interface ChainGatewayOptions {
  rpcUrl: string;
  chainId: number;
  addresses: FlockAddresses;
  /** The coordinator's key (it holds the coordinator role on TaskStaking and RewardDistributor). */
  coordinatorKey: Hex;
  /** The deployment block: indexing starts here. */
  startBlock: bigint;
  /** Seconds after a task closes during which stakes stay slashable. */
  disputeWindowSec?: bigint;
  pollingIntervalMs?: number;
}

/** Whole unix seconds of a time (the chain's clock), rounded down. */
function unixSeconds(time: Date): bigint {
  return BigInt(Math.floor(time.getTime() / 1000));
}

function dateOf(unix: bigint): Date {
  return new Date(Number(unix) * 1000);
}

/** The registration's terms differ from what the chain holds: never "already done". */
function registeredOtherwise(task: ChainTaskRegistration, held: Record<string, unknown>): ChainError {
  return new ChainError(
    "TASK_REGISTERED_OTHERWISE",
    `task ${task.taskId} is registered on-chain with other terms than the coordinator's`,
    {
      hint: "the database and the chain disagree on this task id (a database restored from an older backup, or another coordinator on the same contracts): point the coordinator at its own deployment",
      details: { taskId: task.taskId, onChain: held, permanent: true },
    },
  );
}

function postedOtherwise(post: EpochRootPost, held: PostedEpochRoot): ChainError {
  return new ChainError(
    "EPOCH_POSTED_OTHERWISE",
    `epoch ${post.epoch} is posted on-chain with other roots than the coordinator recorded`,
    {
      hint: "the chain's roots are the ones claims are paid from: check the database against the chain (another coordinator on the same contracts, or a database restored from an older backup)",
      details: {
        epoch: post.epoch.toString(),
        onChain: { ...held, total: held.total.toString() },
        recorded: {
          liquidRoot: post.liquidRoot,
          vestingRoot: post.vestingRoot,
          reportHash: post.reportHash,
          total: post.total.toString(),
        },
        permanent: true,
      },
    },
  );
}

function collectedOtherwise(
  collection: UsageCollection,
  total: bigint,
  held: { transactionHash: Hex; total: bigint },
): ChainError {
  return new ChainError(
    "USAGE_COLLECTED_OTHERWISE",
    `the usage of epoch ${collection.epoch} was collected on-chain with a total of ${held.total}, not the ${total} the coordinator recorded`,
    {
      hint: "the chain's collection is what the epoch's revenue was paid from: check the usage records against its UsageCharged events (another coordinator on the same contracts, or a database restored from an older backup)",
      details: {
        epoch: collection.epoch.toString(),
        onChain: { total: held.total.toString(), transactionHash: held.transactionHash },
        recorded: { total: total.toString() },
        permanent: true,
      },
    },
  );
}

/**
 * The real chain gateway: `@flock/chain` actions signed with the coordinator's key. `@flock/chain` sends
 * each account's transactions one after another, so concurrent requests (tasks created by many creators at
 * once, settlements, slashes) never race for the coordinator's nonce.
 */
export function createChainGateway(options: ChainGatewayOptions): ChainGateway {
  const client = createFlockClient({
    rpcUrl: options.rpcUrl,
    chainId: options.chainId,
    addresses: options.addresses,
    privateKey: options.coordinatorKey,
    pollingIntervalMs: options.pollingIntervalMs ?? 100,
  });
  const disputeWindowSec = options.disputeWindowSec ?? 86_400n;
  /** An epoch's posted roots, with the transaction of its EpochRootPosted event. */
  async function postedEpoch(epoch: bigint): Promise<PostedEpochRoot | null> {
    const held = await readChainEpoch(client, epoch);
    if (held === null) return null;
    let transactionHash: Hex | null = null;
    for await (const event of readEvents(client, {
      fromBlock: options.startBlock,
      kinds: ["epochRootPosted"],
    })) {
      if (event.kind === "epochRootPosted" && event.args.epoch === epoch)
        transactionHash = event.transactionHash;
    }
    return {
      liquidRoot: held.liquidRoot,
      vestingRoot: held.vestingRoot,
      reportHash: held.reportHash,
      total: held.total,
      transactionHash,
    };
  }
  /**
   * An epoch's collection with the transaction and total of its UsageCollected event; the event null when the
   * epoch is collected but its event is out of reach (a chain pruned of its logs).
   */
  async function collectedUsage(
    epoch: bigint,
  ): Promise<{ event: { transactionHash: Hex; total: bigint } | null } | null> {
    if (!(await isUsageCollected(client, { epoch }))) return null;
    for await (const event of readEvents(client, {
      fromBlock: options.startBlock,
      kinds: ["usageCollected"],
    })) {
      if (event.kind === "usageCollected" && event.args.epoch === epoch) {
        return { event: { transactionHash: event.transactionHash, total: event.args.total } };
      }
    }
    return { event: null };
  }
  return {
    chainId: options.chainId,
    requestVerifier: options.addresses.TaskStaking.toLowerCase() as Address,
    startBlock: options.startBlock,
    coordinator: client.account.address.toLowerCase(),
    async registerTask(task) {
      const terms = {
        minStake: task.minStake,
        minLockDays: task.minLockDays,
        submissionDeadline: unixSeconds(task.submissionDeadline),
        endTime: unixSeconds(task.endTime),
      };
      // Read first: a registration that was mined before a crash is done, not sent again (TASK_EXISTS).
      const alreadyDone = async () => {
        const held = await readChainTask(client, task.taskId);
        if (held.status === "none") return false;
        const same =
          held.minStake === terms.minStake &&
          held.minLockDays === terms.minLockDays &&
          held.submissionDeadline === terms.submissionDeadline &&
          held.endTime === terms.endTime;
        if (!same) {
          throw registeredOtherwise(task, {
            minStake: held.minStake.toString(),
            minLockDays: held.minLockDays,
            submissionDeadline: held.submissionDeadline.toString(),
            endTime: held.endTime.toString(),
          });
        }
        return true;
      };
      if (await alreadyDone()) return;
      try {
        await createTask(client, { taskId: BigInt(task.taskId), ...terms, disputeWindowSec });
      } catch (error) {
        // Sent twice concurrently, or mined while the receipt was lost: the chain says whether it is done.
        if (isFlockError(error) && error.code === "TASK_EXISTS" && (await alreadyDone())) return;
        throw error;
      }
    },
    async postEpochRoot(post) {
      const alreadyPosted = async () => {
        const held = await postedEpoch(post.epoch);
        if (held === null) return null;
        const same =
          held.liquidRoot.toLowerCase() === post.liquidRoot.toLowerCase() &&
          held.vestingRoot.toLowerCase() === post.vestingRoot.toLowerCase() &&
          held.reportHash.toLowerCase() === post.reportHash.toLowerCase() &&
          held.total === post.total;
        if (!same) throw postedOtherwise(post, held);
        return { transactionHash: held.transactionHash ?? (`0x${"0".repeat(64)}` as Hex) };
      };
      const done = await alreadyPosted();
      if (done !== null) return done;
      try {
        const { transactionHash } = await postEpochRoot(client, {
          ...post,
          pools: post.pools.map((draw) => ({ taskId: BigInt(draw.taskId), amount: draw.amount })),
        });
        return { transactionHash };
      } catch (error) {
        if (isFlockError(error) && error.code === "EPOCH_ALREADY_POSTED") {
          const posted = await alreadyPosted();
          if (posted !== null) return posted;
        }
        throw error;
      }
    },
    async collectUsage(collection) {
      const total = collection.charges.reduce((sum, charge) => sum + charge.amount, 0n);
      if (collection.charges.length === 0) return { transactionHash: null, total: 0n };
      // Read first: a collection mined before a crash is done, not sent again (USAGE_ALREADY_COLLECTED).
      const alreadyCollected = async (): Promise<CollectedUsage | null> => {
        const held = await collectedUsage(collection.epoch);
        if (held === null) return null;
        if (held.event === null) return { transactionHash: null, total };
        if (held.event.total !== total) throw collectedOtherwise(collection, total, held.event);
        return held.event;
      };
      const done = await alreadyCollected();
      if (done !== null) return done;
      try {
        const collected = await collectUsage(client, {
          epoch: collection.epoch,
          charges: collection.charges.map((charge) => ({ account: charge.account, amount: charge.amount })),
        });
        return { transactionHash: collected.transactionHash, total: collected.total };
      } catch (error) {
        if (isFlockError(error) && error.code === "USAGE_ALREADY_COLLECTED") {
          const collected = await alreadyCollected();
          if (collected !== null) return collected;
        }
        throw error;
      }
    },
    async collectedUsage(epoch) {
      const held = await collectedUsage(epoch);
      if (held === null) return null;
      // collected, but the event that says how much is out of reach
      return held.event ?? { transactionHash: null, total: 0n };
    },
    async creditBalance(account) {
      // lowercase: a mixed-case address with a wrong checksum still names the account
      const held = await creditBalanceOf(client, { account: account.toLowerCase() as Address });
      return {
        balance: held.balance,
        pendingWithdrawal: held.pendingWithdrawal,
        availableAt: held.availableAt === null ? null : dateOf(held.availableAt),
      };
    },
    async chainTask(taskId) {
      const held = await readChainTask(client, taskId);
      return {
        status: held.status,
        minStake: held.minStake,
        minLockDays: held.minLockDays,
        submissionDeadline: dateOf(held.submissionDeadline),
        endTime: dateOf(held.endTime),
        closedAt: held.closedAt === 0n ? null : dateOf(held.closedAt),
      };
    },
    postedEpoch,
    rewardPool: () => getRewardPool(client),
    taskPool: (taskId) => getTaskPool(client, { taskId: BigInt(taskId) }),
    async snapshotStakes(taskId, accounts) {
      const amounts = await Promise.all(
        accounts.map((account) =>
          getSnapshotStake(client, { taskId: BigInt(taskId), account: account as Address }),
        ),
      );
      return new Map(accounts.map((account, i) => [account.toLowerCase(), amounts[i]!]));
    },
    isOperator: (account) => isOperator(client, { account: account as Address }),
    minStakeFloor: () => getMinStakeFloor(client),
    async firstBlockAfter(time) {
      const block = await firstBlockAfter(client, { timestamp: unixSeconds(time) });
      return block === null
        ? null
        : { number: block.number, hash: block.hash, time: new Date(Number(block.timestamp) * 1000) };
    },
    async mineBlock(after) {
      const target = unixSeconds(after) + 1n;
      try {
        const latest = await client.publicClient.getBlock({ blockTag: "latest" });
        const wallClock = unixSeconds(new Date());
        if (target > latest.timestamp && target > wallClock) {
          await client.publicClient.request({
            method: "evm_setNextBlockTimestamp" as never,
            params: [Number(target)] as never,
          });
        }
        await client.publicClient.request({ method: "evm_mine" as never, params: [] as never });
        return true;
      } catch {
        return false;
      }
    },
    async mintEmissionIfDue() {
      // The contract allows one mint per 12 hours; asking early costs only a simulated call.
      try {
        const minted = await mintEmission(client);
        return {
          mintIndex: minted.mintIndex,
          amount: minted.amount,
          transactionHash: minted.transactionHash,
        };
      } catch (error) {
        if (isFlockError(error) && error.code === "EMISSION_TOO_SOON") return null;
        throw error;
      }
    },
    async latestMint() {
      let latest: { mintIndex: bigint; amount: bigint } | null = null;
      for await (const event of readEvents(client, {
        fromBlock: options.startBlock,
        kinds: ["emissionMinted"],
      })) {
        if (event.kind === "emissionMinted")
          latest = { mintIndex: event.args.mintIndex, amount: event.args.amount };
      }
      return latest;
    },
    async closeTask(taskId) {
      // Read first: a close mined before a crash is done (sending it again is TASK_STATUS_TRANSITION_INVALID).
      const held = await readChainTask(client, taskId);
      if (held.status === "closed") return;
      try {
        await setTaskStatus(client, { taskId: BigInt(taskId), status: "closed" });
      } catch (error) {
        if ((await readChainTask(client, taskId)).status === "closed") return;
        throw error;
      }
    },
    async slash(request) {
      try {
        const result = await slash(client, {
          taskId: BigInt(request.taskId),
          account: request.account as Address,
          fractionBps: request.fractionBps,
          evidenceHash: request.evidenceHash,
          prover: request.prover as Address,
        });
        return { amount: result.amount };
      } catch (error) {
        if (!isFlockError(error) || error.code !== "EVIDENCE_ALREADY_USED") throw error;
        // A retry after a crash: the slash happened; read its amount from the chain.
        for await (const event of readEvents(client, { fromBlock: options.startBlock, kinds: ["slashed"] })) {
          if (event.kind === "slashed" && event.args.evidenceHash === request.evidenceHash) {
            return { amount: event.args.amount };
          }
        }
        throw error;
      }
    },
    headBlock: () => client.publicClient.getBlockNumber({ cacheTime: 0 }),
    async cancelTaskPool(taskId) {
      try {
        await cancelTaskPool(client, { taskId: BigInt(taskId) });
      } catch (error) {
        if (isFlockError(error) && error.code === "TASK_POOL_CANCELLED") return;
        throw error;
      }
    },
    async transactionOutcome(hash) {
      const receipt = await client.publicClient.getTransactionReceipt({ hash }).catch((error: unknown) => {
        if (error instanceof TransactionReceiptNotFoundError) return null;
        throw error;
      });
      if (receipt !== null) return receipt.status === "success" ? "success" : "reverted";
      const pending = await client.publicClient.getTransaction({ hash }).catch((error: unknown) => {
        if (error instanceof TransactionNotFoundError) return null;
        throw error;
      });
      return pending === null ? "missing" : "pending";
    },
    async randomnessBeacon() {
      const block = await client.publicClient.getBlock({ blockTag: "latest" });
      return block.hash;
    },
    async blockTime(block) {
      const { timestamp } = await client.publicClient.getBlock({ blockNumber: block });
      return new Date(Number(timestamp) * 1000);
    },
    readEvents: (range) => readEvents(client, range),
  };
}
