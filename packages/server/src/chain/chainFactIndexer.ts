import type { FlockEvent as ChainEvent, FlockEventKind } from "@flock/chain";
import { withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";

/** The chain cursor this indexer advances (its own: it started after the stake indexer's). */
export const CHAIN_FACTS_CURSOR = "chain-facts";

const KINDS: readonly FlockEventKind[] = [
  "sigmaSet",
  "slashed",
  "creditDeposited",
  "creditWithdrawalRequested",
  "creditWithdrawn",
  "usageCharged",
];

/**
 * Index the facts settlement and metering read from the chain into the store: pools' σ, executed slashes, and each
 * account's usage credit (UsageCredits deposits, withdrawal requests, withdrawals and collected charges).
 */
export interface ChainFactIndexer {
  /** Read new events up to the head; returns how many were applied. Concurrent calls share one run. */
  sync(): Promise<number>;
}

const shared = new WeakMap<object, ChainFactIndexer>();

/**
 * The one fact indexer of an app context (its repositories), so the periodic sync, settlement and credit reads
 * share a run instead of reading the same blocks side by side.
 */
export function chainFactIndexerOf(ctx: Pick<AppContext, "db" | "repos" | "chain">): ChainFactIndexer {
  let indexer = shared.get(ctx.repos);
  if (indexer === undefined) {
    indexer = createChainFactIndexer(ctx);
    shared.set(ctx.repos, indexer);
  }
  return indexer;
}

export function createChainFactIndexer(ctx: Pick<AppContext, "db" | "repos" | "chain">): ChainFactIndexer {
  let running: Promise<number> | undefined;

  async function syncOnce(): Promise<number> {
    const cursor = await ctx.repos.chainCursors.get(CHAIN_FACTS_CURSOR);
    const fromBlock = cursor === undefined ? ctx.chain.startBlock : BigInt(cursor) + 1n;
    const toBlock = await ctx.chain.headBlock();
    if (fromBlock > toBlock) return 0;
    const events: ChainEvent[] = [];
    for await (const event of ctx.chain.readEvents({ fromBlock, toBlock, kinds: KINDS })) events.push(event);
    await withTransaction(ctx.db, async (tx) => {
      for (const event of events) {
        const position = { blockNumber: Number(event.blockNumber), logIndex: event.logIndex };
        if (event.kind === "sigmaSet") {
          await tx.chainFacts.applySigma({
            participant: event.args.participant,
            sigmaBps: event.args.sigmaBps,
            ...position,
          });
        } else if (event.kind === "creditDeposited") {
          await tx.credits.apply({
            kind: "deposited",
            account: event.args.account,
            amount: event.args.amount,
            ...position,
          });
        } else if (event.kind === "creditWithdrawalRequested") {
          const { account, amount, availableAt } = event.args;
          await tx.credits.apply({
            kind: "withdrawalRequested",
            account,
            amount,
            availableAt: amount === 0n ? null : new Date(Number(availableAt) * 1000),
            ...position,
          });
        } else if (event.kind === "creditWithdrawn") {
          await tx.credits.apply({
            kind: "withdrawn",
            account: event.args.account,
            amount: event.args.amount,
            ...position,
          });
        } else if (event.kind === "usageCharged") {
          await tx.credits.apply({
            kind: "charged",
            account: event.args.account,
            amount: event.args.amount,
            ...position,
          });
        } else if (event.kind === "slashed") {
          await tx.chainFacts.recordSlash({
            evidenceHash: event.args.evidenceHash,
            taskId: Number(event.args.taskId),
            account: event.args.account,
            prover: event.args.prover,
            fractionBps: event.args.fractionBps,
            amount: event.args.amount,
            proverShare: event.args.proverShare,
            treasuryShare: event.args.treasuryShare,
            txHash: event.transactionHash,
            ...position,
          });
        }
      }
      await tx.chainCursors.advance(CHAIN_FACTS_CURSOR, Number(toBlock));
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
