import { BPS, ProtocolError, parseContentId, ValidationError } from "@flock/core";
import { PROVER_SHARE_BPS } from "../slashing.ts";
import { assertUnique, normalizeAccount, readAmount } from "../validate.ts";
import type { EpochExecutedSlash, ExecutedSlashInput } from "./types.ts";

const TX_HASH = /^0x[0-9a-fA-F]{64}$/;

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function slashError(code: string, message: string, hint: string, details: Record<string, unknown>) {
  return new ProtocolError(code, message, { hint, details });
}

/**
 * Validate the slashes executed on-chain before settlement, by the Slashing contract's rule (SPEC §3:
 * 10% to whoever proved it, 90% to the treasury):
 *   toProver = floor(amount · 1000 / 10000) when a prover was paid, 0 when none was;
 *   toProver + toTreasury = amount.
 * Each evidence slashes once on-chain, so an evidence id appears once. Sorted by evidence id.
 */
export function readExecutedSlashes(
  raw: readonly ExecutedSlashInput[],
  requireTask: (task: unknown, name: string) => string,
): EpochExecutedSlash[] {
  const slashes = raw.map((s, i): EpochExecutedSlash => {
    const name = `executedSlashes[${i}]`;
    const account = normalizeAccount(s.account, `${name}.account`);
    const prover =
      s.prover === null || s.prover === undefined ? null : normalizeAccount(s.prover, `${name}.prover`);
    const amount = readAmount(s.amount, `${name}.amount`);
    const toProver = readAmount(s.toProver, `${name}.toProver`);
    const toTreasury = readAmount(s.toTreasury, `${name}.toTreasury`);
    const evidence = parseContentId(s.evidence);
    const details = { index: i, account, evidence };
    if (prover === account) {
      throw slashError(
        "SELF_PROOF",
        `${name}: ${account} was paid for proving its own fault`,
        "a slash's prover must be another account (or none); check who asked for the proof",
        details,
      );
    }
    if (typeof s.reason !== "string" || s.reason.length === 0) {
      throw new ValidationError("SLASH_REASON_MISSING", `${name} has no reason`, {
        hint: 'say which fault was proven, e.g. "copied submission" or "dishonest score"',
      });
    }
    if (amount === 0n) {
      throw slashError(
        "EXECUTED_SLASH_EMPTY",
        `${name} slashed nothing`,
        "the contract refuses a slash that takes nothing (NothingToSlash); leave it out",
        details,
      );
    }
    // Slashing.proverShareOf: floor(amount · PROVER_SHARE_BPS / BPS)
    const expectedToProver = prover === null ? 0n : (amount * PROVER_SHARE_BPS) / BPS;
    if (toProver !== expectedToProver) {
      throw slashError(
        "EXECUTED_SLASH_PROVER_SHARE",
        `${name}: the prover's part is ${toProver}, but the rule gives ${expectedToProver} of ${amount}`,
        "the prover gets floor(amount · 1000 / 10000) (nothing without a prover): copy the parts from the Slashed event",
        { ...details, toProver: String(toProver), expected: String(expectedToProver) },
      );
    }
    if (toProver + toTreasury !== amount) {
      throw slashError(
        "EXECUTED_SLASH_PARTS",
        `${name}: parts ${toProver} + ${toTreasury} do not sum to the slashed ${amount}`,
        "the treasury's part is the slashed amount minus the prover's part",
        { ...details, amount: String(amount), toTreasury: String(toTreasury) },
      );
    }
    let txHash: `0x${string}` | null = null;
    if (s.txHash !== undefined && s.txHash !== null) {
      if (typeof s.txHash !== "string" || !TX_HASH.test(s.txHash)) {
        throw new ValidationError(
          "TX_HASH_MALFORMED",
          `${name}.txHash ${JSON.stringify(s.txHash)} is not a tx hash`,
          {
            hint: "give the slash transaction's hash as 0x followed by 64 hex digits, or null when unknown",
          },
        );
      }
      txHash = s.txHash.toLowerCase() as `0x${string}`;
    }
    return {
      task: requireTask(s.task, `${name}.task`),
      account,
      amount,
      prover,
      toProver,
      toTreasury,
      reason: s.reason,
      evidence,
      txHash,
    };
  });
  slashes.sort((a, b) => compare(a.evidence, b.evidence));
  assertUnique(
    slashes.map((s) => s.evidence),
    "executed slash evidence",
  );
  return slashes;
}
