import { ProtocolError, ValidationError } from "@flock/core";
import { drawWithoutReplacement } from "./seededDraw.ts";
import { assertUnique, normalizeAccount, readAmount, readBps, readCount } from "./validate.ts";

/** A participant of an FL round with its stake on the task (gmFLOCK base units, > 0). */
export interface FlRoleParticipant {
  account: string;
  stake: bigint;
}

/** Everything the role split depends on: given the same values, anyone re-runs it and gets the same roles. */
export interface FlRolesInput {
  participants: readonly FlRoleParticipant[];
  /** Public randomness: the hash of the first block after the round starts (0x + 64 hex digits). */
  seed: string;
  /** The round number (≥ 0); a redone round is a new round number, so it gets fresh roles. */
  round: number | bigint;
  /** Share of the participants made proposers, in bps (at least one proposer and one voter either way). */
  proposerFractionBps: number | bigint;
}

/** The roles of one FL round, each list sorted by account (ready for `flRoundOutcome`). */
export interface FlRoles {
  proposers: FlRoleParticipant[];
  voters: FlRoleParticipant[];
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/**
 * How many of n participants propose: max(1, ⌊n · bps / 10 000⌋), capped at n − 1 so someone votes.
 * Throws TOO_FEW_PARTICIPANTS below n = 2.
 */
export function flProposerCount(n: number, proposerFractionBps: number | bigint): number {
  if (!Number.isSafeInteger(n) || n < 2) {
    throw new ProtocolError(
      "TOO_FEW_PARTICIPANTS",
      `an FL round needs at least 2 participants (one proposer, one voter), got ${n}`,
      { hint: "wait for more participants to join before starting the round" },
    );
  }
  const bps = readBps(proposerFractionBps, "proposerFractionBps");
  const wanted = Number((BigInt(n) * bps) / 10_000n);
  return Math.min(n - 1, Math.max(1, wanted));
}

/**
 * SPEC §2.2 [FLock]: split a round's participants at random, stake-weighted, into proposers and voters.
 * Proposers are drawn without replacement, each draw picking participant i among those left with
 * probability stake_i / Σ stake (the same seeded draw as `drawValidators`, domain `flock-fl-roles`);
 * everyone not drawn votes. The seed is public (the hash of the first block after the round starts), so
 * anyone holding it and the frozen stakes recomputes the split.
 *
 * Weights are linear in stake, unlike the validator draw's √stake: the SPEC asks for a stake-weighted
 * split here, splitting one stake over several accounts then gains nothing in a draw (√ weights would
 * reward that Sybil split by √k), and the round's tally and pay are linear in stake too.
 *
 * Participants are sorted by account first, so their order never matters. Refuses fewer than two
 * participants, a duplicate account and a zero stake.
 */
export function flRoles(input: FlRolesInput): FlRoles {
  const seed = readSeed(input.seed);
  const round = readCount(input.round, "round");
  const participants = input.participants
    .map((p, i) => ({
      account: normalizeAccount(p.account, `participants[${i}].account`),
      stake: readAmount(p.stake, `participants[${i}].stake`),
    }))
    .sort(byAccount);
  assertUnique(
    participants.map((p) => p.account),
    "FL participant",
  );
  const unstaked = participants.find((p) => p.stake === 0n);
  if (unstaked) {
    throw new ValidationError("ZERO_STAKE_PARTICIPANT", `FL participant ${unstaked.account} has no stake`, {
      hint: "leave participants without stake out of the round; joining an FL task requires stake",
      details: { account: unstaked.account },
    });
  }
  const count = flProposerCount(participants.length, input.proposerFractionBps);
  const drawn = drawWithoutReplacement(
    participants.map((p) => ({ ...p, weight: p.stake })),
    count,
    (index) => `flock-fl-roles:${seed}:${round}:${index}`,
  );
  const isProposer = new Set(drawn.map((p) => p.account));
  return {
    proposers: participants.filter((p) => isProposer.has(p.account)),
    voters: participants.filter((p) => !isProposer.has(p.account)),
  };
}

function readSeed(value: unknown): string {
  if (typeof value !== "string" || !BYTES32.test(value)) {
    throw new ValidationError("SEED_MALFORMED", `seed ${JSON.stringify(value)} is not a bytes32 hex value`, {
      hint: "pass the block hash as 0x followed by 64 hex digits",
    });
  }
  return value.toLowerCase();
}

function byAccount(a: { account: string }, b: { account: string }): number {
  return a.account < b.account ? -1 : a.account > b.account ? 1 : 0;
}
