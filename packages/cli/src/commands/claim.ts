import { claimRewards } from "@flock/chain";
import { FlockError, formatFlock, NotFoundError } from "@flock/core";
import type { CommandContext } from "../context.ts";
import { participant } from "../network/participant.ts";
import { table } from "../output.ts";
import { parseInteger } from "./wallet.ts";

export interface ClaimLine {
  epoch: number;
  tree: "liquid" | "vesting";
  amount: bigint;
  paid?: bigint;
  transactionHash?: string;
  error?: { code: string; message: string };
}

/** Claim every reward of `account` with a Merkle proof from the coordinator (SPEC §3 settlement). */
export async function claimAll(
  ctx: CommandContext,
  account: string,
  onlyEpoch?: number,
): Promise<ClaimLine[]> {
  const me = participant(ctx.home, account);
  const epochs = onlyEpoch === undefined ? (await me.api.epochs.list()).map((e) => e.number) : [onlyEpoch];
  const lines: ClaimLine[] = [];
  for (const epoch of epochs) {
    let proofs: Awaited<ReturnType<typeof me.api.epochs.proofs>>;
    try {
      proofs = await me.api.epochs.proofs(epoch, me.address);
    } catch (error) {
      if (error instanceof NotFoundError) continue;
      throw error;
    }
    for (const tree of ["liquid", "vesting"] as const) {
      const claim = proofs[tree];
      if (claim === null) continue;
      try {
        const result = await claimRewards(me.chain, {
          epoch: BigInt(epoch),
          tree,
          amount: claim.amount,
          proof: claim.proof,
        });
        lines.push({
          epoch,
          tree,
          amount: claim.amount,
          paid: result.paid,
          transactionHash: result.transactionHash,
        });
      } catch (error) {
        if (!(error instanceof FlockError)) throw error;
        lines.push({
          epoch,
          tree,
          amount: claim.amount,
          error: { code: error.code, message: error.message },
        });
      }
    }
  }
  return lines;
}

/** `flock claim`. */
export async function runClaim(ctx: CommandContext, options: { epoch?: string; account: string }) {
  const lines = await claimAll(
    ctx,
    options.account,
    options.epoch === undefined ? undefined : parseInteger(options.epoch, "--epoch"),
  );
  ctx.output.result(lines, () =>
    lines.length === 0
      ? "nothing to claim"
      : table(
          ["epoch", "tree", "entitled", "paid now", "result"],
          lines.map((l) => [
            String(l.epoch),
            l.tree,
            formatFlock(l.amount),
            l.paid === undefined ? "-" : formatFlock(l.paid),
            l.error === undefined ? (l.transactionHash ?? "") : `${l.error.code}`,
          ]),
        ),
  );
}
