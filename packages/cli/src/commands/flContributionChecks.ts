import { contributionCoalitions, membersOf, votedContributions, votedRoundSeed } from "@flock/fl";
import type { EpochFlTaskInput } from "@flock/protocol";
import type { FlRound } from "@flock/sdk";
import type { AuditCheck } from "./auditInputs.ts";

const line = (values: readonly { account: string; valueWad: bigint | string }[]) =>
  [...values]
    .map((v) => `${v.account.toLowerCase()}:${v.valueWad}`)
    .sort()
    .join(" ");

/**
 * The audit's checks of the contribution pay rule (SPEC §2.2): for every round of the report's FL tasks that pays
 * by contribution, the coordinator's published round (`GET /fl/tasks/:id/rounds/:round`) must list the coalitions
 * the round's seed fixes, and its values — recomputed with `votedContributions` from the coalitions and the
 * voters' revealed evaluations — must be the ones the report paid by. No checks for stake-rule rounds.
 */
export async function flContributionChecks(input: {
  flTasks: readonly Pick<EpochFlTaskInput, "id" | "playedRounds">[];
  round: (taskId: number, round: number) => Promise<FlRound>;
}): Promise<AuditCheck[]> {
  const checks: AuditCheck[] = [];
  for (const task of input.flTasks) {
    for (const played of task.playedRounds) {
      if (played.contributions === undefined) continue;
      const name = `FL task ${task.id} round ${played.round}`;
      const round = await input.round(Number(task.id), Number(played.round));
      const players = [...round.contributors].sort();
      const fixed = contributionCoalitions(players.length, { seed: votedRoundSeed(round) }).map((c) =>
        membersOf(c, players.length)
          .map((i) => players[i]!)
          .join(","),
      );
      const listed = (round.coalitions ?? []).map((c) => [...c.members].sort().join(","));
      checks.push({
        check: `${name}: its coalitions are the ones its seed fixes`,
        ok: [...fixed].sort().join(" ") === [...listed].sort().join(" "),
        expected: `${fixed.length} coalitions`,
        actual: `${listed.length} coalitions${listed.length === fixed.length ? " (other members)" : ""}`,
      });
      const reveals = round.voters
        .filter((v) => v.vote !== null && v.evaluations !== undefined)
        .map((v) => ({ stake: v.stake, evaluations: v.evaluations! }));
      let actual: string;
      try {
        actual = line(
          await votedContributions(
            {
              seed: round.seed,
              baseModel: round.baseModel,
              contributors: round.contributors,
              coalitions: round.coalitions ?? [],
            },
            reveals,
          ),
        );
      } catch (error) {
        actual = `not recomputable: ${(error as Error).message}`;
      }
      const expected = line(played.contributions);
      checks.push({
        check: `${name}: contribution values recompute from the revealed evaluations`,
        ok: expected === actual,
        expected,
        actual,
      });
    }
  }
  return checks;
}
