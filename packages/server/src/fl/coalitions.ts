import { ValidationError } from "@flock/core";
import {
  type Arrays,
  contributionCoalitions,
  decodeBody,
  fedAvgCoalitionModel,
  flEvaluationsText,
  flVoteCommitment,
  membersOf,
  type Update,
  votedRoundSeed,
} from "@flock/fl";
import type { FlMessageRecord, FlRoundRecord } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { readArrays, storeArrays } from "./flArrays.ts";
import type { StoredReply } from "./networkGrid.ts";

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
  for (const coalition of contributionCoalitions(players.length, { seed: votedRoundSeed(round) })) {
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
