import type { FlockEvent as ChainEvent, FlockEventKind } from "@flock/chain";
import { type Repositories, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";

/** The chain cursor this indexer advances. */
export const STAKE_CURSOR = "stakes";

const KINDS: readonly FlockEventKind[] = [
  "staked",
  "stakeWithdrawn",
  "stakeSeized",
  "delegated",
  "undelegated",
];

/** TaskStaking's `Role` enum (none = 0): the role byte in `Staked` events. */
function roleOf(role: number): "trainer" | "validator" {
  if (role === 1) return "trainer";
  if (role === 2) return "validator";
  throw new Error(`TaskStaking emitted unknown role ${role}`);
}

/** Index stakes and delegations from the chain into the store, from the cursor to `toBlock` (the head). */
export interface StakeIndexer {
  /** Read new events up to the head; returns how many were applied. Concurrent calls share one run. */
  sync(): Promise<number>;
}

export function createStakeIndexer(ctx: Pick<AppContext, "db" | "repos" | "chain" | "logger">): StakeIndexer {
  let running: Promise<number> | undefined;

  async function apply(tx: Repositories, event: ChainEvent, blockTime: (block: bigint) => Promise<Date>) {
    const position = { blockNumber: Number(event.blockNumber), logIndex: event.logIndex };
    switch (event.kind) {
      case "staked":
        await tx.stakes.applyEvent({
          taskId: Number(event.args.taskId),
          account: event.args.account,
          role: roleOf(event.args.role),
          amount: event.args.totalStake,
          ...position,
        });
        return;
      case "stakeWithdrawn":
      case "stakeSeized": {
        const taskId = Number(event.args.taskId);
        const current = await tx.stakes.get(taskId, event.args.account);
        if (current === undefined) {
          ctx.logger.warn(
            { taskId, account: event.args.account, kind: event.kind },
            "event for an unknown stake",
          );
          return;
        }
        const amount = event.kind === "stakeSeized" ? event.args.remainingStake : 0n;
        await tx.stakes.applyEvent({
          taskId,
          account: current.account,
          role: current.role,
          amount,
          ...position,
        });
        return;
      }
      case "delegated":
      case "undelegated":
        await tx.delegations.applyEvent({
          pool: event.args.participant,
          delegator: event.args.delegator,
          amount: event.args.delegation,
          at: await blockTime(event.blockNumber),
          ...position,
        });
        return;
      default:
        return;
    }
  }

  async function syncOnce(): Promise<number> {
    const cursor = await ctx.repos.chainCursors.get(STAKE_CURSOR);
    const fromBlock = cursor === undefined ? ctx.chain.startBlock : BigInt(cursor) + 1n;
    const toBlock = await ctx.chain.headBlock();
    if (fromBlock > toBlock) return 0;
    const events: ChainEvent[] = [];
    for await (const event of ctx.chain.readEvents({ fromBlock, toBlock, kinds: KINDS })) events.push(event);
    // Block times are read before the transaction: no network calls while PGlite's one connection is held.
    const times = new Map<bigint, Date>();
    for (const event of events) {
      if ((event.kind === "delegated" || event.kind === "undelegated") && !times.has(event.blockNumber)) {
        times.set(event.blockNumber, await ctx.chain.blockTime(event.blockNumber));
      }
    }
    await withTransaction(ctx.db, async (tx) => {
      for (const event of events) await apply(tx, event, async (block) => times.get(block)!);
      await tx.chainCursors.advance(STAKE_CURSOR, Number(toBlock));
    });
    return events.length;
  }

  return {
    sync() {
      running ??= syncOnce().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}
