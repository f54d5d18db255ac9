import {
  delegationPoolsAbi,
  emissionAbi,
  gmFlockAbi,
  rewardDistributorAbi,
  slashingAbi,
  taskStakingAbi,
  usageCreditsAbi,
} from "@flock/contracts";
import { ChainError } from "@flock/core";
import {
  type Abi,
  type Address,
  type BlockNumber,
  type ContractEventName,
  decodeEventLog,
  type GetEventArgs,
  type Hex,
  type Log,
} from "viem";
import { toChainError } from "./chainErrors.ts";
import type { FlockReader } from "./client.ts";
import type { ContractName } from "./manifest.ts";

/** The events an indexer needs, by kind: which contract emits it and under which event name. */
const EVENT_SOURCES = {
  locked: { contract: "GmFlock", abi: gmFlockAbi, eventName: "Locked" },
  unlocked: { contract: "GmFlock", abi: gmFlockAbi, eventName: "Unlocked" },
  taskCreated: { contract: "TaskStaking", abi: taskStakingAbi, eventName: "TaskCreated" },
  taskStatusSet: { contract: "TaskStaking", abi: taskStakingAbi, eventName: "TaskStatusSet" },
  staked: { contract: "TaskStaking", abi: taskStakingAbi, eventName: "Staked" },
  stakeWithdrawn: { contract: "TaskStaking", abi: taskStakingAbi, eventName: "Withdrawn" },
  stakeSeized: { contract: "TaskStaking", abi: taskStakingAbi, eventName: "StakeSeized" },
  sigmaSet: { contract: "DelegationPools", abi: delegationPoolsAbi, eventName: "SigmaSet" },
  delegated: { contract: "DelegationPools", abi: delegationPoolsAbi, eventName: "Delegated" },
  undelegated: { contract: "DelegationPools", abi: delegationPoolsAbi, eventName: "Undelegated" },
  slashed: { contract: "Slashing", abi: slashingAbi, eventName: "Slashed" },
  epochRootPosted: { contract: "RewardDistributor", abi: rewardDistributorAbi, eventName: "EpochRootPosted" },
  claimed: { contract: "RewardDistributor", abi: rewardDistributorAbi, eventName: "Claimed" },
  taskFunded: { contract: "RewardDistributor", abi: rewardDistributorAbi, eventName: "TaskFunded" },
  taskPoolDrawn: { contract: "RewardDistributor", abi: rewardDistributorAbi, eventName: "TaskPoolDrawn" },
  minStakeFloorSet: { contract: "TaskStaking", abi: taskStakingAbi, eventName: "MinStakeFloorSet" },
  emissionMinted: { contract: "Emission", abi: emissionAbi, eventName: "Minted" },
  creditDeposited: { contract: "UsageCredits", abi: usageCreditsAbi, eventName: "CreditDeposited" },
  creditWithdrawalRequested: {
    contract: "UsageCredits",
    abi: usageCreditsAbi,
    eventName: "CreditWithdrawalRequested",
  },
  creditWithdrawn: { contract: "UsageCredits", abi: usageCreditsAbi, eventName: "CreditWithdrawn" },
  usageCharged: { contract: "UsageCredits", abi: usageCreditsAbi, eventName: "UsageCharged" },
  usageCollected: { contract: "UsageCredits", abi: usageCreditsAbi, eventName: "UsageCollected" },
} as const;

type Sources = typeof EVENT_SOURCES;
/** Kinds of events the reader yields. */
export type FlockEventKind = keyof Sources;

type ArgsOf<K extends FlockEventKind> = GetEventArgs<
  Sources[K]["abi"],
  Sources[K]["eventName"] & ContractEventName<Sources[K]["abi"]>,
  { EnableUnion: false; IndexedOnly: false; Required: true }
>;

/** One decoded Flock event, with where it happened. */
export type FlockEvent = {
  [K in FlockEventKind]: {
    kind: K;
    args: ArgsOf<K>;
    contract: ContractName;
    address: Address;
    blockNumber: bigint;
    transactionHash: Hex;
    logIndex: number;
  };
}[FlockEventKind];

export interface ReadEventsParameters {
  fromBlock: bigint;
  /** Last block to read (inclusive); the current head when omitted. */
  toBlock?: bigint;
  /** Only these kinds; all when omitted. */
  kinds?: readonly FlockEventKind[];
  /** Blocks per `eth_getLogs` request; halved automatically when a provider refuses a range. */
  chunkSize?: bigint;
}

const DEFAULT_CHUNK = 2_000n;

/**
 * Yields the Flock events of a block range in chain order (block, then log index), reading it in
 * chunks of `eth_getLogs` so long ranges work on providers that cap the range or the result size.
 * @example for await (const e of readEvents(reader, { fromBlock: 0n })) if (e.kind === "staked") …
 */
export async function* readEvents(
  reader: FlockReader,
  parameters: ReadEventsParameters,
): AsyncGenerator<FlockEvent> {
  const { publicClient, addresses } = reader;
  const kinds = new Set<FlockEventKind>(parameters.kinds ?? (Object.keys(EVENT_SOURCES) as FlockEventKind[]));
  const byAddress = new Map<string, { contract: ContractName; abi: Abi }>();
  const wanted = new Set<string>();
  for (const kind of kinds) {
    const source = EVENT_SOURCES[kind];
    const address = addresses[source.contract].toLowerCase();
    byAddress.set(address, { contract: source.contract, abi: source.abi as Abi });
    wanted.add(`${source.contract}.${source.eventName}`);
  }
  const kindOf = new Map<string, FlockEventKind>(
    (Object.entries(EVENT_SOURCES) as [FlockEventKind, Sources[FlockEventKind]][]).map(([kind, s]) => [
      `${s.contract}.${s.eventName}`,
      kind,
    ]),
  );

  let toBlock: bigint;
  try {
    toBlock = parameters.toBlock ?? (await publicClient.getBlockNumber({ cacheTime: 0 }));
  } catch (error) {
    throw toChainError(error, "read the chain head");
  }
  let chunk = parameters.chunkSize ?? DEFAULT_CHUNK;
  if (chunk < 1n) chunk = 1n;
  let from = parameters.fromBlock;
  while (from <= toBlock) {
    const to = from + chunk - 1n < toBlock ? from + chunk - 1n : toBlock;
    let logs: Log<bigint, number, false>[];
    try {
      logs = await publicClient.getLogs({
        address: [...byAddress.keys()] as Address[],
        fromBlock: from,
        toBlock: to,
      });
    } catch (error) {
      const failure = toChainError(error, `read events of blocks ${from}–${to}`);
      // Providers refuse ranges or result sets above their limits: retry the same start with half the range.
      if (failure.code !== "CHAIN_UNREACHABLE" && chunk > 1n) {
        chunk /= 2n;
        continue;
      }
      throw failure;
    }
    for (const log of logs) {
      const event = decodeFlockLog(log, byAddress, wanted, kindOf);
      if (event !== undefined) yield event;
    }
    from = to + 1n;
  }
}

function decodeFlockLog(
  log: Log<bigint, number, false>,
  byAddress: Map<string, { contract: ContractName; abi: Abi }>,
  wanted: Set<string>,
  kindOf: Map<string, FlockEventKind>,
): FlockEvent | undefined {
  const source = byAddress.get(log.address.toLowerCase());
  if (source === undefined) return undefined;
  let decoded: { eventName: string; args: unknown };
  try {
    decoded = decodeEventLog({ abi: source.abi, data: log.data, topics: log.topics }) as typeof decoded;
  } catch {
    return undefined; // an event of another interface (e.g. from a newer contract version): not ours to index
  }
  const key = `${source.contract}.${decoded.eventName}`;
  const kind = kindOf.get(key);
  if (kind === undefined || !wanted.has(key)) return undefined;
  if (log.blockNumber === null || log.transactionHash === null || log.logIndex === null) {
    throw new ChainError("LOG_PENDING", "the node returned a pending log for a mined block range", {
      hint: "Read only mined blocks (toBlock at or below the head).",
    });
  }
  return {
    kind,
    args: decoded.args,
    contract: source.contract,
    address: log.address,
    blockNumber: log.blockNumber as BlockNumber,
    transactionHash: log.transactionHash,
    logIndex: log.logIndex,
  } as FlockEvent;
}

/** All events of a range as an array (for small ranges and tests). */
export async function collectEvents(
  reader: FlockReader,
  parameters: ReadEventsParameters,
): Promise<FlockEvent[]> {
  const out: FlockEvent[] = [];
  for await (const event of readEvents(reader, parameters)) out.push(event);
  return out;
}
