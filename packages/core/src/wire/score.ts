import { type Static, Type } from "typebox";
import { Address, DateTime, FixedPointScore } from "./primitives.ts";

/** A revealed score: what `POST /assignments/:id/reveal` answers. */
export const Score = Type.Object(
  {
    assignmentId: Type.Integer(),
    submissionId: Type.Integer(),
    validator: Address,
    score: FixedPointScore,
    /** What the validator measured (e.g. `{ bpc }`), as it sent it. */
    evidence: Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true })),
    reportedAt: DateTime,
  },
  { $id: "Score" },
);
export type Score = Static<typeof Score>;
