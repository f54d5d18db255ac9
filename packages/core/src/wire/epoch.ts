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
