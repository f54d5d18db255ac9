import { NotFoundError } from "@flock/core";
import {
  type CompletionEngine,
  type CompletionRequest,
  completeOnce,
  completeStreaming,
  modelList,
  openAiErrorOf,
  parseChatCompletionRequest,
  parseCompletionRequest,
  SSE_DONE,
} from "@flock/serving";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { HttpError, toFlockError } from "../http/errorHandler.ts";
import { errorText } from "../http/requestLog.ts";

/** An abort signal that fires when the client goes away before its answer is complete. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on("close", () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Write an event, resolving when the socket takes more (or is gone): a slow reader slows the decoding. */
function eventWriter(reply: FastifyReply): (event: string) => Promise<void> {
  const raw = reply.raw;
  return async (event) => {
    if (raw.destroyed || raw.writableEnded) return;
    if (raw.write(event)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        raw.off("drain", done);
        raw.off("close", done);
        resolve();
      };
      raw.on("drain", done);
      raw.on("close", done);
    });
  };
}

/**
 * Moonbase's OpenAI-compatible API (SPEC §2.4): `GET /v1/models`, `POST /v1/chat/completions` and
 * `POST /v1/completions`, streamed as server-sent events when asked, answered from `engine`. Errors leave in
 * OpenAI's shape (`{ error: { message, type, param, code } }`), so the official clients raise their own error
 * classes. The routes follow OpenAI's published API, so they are not in this coordinator's OpenAPI document.
 */
export async function registerOpenAiRoutes(app: FastifyInstance, engine: CompletionEngine): Promise<void> {
  app.addHook("onClose", () => engine.close());
  await app.register(
    async (v1) => {
      v1.setErrorHandler((error, request, reply) => {
        const flockError = toFlockError(error);
        const { status, body } = openAiErrorOf(
          flockError,
          flockError instanceof HttpError ? flockError.status : undefined,
        );
        if (status >= 500)
          request.log.error({ error: errorText(error), stack: (error as Error).stack }, "completion failed");
        return reply.status(status).send(body);
      });
      v1.setNotFoundHandler((request, reply) => {
        const { status, body } = openAiErrorOf(
          new NotFoundError(
            "ROUTE_NOT_FOUND",
            `Invalid URL (${request.method} ${request.url.split("?")[0]})`,
            {
              hint: "the OpenAI-compatible API serves GET /v1/models, POST /v1/chat/completions and POST /v1/completions",
            },
          ),
        );
        return reply.status(status).send(body);
      });
      const schema = { hide: true } as const;

      v1.get("/models", { schema }, async () => modelList(await engine.listModels()));

      const complete = async (request: FastifyRequest, reply: FastifyReply, parsed: CompletionRequest) => {
        // Every refusal (unknown model, too long a prompt) happens here, before a byte of the answer is sent.
        const prepared = await engine.prepare(parsed);
        const signal = clientGone(reply);
        if (!parsed.stream) return completeOnce(prepared, parsed, signal);
        reply.hijack();
        reply.raw.writeHead(200, {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
          connection: "keep-alive",
          "x-accel-buffering": "no",
        });
        try {
          await completeStreaming(prepared, parsed, eventWriter(reply), signal);
        } catch (error) {
          request.log.warn({ error: errorText(error) }, "completion stream failed");
          if (!reply.raw.destroyed) reply.raw.write(SSE_DONE);
        }
        if (!reply.raw.destroyed) reply.raw.end();
        return reply;
      };
      v1.post("/chat/completions", { schema }, (request, reply) =>
        complete(request, reply, parseChatCompletionRequest(request.body)),
      );
      v1.post("/completions", { schema }, (request, reply) =>
        complete(request, reply, parseCompletionRequest(request.body)),
      );
    },
    { prefix: "/v1" },
  );
}
