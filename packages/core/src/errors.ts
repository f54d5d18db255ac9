/**
 * Every error Flock raises on purpose is a FlockError: a stable machine-readable `code`, a message that
 * says what was wrong, a `hint` that says what to do next, optional structured `details`, and the
 * original `cause` when one error wraps another. The HTTP layer maps `code` to a status in one place.
 */
export interface FlockErrorOptions {
  hint?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class FlockError extends Error {
  override readonly name: string = "FlockError";
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: FlockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  /** A plain object for logs and HTTP bodies. */
  toJSON(): { code: string; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** Input that does not satisfy a rule: wrong type, out of range, malformed. */
export class ValidationError extends FlockError {
  override readonly name: string = "ValidationError";
}

/** A token amount that is negative, fractional in base units, or not a number at all. */
export class AmountError extends ValidationError {
  override readonly name: string = "AmountError";
}

/** A configuration value (environment or file) that is missing or invalid. */
export class ConfigError extends FlockError {
  override readonly name: string = "ConfigError";
}

/** A protocol rule that cannot be applied to the given state (empty validator set, duplicate accounts, …). */
export class ProtocolError extends FlockError {
  override readonly name: string = "ProtocolError";
}

/** Something that was asked for does not exist. */
export class NotFoundError extends FlockError {
  override readonly name: string = "NotFoundError";
}

/** The request conflicts with the current state (already exists, wrong lifecycle phase, …). */
export class ConflictError extends FlockError {
  override readonly name: string = "ConflictError";
}

/** The caller could not be authenticated or is not allowed to do this. */
export class AuthError extends FlockError {
  override readonly name: string = "AuthError";
}

/** Storage (database, artifact store) failed or holds something unexpected. */
export class StorageError extends FlockError {
  override readonly name: string = "StorageError";
}

/** The EVM chain refused or failed an operation. */
export class ChainError extends FlockError {
  override readonly name: string = "ChainError";
}

/** The ML engine could not build, compile, run or load a model. */
export class EngineError extends FlockError {
  override readonly name: string = "EngineError";
}

/** An operation was asked for that this build does not implement. */
export class NotImplementedError extends FlockError {
  override readonly name: string = "NotImplementedError";
  constructor(what: string, options: FlockErrorOptions = {}) {
    super("NOT_IMPLEMENTED", `${what} is not implemented`, options);
  }
}

/** Every kind of FlockError by its name: what an error body's `kind` names, so a client rebuilds the same class. */
export const ERROR_KINDS = {
  FlockError,
  ValidationError,
  AmountError,
  ConfigError,
  ProtocolError,
  NotFoundError,
  ConflictError,
  AuthError,
  StorageError,
  ChainError,
  EngineError,
  NotImplementedError,
} as const;

/** The name of a FlockError class: the `kind` of an error body. */
export type ErrorKind = keyof typeof ERROR_KINDS;

export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === "string" && Object.hasOwn(ERROR_KINDS, value);
}

/** The error's kind: its class's name, or the nearest FlockError class it extends (e.g. a server's HttpError). */
export function errorKindOf(error: FlockError): ErrorKind {
  for (let proto = Object.getPrototypeOf(error); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const name = (proto as { constructor: { name: string } }).constructor.name;
    if (isErrorKind(name) && ERROR_KINDS[name].prototype === proto) return name;
  }
  return "FlockError";
}

/** Rebuild a FlockError of a given kind (a client reading an error body): same class, code, message and hint. */
export function errorOfKind(
  kind: ErrorKind,
  code: string,
  message: string,
  options: FlockErrorOptions = {},
): FlockError {
  if (kind === "NotImplementedError") {
    const error = new NotImplementedError("", options);
    error.message = message;
    return error;
  }
  return new ERROR_KINDS[kind](code, message, options);
}

export function isFlockError(value: unknown): value is FlockError {
  return value instanceof FlockError;
}
