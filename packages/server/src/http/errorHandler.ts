import {
  type ErrorCode,
  type ErrorKind,
  errorKindOf,
  FlockError,
  isErrorCode,
  isFlockError,
  ValidationError,
} from "@flock/core";
import type { FastifyError, FastifyInstance } from "fastify";
import { httpStatusOf } from "./httpStatus.ts";
import { errorText } from "./requestLog.ts";

/** The body of every error response. */
export interface ErrorBody {
  /** One of core's `ERROR_CODES` (the table says its kind and status). */
  code: ErrorCode;
  /** The FlockError class the error is (ValidationError, ConflictError, …): a client rebuilds the same kind. */
  kind: ErrorKind;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

/** Turn whatever a route threw into a FlockError: Fastify's schema and body errors get stable codes. */
export function toFlockError(error: unknown): FlockError {
  if (isFlockError(error)) return error;
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation !== undefined) {
    return new ValidationError("REQUEST_INVALID", `the request is invalid: ${fastifyError.message}`, {
      hint: "see /openapi.json for the expected parameters and body",
      details: { context: fastifyError.validationContext, errors: fastifyError.validation },
    });
  }
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const code = fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? "BODY_TOO_LARGE" : "REQUEST_REFUSED";
    return new HttpError(status, code, fastifyError.message ?? "the request was refused", {
      hint:
        code === "BODY_TOO_LARGE"
          ? "send a smaller body; artifacts go through the upload route"
          : "check the method, content type and body against /openapi.json",
      details: { fastifyCode: fastifyError.code },
    });
  }
  return new FlockError("INTERNAL_ERROR", "the coordinator failed unexpectedly", {
    hint: "retry later; if it persists, report it with the request id",
    cause: error,
  });
}

/** The kind of a refusal by the HTTP layer itself, from its status. */
function kindOfStatus(status: number): ErrorKind {
  if (status === 400 || status === 408 || status === 413 || status === 414 || status === 415)
    return "ValidationError";
  if (status === 401 || status === 403) return "AuthError";
  if (status === 404) return "NotFoundError";
  if (status === 409) return "ConflictError";
  return "FlockError";
}

/** A request refused by the HTTP layer itself (unsupported media type, body too large). */
export class HttpError extends FlockError {
  override readonly name: string = "HttpError";
  readonly status: number;
  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    options: ConstructorParameters<typeof FlockError>[2],
  ) {
    super(code, message, options);
    this.status = status;
  }
}

/** Install the one error handler and the not-found handler: every error leaves as `{ code, message, hint }`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const flockError = toFlockError(error);
    const status = flockError instanceof HttpError ? flockError.status : httpStatusOf(flockError);
    if (status >= 500)
      request.log.error(
        { error: errorText(error), stack: error instanceof Error ? error.stack : undefined },
        "request failed",
      );
    // Every code the coordinator raises is in core's table (errorCodes.test.ts); one from a dependency that is
    // not is still sent as raised, and logged so it is added.
    if (!isErrorCode(flockError.code))
      request.log.warn({ code: flockError.code }, "error code not in ERROR_CODES: add it to @flock/core");
    const body: ErrorBody = {
      code: flockError.code as ErrorCode,
      kind: flockError instanceof HttpError ? kindOfStatus(status) : errorKindOf(flockError),
      message: flockError.message,
    };
    if (flockError.hint !== undefined) body.hint = flockError.hint;
    if (flockError.details !== undefined && status < 500) body.details = flockError.details;
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    return reply.status(404).send({
      code: "ROUTE_NOT_FOUND",
      kind: "NotFoundError",
      message: `no route ${request.method} ${request.url.split("?")[0]}`,
      hint: "see /docs or /openapi.json for the routes",
    } satisfies ErrorBody);
  });
}
