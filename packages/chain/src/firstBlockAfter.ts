import type { Hex } from "viem";
import { toChainError } from "./chainErrors.ts";
import type { FlockReader } from "./client.ts";

export interface FirstBlockAfterParameters {
  /** Unix seconds. */
  timestamp: bigint;
  /** Lowest block to consider (e.g. the deployment block); 0 by default. */
  fromBlock?: bigint;
}

/** The first block whose timestamp is strictly after the given time. */
export interface BlockAfter {
  number: bigint;
  hash: Hex;
  timestamp: bigint;
}

export type FirstBlockAfterReturnType = BlockAfter | null;

/**
 * The first block mined strictly after `timestamp`, or null while the head is not past it yet (anvil mines
 * on demand, so that block may not exist for a while). A block that nobody could know before the time:
 * its hash seeds draws anyone can check, e.g. validator assignment after a submission deadline. Binary
 * search over block timestamps, which never decrease: about log2(head) header reads.
 * @example const block = await firstBlockAfter(reader, { timestamp: BigInt(deadline / 1000) });
 */
export async function firstBlockAfter(
  reader: Pick<FlockReader, "publicClient">,
  parameters: FirstBlockAfterParameters,
): Promise<FirstBlockAfterReturnType> {
  const { publicClient } = reader;
  const { timestamp } = parameters;
  try {
    const head = await publicClient.getBlock({ blockTag: "latest" });
    if (head.number === null || head.timestamp <= timestamp) return null;
    // invariant: the answer lies in [low, high]; block `high` is after the time
    let low = parameters.fromBlock ?? 0n;
    let high = head.number;
    let found = { number: head.number, hash: head.hash as Hex, timestamp: head.timestamp };
    while (low < high) {
      const middle = (low + high) / 2n;
      const block = await publicClient.getBlock({ blockNumber: middle });
      if (block.timestamp > timestamp) {
        high = middle;
        found = { number: middle, hash: block.hash as Hex, timestamp: block.timestamp };
      } else {
        low = middle + 1n;
      }
    }
    return found;
  } catch (error) {
    throw toChainError(
      error,
      `find the first block after ${new Date(Number(timestamp) * 1000).toISOString()}`,
    );
  }
}
