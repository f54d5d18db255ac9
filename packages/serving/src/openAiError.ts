import { FlockError, httpStatusOf, isFlockError, NotFoundError, ValidationError } from "@flock/core";

/** OpenAI's error body: `{ error: { message, type, param, code } }`, plus Flock's code and hint. */
export interface OpenAiErrorBody {
  error: {
    message: string;
    /** `invalid_request_error` (400, 404), `authentication_error` (401), `rate_limit_error` (429), `server_error`. */
    type: string;
    /** The request field at fault, or null. */
    param: string | null;
    /** OpenAI's machine code (`model_not_found`, `context_length_exceeded`, `invalid_value`, …), or null. */
    code: string | null;
    /** Flock's error code (core's ERROR_CODES). */
    flock_code: string;
    hint?: string;
  };
}

/** What a refusal needs beyond a FlockError: the field at fault and OpenAI's code for it. */
interface OpenAiDetails {
  param?: string;
  openAiCode?: string;
  upstreamStatus?: number;
  upstreamBody?: OpenAiErrorBody;
}

/** A request the OpenAI API refuses with 400: the field at fault is named so clients can show it. */
export function invalidRequest(
  param: string | null,
  openAiCode: string,
  message: string,
  hint: string,
): ValidationError {
  return new ValidationError("SERVING_REQUEST_INVALID", message, {
    hint,
    details: { ...(param === null ? {} : { param }), openAiCode },
  });
}

/** The model a request names is not served (404 `model_not_found`). */
export function modelNotFound(model: string): NotFoundError {
  return new NotFoundError("SERVING_MODEL_NOT_FOUND", `The model \`${model}\` does not exist`, {
    hint: "GET /v1/models lists the models this coordinator serves",
    details: { param: "model", openAiCode: "model_not_found" },
  });
}

function typeOfStatus(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/**
 * Map anything thrown while serving to an HTTP status and OpenAI's error body (a 500 says nothing internal);
 * `status` overrides the one core's table gives (for a refusal by the HTTP layer itself).
 */
export function openAiErrorOf(error: unknown, status?: number): { status: number; body: OpenAiErrorBody } {
  const flockError = isFlockError(error)
    ? error
    : new FlockError("SERVING_FAILED", "the model failed to answer", {
        hint: "retry later; if it persists, report it to the coordinator's operator",
        cause: error,
      });
  const details = (flockError.details ?? {}) as OpenAiDetails;
  // An upstream's refusal (a routed model) goes back with the upstream's own status and body.
  if (status === undefined && details.upstreamStatus !== undefined && details.upstreamBody !== undefined)
    return { status: details.upstreamStatus, body: details.upstreamBody };
  const answered = status ?? httpStatusOf(flockError);
  const body: OpenAiErrorBody = {
    error: {
      message: flockError.message,
      type: typeOfStatus(answered),
      param: details.param ?? null,
      code: details.openAiCode ?? null,
      flock_code: flockError.code,
    },
  };
  if (flockError.hint !== undefined) body.error.hint = flockError.hint;
  return { status: answered, body };
}
