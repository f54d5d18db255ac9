import type { FlockEvent as ChainEvent } from "@flock/chain";
import { ChainError } from "@flock/core";
import type {
  ChainGateway,
  ChainTaskRegistration,
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
  const gateway: RecordingChainGateway = {
    // Plenty for any test's epochs unless a test sets less.
    rewardBalance: 10n ** 30n,
    slashed,
    closed,
    async closeTask(taskId) {
      closed.push(taskId);
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
      registered.push(task);
    },
    async rewardPool() {
      return {
        balance: gateway.rewardBalance,
        outstanding,
        unallocated: gateway.rewardBalance - outstanding,
      };
    },
    // Emission is the real chain's business; the recorder never mints.
    mintEmissionIfDue: async () => null,
    async postEpochRoot(post) {
      if (gateway.rewardBalance - outstanding < post.total) {
        throw new ChainError("REWARDS_INSUFFICIENT", `epoch ${post.epoch} needs ${post.total}`, {
          hint: "the recorded reward distributor holds less",
        });
      }
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
