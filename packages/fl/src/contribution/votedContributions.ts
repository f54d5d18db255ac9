import { ValidationError } from "@flock/core";
import { stakeWeightedMedian } from "@flock/protocol";
import { gtgShapley } from "./gtgShapley.ts";
import { memoizedUtility } from "./utility.ts";

/** Utilities are medians of −loss quantized to integers of 1e-9 (one nano-unit of loss). */
const NANO = 1e9;
/** 1e-9 of the metric in WAD (1e18 = one unit): a value of k nano-units is k · 1e9 WAD. */
const WAD_PER_NANO = 10n ** 9n;
/** GTG-Shapley's truncation thresholds (0.001 of loss, its default) in nano-units. */
const TRUNCATION = 0.001 * NANO;

/** A round's public record under the `contribution` pay rule: what its values are recomputed from. */
export interface VotedRound {
  /** The round's seed (a bytes32 hex block hash): its first 32 bits seed the coalitions and GTG-Shapley. */
  seed: string | null;
  /** The global model the round started from: v(∅). */
  baseModel: string;
  /** The proposers whose update is in the candidate (the game's players, sorted by account). */
  contributors: readonly string[];
  /** Each coalition of contributors with its model's content id. */
  coalitions: readonly { members: readonly string[]; model: string }[];
}

/** The seed of a round's coalitions and permutations: the first 32 bits of its public seed (a block hash). */
export function votedRoundSeed(round: Pick<VotedRound, "seed">): number {
  if (round.seed === null || !/^0x[0-9a-fA-F]{64}$/.test(round.seed)) {
    throw new ValidationError(
      "SEED_MALFORMED",
      `a round's seed must be a bytes32 hex value, got ${round.seed}`,
      {
        hint: "value a round only after its roles were drawn from the block hash",
      },
    );
  }
  return Number.parseInt(round.seed.slice(2, 10), 16);
}

/**
 * The proposers' contribution values of a network round (SPEC §2.2: contribution accounting from the voters'
 * evaluations): per coalition the stake-weighted median (protocol's, κ = ½) over the voters of u = −loss
 * quantized to integers of 1e-9, v(∅) the global model's; GTG-Shapley over that memoized game with the round's
 * seed (truncation at 0.001 of loss); each value rounded to a whole 1e-9 and expressed in WAD (1e18 = one unit
 * of loss). Pure: the coordinator computes it when the round ends, and anyone recomputes it from the round's
 * public record (its coalitions and the voters' revealed evaluations).
 */
export async function votedContributions(
  round: VotedRound,
  reveals: readonly { stake: bigint; evaluations: Readonly<Record<string, number>> }[],
): Promise<{ account: string; valueWad: bigint }[]> {
  const players = [...round.contributors].sort();
  const utilityOf = (model: string): number => {
    const scores = reveals.map((r) => {
      const loss = r.evaluations[model];
      if (typeof loss !== "number" || !Number.isFinite(loss)) {
        throw new ValidationError(
          "FL_EVALUATIONS_INCOMPLETE",
          `a voter revealed no finite loss for ${model}`,
          {
            hint: "value a round only from reveals that evaluate every listed model",
          },
        );
      }
      return { score: BigInt(Math.round(-loss * NANO)), stake: r.stake };
    });
    return Number(stakeWeightedMedian(scores, "higher-is-better"));
  };
  const key = (members: readonly string[]) => [...members].sort().join(",");
  const modelByMembers = new Map(round.coalitions.map((c) => [key(c.members), c.model]));
  const utility = memoizedUtility(players.length, (members) => {
    if (members.length === 0) return utilityOf(round.baseModel);
    const model = modelByMembers.get(key(members.map((i) => players[i]!)));
    if (model === undefined) {
      throw new ValidationError(
        "FL_COALITION_INVALID",
        "GTG-Shapley asked for a coalition the round did not list",
        { hint: "a round's coalitions come from contributionCoalitions with the round's seed" },
      );
    }
    return utilityOf(model);
  });
  const values = await gtgShapley(players, utility, {
    seed: votedRoundSeed(round),
    truncation: { round: TRUNCATION, walk: TRUNCATION },
  });
  return players.map((account, i) => ({
    account,
    valueWad: BigInt(Math.round(values.values[i]!)) * WAD_PER_NANO,
  }));
}
