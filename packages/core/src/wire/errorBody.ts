import { type Static, Type } from "typebox";

/** Every refusal's body: a stable code, the FlockError class, what happened and what to do next. */
export const ErrorBody = Type.Object(
  {
    code: Type.String(),
    /** The FlockError class (ValidationError, ConflictError, …), so clients rebuild the same kind of error. */
    kind: Type.String(),
    message: Type.String(),
    hint: Type.Optional(Type.String()),
    details: Type.Optional(
      Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true })),
    ),
  },
  { $id: "ErrorBody" },
);
export type ErrorBody = Static<typeof ErrorBody>;
