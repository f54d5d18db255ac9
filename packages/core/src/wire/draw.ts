import { type Static, Type } from "typebox";
import { AssignmentStatus } from "./assignment.ts";
import { Address, Amount, Nullable } from "./primitives.ts";

/** A stake frozen at the first block after a task's submission deadline. */
export const FrozenStake = Type.Object({
  account: Address,
  role: Type.Enum(["trainer", "validator"], { type: "string" }),
  amount: Amount,
});

/**
 * A task's verifiable validator draw (SPEC §2.1), public once it is finalized: the stake snapshot whose block
 * hash seeded `drawValidators` and every assignment in the order it was made, so anyone can re-run it.
 */
export const Draw = Type.Object(
  {
    taskId: Type.Integer(),
    snapshot: Nullable(
      Type.Object({
        /** The first block after the submission deadline (decimal): stakes are frozen there, its hash seeds the draw. */
        blockNumber: Type.String(),
        blockHash: Type.String(),
        stakes: Type.Array(FrozenStake),
      }),
    ),
    assignments: Type.Array(
      Type.Object({
        id: Type.Integer(),
        submissionId: Type.Integer(),
        submitter: Address,
        validator: Address,
        seed: Type.String(),
        status: AssignmentStatus,
      }),
    ),
  },
  { $id: "Draw" },
);
export type Draw = Static<typeof Draw>;
