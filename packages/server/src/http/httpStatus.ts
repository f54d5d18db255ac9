import {
  AuthError,
  ChainError,
  ConfigError,
  ConflictError,
  EngineError,
  type FlockError,
  NotFoundError,
  NotImplementedError,
  ProtocolError,
  StorageError,
  ValidationError,
} from "@flock/core";

/** Codes whose status differs from their class's: a known caller who may not do this, a too-large body. */
const STATUS_BY_CODE: Record<string, number> = {
  STAKE_REQUIRED: 403,
  ROLE_REQUIRED: 403,
  NOT_ASSIGNED: 403,
  NOT_SUBMITTER: 403,
  NOT_CREATOR: 403,
  NOT_OPERATOR: 403,
  HIDDEN_SET_NOT_PUBLISHABLE: 403,
  ARTIFACT_TOO_LARGE: 413,
  PUBLISHER_QUOTA_EXCEEDED: 413,
  DATABASE_UNREACHABLE: 503,
  CHAIN_UNREACHABLE: 503,
  ARTIFACT_STORE_UNREACHABLE: 503,
};

/** The one place that maps a FlockError to an HTTP status: by code first, then by class. */
export function httpStatusOf(error: FlockError): number {
  const byCode = STATUS_BY_CODE[error.code];
  if (byCode !== undefined) return byCode;
  // Order matters only for subclasses (AmountError is a ValidationError).
  if (error instanceof ValidationError) return 400;
  if (error instanceof AuthError) return 401;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof ProtocolError) return 422;
  if (error instanceof NotImplementedError) return 501;
  if (error instanceof ChainError) return 502;
  if (error instanceof StorageError) return 500;
  if (error instanceof ConfigError) return 500;
  if (error instanceof EngineError) return 500;
  return 500;
}
