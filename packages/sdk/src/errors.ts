import {
  AuthError,
  ConflictError,
  ERROR_CODES,
  type ErrorCode,
  errorOfKind,
  FlockError,
  isErrorCode,
  isErrorKind,
  NotFoundError,
  ValidationError,
} from "@flock/core";

/** The code of an answer without a body the SDK can read (a proxy's 502 page): `HTTP_<status>`. */
export type HttpStatusCode = `HTTP_${number}`;

/**
 * An error the coordinator answered, rebuilt as the FlockError subclass its body names (`kind`), so callers
 * branch on `instanceof ConflictError` or on `code`. The code is one of core's `ERROR_CODES`, or `HTTP_<status>`
 * when the answer had none this build knows (a newer coordinator's code is then kept in `details.code`).
 */
export type CoordinatorError = FlockError & {
  readonly code: ErrorCode | HttpStatusCode;
  readonly details: Record<string, unknown> & { httpStatus: number };
};

/** Whether `error` came from a coordinator's answer (see CoordinatorError). */
export function isCoordinatorError(error: unknown): error is CoordinatorError {
  return (
    error instanceof FlockError &&
    typeof error.details?.httpStatus === "number" &&
    (isErrorCode(error.code) || /^HTTP_\d+$/.test(error.code))
  );
}

/**
 * Rebuild the coordinator's error as the same FlockError subclass (the body's `kind`; for a body without one,
 * the kind core's table gives its code, else one from the status), keeping its code, message, hint and details.
 */
export function errorFromResponse(status: number, body: unknown, what: string): CoordinatorError {
  const parsed = (typeof body === "object" && body !== null ? body : {}) as {
    code?: unknown;
    kind?: unknown;
    message?: unknown;
    hint?: unknown;
    details?: unknown;
  };
  const known = isErrorCode(parsed.code);
  const code: ErrorCode | HttpStatusCode = known ? (parsed.code as ErrorCode) : `HTTP_${status}`;
  const message = typeof parsed.message === "string" ? parsed.message : `${what} failed with HTTP ${status}`;
  const options = {
    ...(typeof parsed.hint === "string" ? { hint: parsed.hint } : {}),
    details: {
      ...(typeof parsed.details === "object" && parsed.details !== null ? parsed.details : {}),
      ...(!known && typeof parsed.code === "string" ? { code: parsed.code } : {}),
      httpStatus: status,
    },
  };
  return rebuild(status, parsed.kind, code, message, options) as CoordinatorError;
}

function rebuild(
  status: number,
  kind: unknown,
  code: ErrorCode | HttpStatusCode,
  message: string,
  options: { hint?: string; details: Record<string, unknown> },
): FlockError {
  if (isErrorKind(kind)) return errorOfKind(kind, code, message, options);
  if (isErrorCode(code)) return errorOfKind(ERROR_CODES[code].kind, code, message, options);
  if (status === 400 || status === 413) return new ValidationError(code, message, options);
  if (status === 401 || status === 403) return new AuthError(code, message, options);
  if (status === 404) return new NotFoundError(code, message, options);
  if (status === 409) return new ConflictError(code, message, options);
  return new FlockError(code, message, options);
}
