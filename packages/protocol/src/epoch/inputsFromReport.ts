import { ValidationError } from "@flock/core";
import type { ScoreDirection } from "../score.ts";
import type { RevenueModelInput } from "./revenue.ts";
import type { EpochInputs, EpochRevenueInput, ScoreRevealInput } from "./types.ts";

type Json = Record<string, unknown>;

function fail(what: string): never {
  throw new ValidationError("EPOCH_REPORT_MALFORMED", `the epoch report's ${what} is missing or malformed`, {
    hint: "audit the exact bytes the coordinator published (GET /epochs/:n/report); they hash to the on-chain report hash",
  });
}

const big = (value: unknown, what: string): bigint => {
  if (typeof value !== "string" && typeof value !== "number") fail(what);
  try {
    return BigInt(value);
  } catch {
    return fail(what);
  }
};
const text = (value: unknown, what: string): string => (typeof value === "string" ? value : fail(what));
const list = (value: unknown, what: string): Json[] =>
  Array.isArray(value) ? (value as Json[]) : fail(what);
const optional = <T>(value: unknown, read: (v: unknown) => T): T | undefined =>
  value === undefined || value === null ? undefined : read(value);

/**
 * The `computeEpoch` inputs a published report was computed from (its `inputs` section, read back). Canonical
 * JSON writes bigints as decimal strings; amounts are taken as they are, counts and fixed-point values become
 * bigints again, and every optional input (pools, refereed scores, audit fields) comes back only when present,
 * so `computeEpoch(epochInputsFromReport(report))` reproduces the report byte for byte. One reader, used by every
 * auditor (`flock audit`, the dashboard).
 */
export function epochInputsFromReport(report: Json): EpochInputs {
  const inputs = (report.inputs ?? fail("inputs")) as Json;
  const params = (inputs.params ?? fail("params")) as Json;
  return {
    epoch: big(report.epoch, "epoch"),
    emission: text(inputs.emission, "emission"),
    treasury: text(inputs.treasury, "treasury"),
    ...(inputs.flStake == null ? {} : { flStake: text(inputs.flStake, "flStake") }),
    ...(inputs.mintIndex == null ? {} : { mintIndex: text(inputs.mintIndex, "mintIndex") }),
    params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, big(v, `params.${k}`)])),
    tasks: list(inputs.tasks, "tasks").map((t) => ({
      id: text(t.id, "task id"),
      weight: text(t.weight, "task weight"),
      gammaBps: big(t.gammaBps, "task gammaBps"),
      direction: text(t.direction, "task direction") as ScoreDirection,
      ...(t.pool == null ? {} : { pool: text(t.pool, "task pool") }),
      ...(t.creator == null ? {} : { creator: text(t.creator, "task creator") }),
      ...(t.stakeSnapshotBlock == null
        ? {}
        : { stakeSnapshotBlock: text(t.stakeSnapshotBlock, "task stakeSnapshotBlock") }),
      ...(t.drawSeed == null
        ? {}
        : {
            drawSeed: {
              blockNumber: text((t.drawSeed as Json).blockNumber, "drawSeed.blockNumber"),
              blockHash: text((t.drawSeed as Json).blockHash, "drawSeed.blockHash"),
            },
          }),
    })),
    submissions: list(inputs.submissions, "submissions").map((s) => ({
      id: text(s.id, "submission id"),
      task: text(s.task, "submission task"),
      account: text(s.account, "submission account"),
      stake: text(s.stake, "submission stake"),
      ...(s.delegatedStake == null ? {} : { delegatedStake: text(s.delegatedStake, "delegatedStake") }),
      ...(s.sigmaBps == null ? {} : { sigmaBps: big(s.sigmaBps, "sigmaBps") }),
      ...(s.delegators == null
        ? {}
        : {
            delegators: list(s.delegators, "delegators").map((d) => ({
              account: text(d.account, "delegator account"),
              amount: text(d.amount, "delegator amount"),
              seconds: big(d.seconds, "delegator seconds"),
            })),
          }),
      ...(s.refereedScore == null ? {} : { refereedScore: big(s.refereedScore, "refereedScore") }),
    })),
    validators: list(inputs.validators, "validators").map((v) => ({
      account: text(v.account, "validator account"),
      task: text(v.task, "validator task"),
      stake: text(v.stake, "validator stake"),
      completedAssignments: big(v.completedAssignments, "completedAssignments"),
      scores: list(v.scores, "scores").map((s) => ({
        submission: text(s.submission, "score submission"),
        score: big(s.score, "score"),
        ...(s.reveal == null ? {} : { reveal: optional(s.reveal, readReveal) as ScoreRevealInput }),
      })),
    })),
    slashes: list(inputs.slashes ?? [], "slashes").map((s) => ({
      account: text(s.account, "slash account"),
      stake: text(s.stake, "slash stake"),
      fractionBps: big(s.fractionBps, "slash fractionBps"),
      prover: (s.prover as string | null | undefined) ?? null,
      reason: text(s.reason, "slash reason"),
    })),
    ...(inputs.executedSlashes == null
      ? {}
      : {
          executedSlashes: list(inputs.executedSlashes, "executedSlashes").map((s) => ({
            task: text(s.task, "executed slash task"),
            account: text(s.account, "executed slash account"),
            amount: text(s.amount, "executed slash amount"),
            prover: (s.prover as string | null | undefined) ?? null,
            toProver: text(s.toProver, "executed slash toProver"),
            toTreasury: text(s.toTreasury, "executed slash toTreasury"),
            reason: text(s.reason, "executed slash reason"),
            evidence: text(s.evidence, "executed slash evidence"),
            txHash: (s.txHash as string | null | undefined) ?? null,
          })),
        }),
    ...(inputs.flTasks == null
      ? {}
      : {
          flTasks: list(inputs.flTasks, "flTasks").map((t) => ({
            id: text(t.id, "FL task id"),
            stake: text(t.stake, "FL task stake"),
            pool: text(t.pool, "FL task pool"),
            ...(t.creator == null ? {} : { creator: text(t.creator, "FL task creator") }),
            rounds: big(t.rounds, "FL task rounds"),
            slashFractionBps: big(t.slashFractionBps, "FL task slashFractionBps"),
            playedRounds: list(t.playedRounds, "FL task playedRounds").map((r) => ({
              round: big(r.round, "FL round"),
              proposers: list(r.proposers, "FL round proposers").map((p) => ({
                account: text(p.account, "FL proposer account"),
                stake: text(p.stake, "FL proposer stake"),
              })),
              voters: list(r.voters, "FL round voters").map((v) => ({
                account: text(v.account, "FL voter account"),
                stake: text(v.stake, "FL voter stake"),
                vote: big(v.vote, "FL voter vote"),
              })),
              ...(r.seed == null ? {} : { seed: text(r.seed, "FL round seed") }),
              ...(r.contributions == null
                ? {}
                : {
                    contributions: list(r.contributions, "FL round contributions").map((c) => ({
                      account: text(c.account, "FL contribution account"),
                      valueWad: big(c.valueWad, "FL contribution valueWad"),
                    })),
                  }),
            })),
          })),
        }),
    ...(inputs.revenue == null ? {} : { revenue: readRevenueInputs(inputs.revenue as Json) }),
  };
}

/** The report's usage revenue inputs: shares, charges and each model's lineage (pool fields when present). */
function readRevenueInputs(revenue: Json): EpochRevenueInput {
  const shares = (revenue.shares ?? fail("revenue shares")) as Json;
  const pool = (p: Json) => ({
    ...(p.stake == null ? {} : { stake: text(p.stake, "revenue pool stake") }),
    ...(p.sigmaBps == null ? {} : { sigmaBps: big(p.sigmaBps, "revenue pool sigmaBps") }),
    ...(p.delegators == null
      ? {}
      : {
          delegators: list(p.delegators, "revenue pool delegators").map((d) => ({
            account: text(d.account, "revenue delegator account"),
            amount: text(d.amount, "revenue delegator amount"),
            seconds: big(d.seconds, "revenue delegator seconds"),
          })),
        }),
  });
  const weighted = (value: unknown, what: string) =>
    list(value ?? [], what).map((e) => ({
      account: text(e.account, `${what} account`),
      weight: text(e.weight, `${what} weight`),
    }));
  return {
    shares: Object.fromEntries(Object.entries(shares).map(([k, v]) => [k, big(v, `revenue shares.${k}`)])),
    charges: list(revenue.charges, "revenue charges").map((c) => ({
      account: text(c.account, "charge account"),
      amount: text(c.amount, "charge amount"),
    })),
    models: list(revenue.models, "revenue models").map(
      (m): RevenueModelInput => ({
        model: text(m.model, "revenue model"),
        revenue: text(m.revenue, "model revenue"),
        trainers: list(m.trainers ?? [], "revenue trainers").map((t) => ({
          account: text(t.account, "revenue trainer account"),
          weight: text(t.weight, "revenue trainer weight"),
          ...pool(t),
        })),
        validators: weighted(m.validators, "revenue validator"),
        flContributors: list(m.flContributors ?? [], "revenue FL contributors").map((c) => ({
          account: text(c.account, "revenue FL contributor account"),
          ...(c.value == null ? {} : { value: big(c.value, "revenue FL contribution value") }),
          ...pool(c),
        })),
        dataMiners: weighted(m.dataMiners, "revenue data miner"),
      }),
    ),
  };
}

function readReveal(value: unknown): ScoreRevealInput {
  const r = value as Json;
  return {
    address: text(r.address, "reveal address"),
    timestamp: text(r.timestamp, "reveal timestamp"),
    nonce: text(r.nonce, "reveal nonce"),
    signature: text(r.signature, "reveal signature"),
    method: text(r.method, "reveal method"),
    path: text(r.path, "reveal path"),
    body: text(r.body, "reveal body"),
  };
}
