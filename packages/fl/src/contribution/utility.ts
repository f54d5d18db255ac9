import { ValidationError } from "@flock/core";
import { assertCoalition, type Coalition, membersOf } from "./coalition.ts";

/**
 * A cooperative game's characteristic function v(S) over `players` players (Shapley 1953), memoized by
 * coalition: each distinct coalition is evaluated once, and `evaluations` counts those evaluations (the
 * cost the contribution methods report and minimise).
 */
export interface Utility {
  readonly players: number;
  value(coalition: Coalition): Promise<number>;
  /** Distinct coalitions evaluated so far. */
  readonly evaluations: number;
}

/** How a game values a coalition, given its members' indices ascending. Higher is better. */
export type CoalitionValue = (members: readonly number[]) => Promise<number> | number;

/**
 * A memoized utility from a function of the coalition's members. Concurrent requests for the same coalition
 * share one evaluation. Throws FL_UTILITY_NOT_FINITE when the function returns NaN or ±∞.
 */
export function memoizedUtility(players: number, worth: CoalitionValue): Utility {
  if (!Number.isSafeInteger(players) || players < 1) {
    throw new ValidationError("FL_PLAYERS_INVALID", `a game needs at least one player, got ${players}`, {
      hint: "pass the number of updates whose contributions you want to value",
    });
  }
  const memo = new Map<Coalition, Promise<number>>();
  let evaluations = 0;
  return {
    players,
    get evaluations() {
      return evaluations;
    },
    value(coalition: Coalition): Promise<number> {
      const known = memo.get(coalition);
      if (known) return known;
      assertCoalition(coalition, players);
      evaluations++;
      const members = membersOf(coalition, players);
      const pending = Promise.resolve(worth(members)).then((v) => {
        if (typeof v !== "number" || !Number.isFinite(v)) {
          throw new ValidationError(
            "FL_UTILITY_NOT_FINITE",
            `the utility of coalition {${members.join(", ")}} is ${String(v)}`,
            { hint: "the evaluate function must return a finite metric (e.g. accuracy or −loss)" },
          );
        }
        return v;
      });
      memo.set(coalition, pending);
      return pending;
    },
  };
}
