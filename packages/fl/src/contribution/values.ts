import { ValidationError } from "@flock/core";
import type { Utility } from "./utility.ts";

/** Contribution values of a game's players and what computing them cost. */
export interface ContributionValues {
  /** The players' ids, in the utility's player order. */
  readonly players: readonly string[];
  /** The value of each player, aligned with `players` (in the utility's units, e.g. accuracy points). */
  readonly values: readonly number[];
  /** Distinct coalitions this computation evaluated (memoized ones evaluated earlier are not counted). */
  readonly evaluations: number;
  /** v(N): the utility of all the players together. */
  readonly grand: number;
  /** v(∅): the utility of none of them (the round's starting model). */
  readonly empty: number;
}

/** Throws FL_PLAYERS_MISMATCH unless there is one distinct player id per player of the utility. */
export function assertPlayers(players: readonly string[], utility: Utility): void {
  if (players.length !== utility.players) {
    throw new ValidationError(
      "FL_PLAYERS_MISMATCH",
      `${players.length} player ids for a game of ${utility.players} players`,
      { hint: "pass one id per update, in the order the utility was built from" },
    );
  }
  if (new Set(players).size !== players.length) {
    throw new ValidationError("FL_PLAYERS_MISMATCH", "a player id appears more than once", {
      hint: "each update must come from a distinct node",
    });
  }
}
