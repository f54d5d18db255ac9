import {
  decodeStrategyState,
  encodeStrategyState,
  type StatefulStrategy,
  type Strategy,
  statefulPart,
} from "@flock/fl";
import type { AppContext } from "../deps.ts";

/**
 * A server optimizer's state on the network (FedAvgM's momentum, FedAdam's, FedYogi's and FedAdagrad's first
 * and second moments). The rule: the state advances only when a round is accepted.
 * - Each round's training aggregates with a strategy that continues from the state of the last accepted round
 *   before it (fresh before the first), then records the state it reached beside its candidate
 *   (`fl_rounds.server_state`, an artifact of float64 vectors, never served).
 * - A rejected or failed round's state is never continued from: its candidate is dropped and so is the step
 *   it made. This is what Flower does with a round whose `aggregate_train` returns no arrays (its FedOpt
 *   returns before touching m and v); Flower itself has no vote, so every aggregate it makes is kept.
 * - The strategy sees the network's round number: FedAdam's bias correction η·√(1 − β₂^(t+1)) / (1 − β₁^(t+1))
 *   uses it as Flower's server round, so a redone round counts like a Flower round that aggregated nothing.
 * Everything is read from the store, so a restarted coordinator (or a replayed training step) aggregates
 * exactly as an uninterrupted one; the state of round r is a function of the accepted candidates' rounds.
 */

/**
 * Loads into `strategy` the state of the last accepted round before `round`, and returns the part of it that
 * keeps state (undefined for a strategy without server state, which is left as it is).
 */
export async function continueServerState(
  ctx: AppContext,
  strategy: Strategy,
  taskId: number,
  round: number,
): Promise<StatefulStrategy | undefined> {
  const stateful = statefulPart(strategy);
  if (stateful === undefined) return undefined;
  const accepted = await ctx.repos.fl.lastAcceptedRound(taskId, round);
  if (accepted?.serverState != null) {
    stateful.importState(decodeStrategyState(await ctx.artifacts.read(accepted.serverState)));
  }
  return stateful;
}

/** Stores the state `strategy` reached and returns its content id (the same state, the same id). */
export async function storeServerState(ctx: AppContext, strategy: StatefulStrategy): Promise<string> {
  const bytes = encodeStrategyState(strategy.exportState());
  const stored = await ctx.artifacts.put(bytes, { maxBytes: bytes.byteLength });
  await ctx.repos.artifacts.record({
    id: stored.id,
    size: stored.size,
    mediaType: "application/octet-stream",
  });
  return stored.id;
}
