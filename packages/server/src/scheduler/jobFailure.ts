import { ChainError, isFlockError, NotFoundError, ValidationError } from "@flock/core";

/**
 * How a job's failure is handled:
 * - `transient`: the chain or the database did not answer (CHAIN_UNREACHABLE, DATABASE_UNREACHABLE, a refused
 *   connection, a timeout, a nonce taken by a write in flight). The job retries with backoff for as long as it
 *   takes: an outage of anvil or PostgreSQL never uses up a job.
 * - `permanent`: retrying cannot help until someone changes something. A contract refused the write with a
 *   decoded reason (the reward distributor cannot fund an epoch, a task pool holds less), the job's own input is
 *   invalid, or what it works on does not exist. The job stops at once, is reported with the task it blocks in
 *   `GET /health` and the log, and the operator retries it (`flock admin jobs retry <id>`).
 * - `unknown`: anything else (a bug, a race that may pass): retried a few times, then stopped as permanent.
 */
export type FailureKind = "transient" | "permanent" | "unknown";

/** Codes of errors that say the other side did not answer, whatever wrapped them. */
const TRANSIENT_CODES = new Set([
  "CHAIN_UNREACHABLE",
  "DATABASE_UNREACHABLE",
  "NONCE_TOO_LOW",
  "JOB_CLAIM_LOST",
  // The chain has not mined the block after a deadline yet: it will.
  "DRAW_SEED_NOT_YET",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "57P01", // PostgreSQL admin shutdown
  "57P03", // cannot connect now
  "08000",
  "08003",
  "08006",
]);

/** viem's transport errors, by class name (the server does not hold viem's classes for every error path). */
const TRANSIENT_NAMES = new Set([
  "HttpRequestError",
  "TimeoutError",
  "WebSocketRequestError",
  "SocketClosedError",
]);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 12; depth++) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** Classify a job's failure (see FailureKind). */
export function classifyFailure(error: unknown): FailureKind {
  for (const link of causes(error)) {
    const code = (link as { code?: unknown }).code;
    if (typeof code === "string" && TRANSIENT_CODES.has(code)) return "transient";
    const name = (link as { name?: unknown }).name;
    if (typeof name === "string" && TRANSIENT_NAMES.has(name)) return "transient";
    if (link instanceof Error && /fetch failed|ECONNREFUSED|socket hang up/.test(link.message))
      return "transient";
  }
  if (error instanceof ValidationError || error instanceof NotFoundError) return "permanent";
  // A decoded contract revert names what the contract refused and why: sending it again is refused again.
  if (error instanceof ChainError && error.details?.errorName !== undefined) return "permanent";
  if (isFlockError(error) && error.details?.permanent === true) return "permanent";
  return "unknown";
}

/** The error's stable code, when it has one. */
export function failureCode(error: unknown): string | undefined {
  return isFlockError(error) ? error.code : undefined;
}
