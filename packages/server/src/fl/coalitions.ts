import { ValidationError } from "@flock/core";
import {
  type Arrays,
  contributionCoalitions,
  decodeBody,
  fedAvgCoalitionModel,
  flEvaluationsText,
  flVoteCommitment,
  gtgShapley,
  membersOf,
  memoizedUtility,
  type Update,
} from "@flock/fl";
import { stakeWeightedMedian } from "@flock/protocol";
import type { FlMessageRecord, FlRoundRecord } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { readArrays, storeArrays } from "./flArrays.ts";
import type { StoredReply } from "./networkGrid.ts";

/** Utilities are medians of −loss quantized to integers of 1e-9 (one nano-unit of loss). */
const NANO = 1e9;
/** 1e-9 of the metric in WAD (1e18 = one unit): a value of k nano-units is k · 1e9 WAD. */
const WAD_PER_NANO = 10n ** 9n;
/** GTG-Shapley's truncation thresholds (0.001 of loss, its default) in nano-units. */
const TRUNCATION = 0.001 * NANO;

/** The seed of a round's coalitions and permutations: the first 32 bits of its public seed (a block hash). */
export function coalitionSeed(round: Pick<FlRoundRecord, "seed">): number {
  return Number.parseInt(round.seed!.slice(2, 10), 16);
}

/**
 * The coalitions a `contribution` round's voters evaluate (SPEC §2.2: contribution accounting from the voters'
 * evaluations), fixed before the vote from the round's seed: every non-empty coalition of the contributors
 * (sorted by account) when there are at most six, otherwise every prefix of the permutations GTG-Shapley walks
 * under that seed (`contributionCoalitions`). Each coalition's model is the FedAvg aggregate — the
 * sample-weighted mean — of its members' updates as they were received, stored content-addressed. Recomputed
 * from the stored replies, so a coordinator restarting mid-way builds the same models.
 */
export async function buildCoalitions(
  ctx: AppContext,
  round: FlRoundRecord,
): Promise<FlRoundRecord["coalitions"]> {
  const players = [...round.contributors].sort();
  const replies = new Map(
    (await ctx.repos.fl.stageMessages(round.taskId, round.round, "train")).map((m) => [m.node, m]),
  );
  const updates: Update[] = [];
  for (const account of players) {
    const stored = replies.get(account)?.reply as StoredReply | null | undefined;
    if (stored?.update === undefined) {
      throw new ValidationError("FL_REPLY_MISMATCH", `contributor ${account} has no stored update`, {
        hint: "a contribution round values only the updates in its candidate",
        details: { taskId: round.taskId, round: round.round, account },
      });
    }
    updates.push({
      arrays: await readArrays(ctx, stored.update.arraysId),
      numExamples: stored.update.numExamples,
      metrics: stored.update.metrics,
    });
  }
  const start: Arrays = await readArrays(ctx, round.baseModel);
  const modelOf = fedAvgCoalitionModel({ start, updates });
  const out: FlRoundRecord["coalitions"] = [];
  for (const coalition of contributionCoalitions(players.length, { seed: coalitionSeed(round) })) {
    const members = membersOf(coalition, players.length);
    out.push({ members: members.map((i) => players[i]!), model: await storeArrays(ctx, modelOf(members)) });
  }
  return out;
}

/** The models a voter of a contribution round evaluates: the global model, then each coalition's (distinct). */
export function modelsToEvaluate(round: Pick<FlRoundRecord, "baseModel" | "coalitions">): string[] {
  return [...new Set([round.baseModel, ...round.coalitions.map((c) => c.model)])];
}

/** A reveal that opened its commitment. */
export interface OpenedReveal {
  vote: 1 | -1;
  salt: string;
  metrics: Record<string, number>;
  evaluations?: Record<string, number>;
}

/**
 * Open a voter's reveal against its commitment. In a contribution round (its coalitions listed) the reveal must
 * carry a finite loss for exactly the listed models (FL_EVALUATIONS_INCOMPLETE), and the commitment covers vote,
 * salt and evaluations (FL_REVEAL_MISMATCH when they do not hash to it). Used by the reply route, which refuses
 * such a reveal over HTTP, and by the coordinator when it counts the reveals.
 */
export function openReveal(
  round: Pick<FlRoundRecord, "taskId" | "round" | "baseModel" | "coalitions">,
  voter: string,
  commitment: string,
  body: Record<string, unknown>,
): OpenedReveal {
  const { vote, salt, metrics, evaluations } = body as {
    vote?: unknown;
    salt?: unknown;
    metrics?: unknown;
    evaluations?: unknown;
  };
  const where = { taskId: round.taskId, round: round.round, voter };
  if ((vote !== 1 && vote !== -1) || typeof salt !== "string") {
    throw new ValidationError("FL_REVEAL_MISMATCH", "a reveal carries the vote (+1 / −1) and its salt", {
      hint: "reveal the vote and salt you committed to",
      details: where,
    });
  }
  let listed: Record<string, number> | undefined;
  if (round.coalitions.length > 0) {
    const expected = modelsToEvaluate(round);
    const given = evaluations !== null && typeof evaluations === "object" ? evaluations : {};
    const missing = expected.filter((id) => !Object.hasOwn(given, id));
    const extra = Object.keys(given).filter((id) => !expected.includes(id));
    if (missing.length > 0 || extra.length > 0) {
      throw new ValidationError(
        "FL_EVALUATIONS_INCOMPLETE",
        `a contribution round's reveal evaluates exactly its ${expected.length} models: ${missing.length} missing, ${extra.length} not listed`,
        {
          hint: "evaluate the global model and every coalition model the vote-commit message listed, and reveal each loss",
          details: { ...where, missing: missing.slice(0, 8), extra: extra.slice(0, 8) },
        },
      );
    }
    listed = given as Record<string, number>;
    flEvaluationsText(listed); // FL_EVALUATION_INVALID on a value that is not a finite number
  }
  let opened = false;
  try {
    opened =
      flVoteCommitment({
        taskId: round.taskId,
        round: round.round,
        voter,
        vote,
        salt,
        ...(listed === undefined ? {} : { evaluations: listed }),
      }) === commitment;
  } catch {
    opened = false;
  }
  if (!opened) {
    throw new ValidationError(
      "FL_REVEAL_MISMATCH",
      listed === undefined
        ? "the vote and salt do not open the commitment"
        : "the vote, salt and evaluations do not open the commitment",
      {
        hint: "reveal exactly what you committed to: the vote, its salt and every evaluation as committed",
        details: where,
      },
    );
  }
  return {
    vote,
    salt,
    metrics: numericMetrics(metrics),
    ...(listed === undefined ? {} : { evaluations: listed }),
  };
}

/** The commitment a voter's vote-commit reply carried, if well formed. */
export function commitmentOf(message: Pick<FlMessageRecord, "reply">): string | undefined {
  const commitment = (message.reply as { body?: { commitment?: unknown } } | null)?.body?.commitment;
  return typeof commitment === "string" && /^0x[0-9a-f]{64}$/.test(commitment) ? commitment : undefined;
}

/**
 * The proposers' contribution values of a round (SPEC §2.2), from the revealed evaluations: per coalition the
 * stake-weighted median (protocol's, κ = ½) over the voters of u = −loss quantized to integers of 1e-9; v(∅) is
 * the global model's; GTG-Shapley over that memoized game with the round's seed (truncation 0.001 of loss);
 * each value rounded to a whole nano-unit and expressed in WAD (1e18 = one unit of loss).
 */
export async function roundContributions(
  round: Pick<FlRoundRecord, "seed" | "baseModel" | "coalitions" | "contributors">,
  reveals: readonly { stake: bigint; evaluations: Readonly<Record<string, number>> }[],
): Promise<{ account: string; valueWad: bigint }[]> {
  const players = [...round.contributors].sort();
  const utilityOf = (model: string): number => {
    const median = stakeWeightedMedian(
      reveals.map((r) => ({ score: BigInt(Math.round(-r.evaluations[model]! * NANO)), stake: r.stake })),
      "higher-is-better",
    );
    return Number(median);
  };
  const modelByMembers = new Map(round.coalitions.map((c) => [[...c.members].sort().join(","), c.model]));
  const utility = memoizedUtility(players.length, (members) => {
    if (members.length === 0) return utilityOf(round.baseModel);
    const model = modelByMembers.get(members.map((i) => players[i]!).join(","));
    if (model === undefined) {
      throw new ValidationError(
        "FL_COALITION_INVALID",
        "GTG-Shapley asked for a coalition the round did not list",
        {
          hint: "the round's coalitions must come from contributionCoalitions with the round's seed",
        },
      );
    }
    return utilityOf(model);
  });
  const values = await gtgShapley(players, utility, {
    seed: coalitionSeed(round),
    truncation: { round: TRUNCATION, walk: TRUNCATION },
  });
  return players.map((account, i) => ({
    account,
    valueWad: BigInt(Math.round(values.values[i]!)) * WAD_PER_NANO,
  }));
}

function numericMetrics(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (value === null || typeof value !== "object") return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
  return out;
}

/**
 * The reply route's check of a reveal in a contribution round: refused over HTTP (FL_EVALUATIONS_INCOMPLETE,
 * FL_REVEAL_MISMATCH, FL_EVALUATION_INVALID) and not recorded when it does not open the voter's commitment with
 * every listed evaluation. A stake-rule round's reveal is recorded as sent and judged when the round counts it.
 */
export async function checkReveal(
  ctx: AppContext,
  message: Pick<FlMessageRecord, "taskId" | "round" | "stage" | "node">,
  body: Record<string, unknown>,
): Promise<void> {
  if (message.stage !== "vote-reveal") return;
  const round = await ctx.repos.fl.findRound(message.taskId, message.round);
  if (round === undefined || round.coalitions.length === 0) return;
  const commit = (await ctx.repos.fl.stageMessages(message.taskId, message.round, "vote-commit")).find(
    (m) => m.node === message.node,
  );
  const commitment = commit === undefined ? undefined : commitmentOf(commit);
  if (commitment === undefined) {
    throw new ValidationError("FL_REVEAL_MISMATCH", "this voter committed to no vote in the round", {
      hint: "a reveal opens the commitment sent at vote-commit",
      details: { taskId: message.taskId, round: message.round, voter: message.node },
    });
  }
  openReveal(round, message.node, commitment, decodeBody(body));
}
