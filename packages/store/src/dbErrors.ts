import { ConflictError, FlockError, NotFoundError, StorageError, ValidationError } from "@flock/core";

/** What a caller knows about the rows it was writing, to turn a constraint violation into a clear error. */
export interface ConstraintContext {
  /** What was being written, e.g. "task" or "submission 12". */
  what: string;
  /** Error for a unique-key violation (already exists); defaults to a generic ConflictError. */
  onUnique?: () => FlockError;
}

function fieldOf(error: unknown, field: string): string | undefined {
  if (typeof error !== "object" || error === null || !(field in error)) return undefined;
  const value = (error as Record<string, unknown>)[field];
  return typeof value === "string" ? value : undefined;
}

/**
 * Translate a database error into a FlockError by its SQLSTATE: unique → ConflictError, foreign key →
 * NotFoundError, check/format → ValidationError, anything else → StorageError. FlockErrors pass through.
 */
export function toFlockError(error: unknown, context: ConstraintContext): FlockError {
  if (error instanceof FlockError) return error;
  const code = fieldOf(error, "code");
  const constraint = fieldOf(error, "constraint");
  const details = { constraint, sqlstate: code };
  switch (code) {
    case "23505":
      return (
        context.onUnique?.() ??
        new ConflictError("ALREADY_EXISTS", `${context.what} already exists`, {
          hint: "read the existing record instead of writing it again",
          details,
          cause: error,
        })
      );
    case "23503":
      return new NotFoundError(
        "REFERENCE_NOT_FOUND",
        `${context.what} refers to a record that does not exist`,
        {
          hint: "create the referenced record first (task, submission, assignment or epoch)",
          details,
          cause: error,
        },
      );
    case "23514":
    case "23502":
    case "22P02":
    case "22003":
    case "22001":
      return new ValidationError(
        "INVALID_RECORD",
        `${context.what} breaks a database rule (${constraint ?? code})`,
        {
          hint: "check the values: content ids are sha256:<64 hex>, accounts 0x<40 hex>, amounts ≥ 0",
          details,
          cause: error,
        },
      );
    default:
      return new StorageError("DATABASE_ERROR", `database operation on ${context.what} failed`, {
        hint: "see the cause; if the database is unreachable, check DATABASE_URL or the data folder",
        details,
        cause: error,
      });
  }
}

/** Run a write and translate any database error with `toFlockError`. */
export async function guard<T>(context: ConstraintContext, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw toFlockError(error, context);
  }
}
