import {
  createFlockClient,
  createTask,
  type FlockAddresses,
  firstBlockAfter,
  getMinStakeFloor,
  getRewardPool,
  getSnapshotStake,
  getTaskPool,
  isOperator,
  mintEmission,
  postEpochRoot,
  readEvents,
  setTaskStatus,
  slash,
} from "@flock/chain";
import { isFlockError } from "@flock/core";
import type { Address, Hex } from "viem";
import type { ChainGateway } from "./chainGateway.ts";

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
  return {
    chainId: options.chainId,
    requestVerifier: options.addresses.TaskStaking.toLowerCase() as Address,
    startBlock: options.startBlock,
    coordinator: client.account.address.toLowerCase(),
    async registerTask(task) {
      await createTask(client, {
        taskId: BigInt(task.taskId),
        minStake: task.minStake,
        minLockDays: task.minLockDays,
        submissionDeadline: unixSeconds(task.submissionDeadline),
        endTime: unixSeconds(task.endTime),
        disputeWindowSec,
      });
    },
    async postEpochRoot(post) {
      const { transactionHash } = await postEpochRoot(client, {
        ...post,
        pools: post.pools.map((draw) => ({ taskId: BigInt(draw.taskId), amount: draw.amount })),
      });
      return { transactionHash };
    },
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
      await setTaskStatus(client, { taskId: BigInt(taskId), status: "closed" });
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
