import { LogController } from "fastify";

/** A short text for an error in logs (the message and code, never the object graph). */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * Request logging with flat fields only. Fastify's default logs the request and reply objects, which the
 * Flock logger (it copies every log object through JSON) cannot serialize: they are circular.
 */
export class FlatRequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: Parameters<LogController["requestCompleted"]>[1],
    reply: Parameters<LogController["requestCompleted"]>[2],
  ): void {
    const fields = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    if (error) request.log.error({ ...fields, error: errorText(error) }, "request errored");
    else request.log.info(fields, "request completed");
  }

  // The app's error handler logs what it needs (5xx with the error text).
  override defaultErrorLog(): void {}

  override streamError(error: Error, request: Parameters<LogController["streamError"]>[1]): void {
    request.log.warn({ url: request.url, error: errorText(error) }, "response stream failed");
  }
}
