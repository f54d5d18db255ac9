import type { FlockEvent as ChainEvent, FlockEventKind } from "@flock/chain";
import { withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";

/** The chain cursor this indexer advances (its own: it started after the stake indexer's). */
export const CHAIN_FACTS_CURSOR = "chain-facts";

const KINDS: readonly FlockEventKind[] = ["sigmaSet", "slashed"];

/** Index the facts settlement reads (pools' σ, executed slashes) from the chain into the store. */
export interface ChainFactIndexer {
  /** Read new events up to the head; returns how many were applied. Concurrent calls share one run. */
  sync(): Promise<number>;
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
