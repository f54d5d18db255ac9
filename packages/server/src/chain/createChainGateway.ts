import {
  createFlockClient,
  createTask,
  type FlockAddresses,
  getRewardPool,
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

/** The real chain gateway: `@flock/chain` actions signed with the coordinator's key. */
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
        endTime: BigInt(Math.floor(task.endTime.getTime() / 1000)),
        disputeWindowSec,
      });
    },
    async postEpochRoot(post) {
      const { transactionHash } = await postEpochRoot(client, post);
      return { transactionHash };
    },
    rewardPool: () => getRewardPool(client),
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
