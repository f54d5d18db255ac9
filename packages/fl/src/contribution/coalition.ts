import { ValidationError } from "@flock/core";

/**
 * A coalition of players 0..n−1 as a bitmask: bit i is set when player i is in. A bigint, so a game may
 * have any number of players; it is also the key under which a utility memoizes v(S).
 */
export type Coalition = bigint;

/** The coalition holding exactly `members` (player indices). */
export function coalitionOf(members: Iterable<number>): Coalition {
  let mask = 0n;
  for (const i of members) mask |= 1n << BigInt(i);
  return mask;
}

/** The grand coalition N = {0, …, n−1}. */
export function grandCoalition(players: number): Coalition {
  return (1n << BigInt(players)) - 1n;
}

/** The player indices of a coalition, ascending. */
export function membersOf(coalition: Coalition, players: number): number[] {
  const members: number[] = [];
  for (let i = 0; i < players; i++) if ((coalition >> BigInt(i)) & 1n) members.push(i);
  return members;
}

/** Throws FL_COALITION_INVALID unless `coalition` only holds players 0..n−1. */
export function assertCoalition(coalition: Coalition, players: number): void {
  if (coalition < 0n || coalition > grandCoalition(players)) {
    throw new ValidationError(
      "FL_COALITION_INVALID",
      `coalition 0x${coalition.toString(16)} names players outside 0..${players - 1}`,
      { hint: "build coalitions with coalitionOf() from the indices of the game's players" },
    );
  }
}
