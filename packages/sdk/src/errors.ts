import {
  AuthError,
  ConflictError,
  errorOfKind,
  FlockError,
  isErrorKind,
  NotFoundError,
  ValidationError,
} from "@flock/core";

/**
 * Rebuild the coordinator's error as the same FlockError subclass (the body's `kind`; from the status for a
 * body without one), keeping its code, message, hint and details.
 */
export function errorFromResponse(status: number, body: unknown, what: string): FlockError {
  const parsed = (typeof body === "object" && body !== null ? body : {}) as {
    code?: unknown;
    kind?: unknown;
    message?: unknown;
    hint?: unknown;
    details?: unknown;
  };
  const code = typeof parsed.code === "string" ? parsed.code : `HTTP_${status}`;
  const message = typeof parsed.message === "string" ? parsed.message : `${what} failed with HTTP ${status}`;
  const options = {
    ...(typeof parsed.hint === "string" ? { hint: parsed.hint } : {}),
    details: {
      ...(typeof parsed.details === "object" && parsed.details !== null ? parsed.details : {}),
      httpStatus: status,
    },
  };
  if (isErrorKind(parsed.kind)) return errorOfKind(parsed.kind, code, message, options);
  if (status === 400 || status === 413) return new ValidationError(code, message, options);
  if (status === 401 || status === 403) return new AuthError(code, message, options);
  if (status === 404) return new NotFoundError(code, message, options);
  if (status === 409) return new ConflictError(code, message, options);
  return new FlockError(code, message, options);
}
