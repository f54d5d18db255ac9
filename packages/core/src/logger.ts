import { type Logger, type LoggerOptions, pino } from "pino";

export type { Logger } from "pino";

/**
 * A structured JSON logger (pino). Level from `FLOCK_LOG_LEVEL`, default `info`; bigints are written as
 * decimal strings so amounts survive the trip into logs.
 */
export function createLogger(name: string, options: LoggerOptions = {}): Logger {
  return pino({
    name,
    level: process.env.FLOCK_LOG_LEVEL ?? "info",
    formatters: { log: (object) => JSON.parse(JSON.stringify(object, bigintReplacer)) },
    ...options,
  });
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
