import { type Static, Type } from "typebox";
import { Address, Amount, ContentId, DateTime, Hash32, Hex, Nullable } from "./primitives.ts";

/** A settled network-wide epoch: its report, the two reward trees' roots and the transaction that posted them. */
export const Epoch = Type.Object(
  {
    number: Type.Integer(),
    /** The tasks this epoch settled. */
    tasks: Type.Array(Type.Integer()),
    /** The emission mint that funds it (decimal), or null when it pays from task pools only. */
    mintIndex: Nullable(Type.String()),
    reportId: ContentId,
    reportHash: Hash32,
    liquidRoot: Hash32,
    vestingRoot: Hash32,
    txHash: Nullable(Hex),
    postedAt: Nullable(DateTime),
  },
  { $id: "Epoch" },
);
export type Epoch = Static<typeof Epoch>;

/** One leaf of a reward tree: the amount and its Merkle proof for `claimRewards`. */
export const Claim = Type.Object({ amount: Amount, proof: Type.Array(Hash32) }, { $id: "Claim" });
export type Claim = Static<typeof Claim>;

/** An account's claims in one epoch's liquid and vesting trees (null where it has no leaf). */
export const EpochProofs = Type.Object(
  {
    epoch: Type.Integer(),
    account: Address,
    liquid: Nullable(Claim),
    vesting: Nullable(Claim),
  },
  { $id: "EpochProofs" },
);
export type EpochProofs = Static<typeof EpochProofs>;

/**
 * The usage an epoch collected (SPEC §2.4), public so anyone can check the report's charges: per payer (what
 * UsageCredits.collect debited, its UsageCharged events) and per served model version (subscription fees under
 * model null), in FLOCK base units.
 */
export const EpochUsage = Type.Object(
  {
    epoch: Type.Integer(),
    total: Amount,
    byAccount: Type.Array(Type.Object({ account: Address, amount: Amount, records: Type.Integer() })),
    byModel: Type.Array(
      Type.Object({
        model: Nullable(Type.String()),
        modelId: Nullable(Type.Integer()),
        amount: Amount,
        records: Type.Integer(),
        tokens: Type.String(),
      }),
    ),
  },
  { $id: "EpochUsage" },
);
export type EpochUsage = Static<typeof EpochUsage>;
