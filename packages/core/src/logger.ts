import { type DestinationStream, type Logger, type LoggerOptions, pino } from "pino";

export type { Logger } from "pino";

/**
 * A structured JSON logger (pino). Level from `FLOCK_LOG_LEVEL`, default `info`; bigints in logged objects
 * are written as decimal strings so amounts survive the trip into logs. Writes to stdout unless a destination
 * is given.
 */
export function createLogger(
  name: string,
  options: LoggerOptions = {},
  destination?: DestinationStream,
): Logger {
  const settings: LoggerOptions = {
    name,
    level: process.env.FLOCK_LOG_LEVEL ?? "info",
    formatters: { log: (object) => bigintsToStrings(object, new WeakSet()) as Record<string, unknown> },
    ...options,
  };
  return destination === undefined ? pino(settings) : pino(settings, destination);
}

/**
 * Copy plain objects and arrays with bigints replaced by decimal strings. Anything else (class instances
 * such as requests, errors, buffers) is passed through untouched for pino's own serializers, and cycles
 * are left as they are, so logging never throws.
 */
function bigintsToStrings(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object" || value === null || seen.has(value)) return value;
  const isArray = Array.isArray(value);
  if (
    !isArray &&
    Object.getPrototypeOf(value) !== Object.prototype &&
    Object.getPrototypeOf(value) !== null
  ) {
    return value;
  }
  seen.add(value);
  if (isArray) return value.map((item) => bigintsToStrings(item, seen));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = bigintsToStrings(item, seen);
  return out;
}
