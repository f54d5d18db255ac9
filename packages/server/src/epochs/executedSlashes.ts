import { contentIdToBytes32 } from "@flock/core";
import type { ExecutedSlashInput } from "@flock/protocol";
import { PROVER_SHARE_BPS } from "@flock/protocol";
import type { ChainSlash, Slash } from "@flock/store";

/** The on-chain evidence hash of a slash: the sha256 of its evidence record, as bytes32. */
export function evidenceHashOf(evidenceId: string): `0x${string}` {
  return contentIdToBytes32(evidenceId);
}

/**
 * The task's recorded slashes as the epoch's executed slashes (SPEC §3: the report lists every slash). Each
 * was executed on-chain when proven; its Slashed event (indexed in the store, found by evidence hash) gives
 * the exact prover, parts and transaction. Without one (a chain that keeps no events) the record is listed as stored, with the
 * contract's rule for the parts (floor(amount · 1000 / 10000) to a prover) and no transaction hash.
 */
export function executedSlashesOf(
  taskKey: string,
  slashes: readonly Slash[],
  slashedOnChain: ReadonlyMap<string, ChainSlash>,
): ExecutedSlashInput[] {
  return slashes.map((slash) => {
    const event = slashedOnChain.get(evidenceHashOf(slash.evidenceId));
    const common = {
      task: taskKey,
      account: slash.account,
      reason: slash.reason,
      evidence: slash.evidenceId,
    };
    if (event !== undefined) {
      return {
        ...common,
        amount: event.amount,
        prover: event.prover,
        toProver: event.proverShare,
        toTreasury: event.treasuryShare,
        txHash: event.txHash,
      };
    }
    const toProver = slash.prover === null ? 0n : (slash.amount * PROVER_SHARE_BPS) / 10_000n;
    return {
      ...common,
      amount: slash.amount,
      prover: slash.prover,
      toProver,
      toTreasury: slash.amount - toProver,
      txHash: null,
    };
  });
}
