import { NotFoundError } from "@flock/core";
import {
  type CompletionEngine,
  type CompletionRequest,
  type CompletionResult,
  completeOnce,
  completeStreaming,
  modelList,
  modelNotFound,
  openAiErrorOf,
  type PreparedCompletion,
  parseChatCompletionRequest,
  parseCompletionRequest,
  SSE_DONE,
} from "@flock/serving";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ApiAccess } from "../access/apiAccess.ts";
import type { Charge } from "../access/meter.ts";
import { HttpError, toFlockError } from "../http/errorHandler.ts";
import { errorText } from "../http/requestLog.ts";

/**
 * The completion tokens reserved for a call whose length nobody bounds (an upstream model without max_tokens):
 * what such a call may use beyond it is still billed.
 */
const UNBOUNDED_COMPLETION_TOKENS = 4096;

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
 *
 * With `access`, every call presents an API key (`Authorization: Bearer flk_…`; 401 otherwise), is counted
 * against its key's rate (429 with `retry-after`), may name only the models in the key's scope (404 otherwise),
 * and is metered: its worst case is reserved before decoding (429 `insufficient_quota` when the balance or
 * quota cannot cover it), then what it used is billed, and `usage.cost` (and `x-flock-cost` on an answer that
 * is not streamed) says what it cost.
 */
export async function registerOpenAiRoutes(
  app: FastifyInstance,
  engine: CompletionEngine,
  access?: ApiAccess,
): Promise<void> {
  app.addHook("onClose", () => engine.close());
  await app.register(
    async (v1) => {
      v1.setErrorHandler((error, request, reply) => {
        const flockError = toFlockError(error);
        const retryAfter = (flockError.details as { retryAfterSeconds?: number } | undefined)
          ?.retryAfterSeconds;
        if (flockError.code === "API_KEY_RATE_LIMITED" && retryAfter !== undefined)
          reply.header("retry-after", String(retryAfter));
        const { status, body } = openAiErrorOf(
          flockError,
          flockError instanceof HttpError
            ? flockError.status
            : // OpenAI answers an exhausted balance 429 insufficient_quota; elsewhere it is a 402.
              flockError.code === "CREDIT_BALANCE_TOO_LOW"
              ? 429
              : undefined,
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
      v1.decorateRequest("apiKey", null);
      if (access !== undefined) {
        v1.addHook("onRequest", async (request) => {
          request.apiKey = await access.admit(request.headers.authorization);
        });
      }
      /** A key scoped to some models sees only those: the others do not exist for it (404, as OpenAI answers). */
      const inScope = (request: FastifyRequest, model: string) =>
        request.apiKey?.models == null || request.apiKey.models.includes(model);

      v1.get("/models", { schema }, async (request) =>
        modelList((await engine.listModels()).filter((m) => inScope(request, m.id))),
      );

      const complete = async (request: FastifyRequest, reply: FastifyReply, parsed: CompletionRequest) => {
        // Every refusal (unknown model, too long a prompt, too little balance) happens here, before a byte of the
        // answer is sent.
        if (!inScope(request, parsed.model)) throw modelNotFound(parsed.model);
        const prepared = await engine.prepare(parsed);
        const key = request.apiKey;
        let charge: Charge | undefined;
        if (access !== undefined && key !== null) {
          charge = await access.meter.reserve({
            key,
            model: prepared.model,
            modelId: await access.registryIdOf(prepared.model),
            promptTokens: prepared.promptTokens,
            maxCompletionTokens:
              prepared.maxCompletionTokens ?? parsed.maxTokens ?? UNBOUNDED_COMPLETION_TOKENS,
          });
        }
        // Bills what the call used (an aborted call: the tokens produced) and says what it cost.
        const costOf = async (result: CompletionResult) => {
          if (charge === undefined) return "0";
          const record = await charge.bill(result.promptTokens, result.completionTokens);
          return record.cost.toString();
        };
        try {
          return await answer(request, reply, parsed, prepared, costOf);
        } finally {
          // A call that failed before it was billed releases its reservation unbilled.
          charge?.release();
        }
      };
      const answer = async (
        request: FastifyRequest,
        reply: FastifyReply,
        parsed: CompletionRequest,
        prepared: PreparedCompletion,
        costOf: (result: CompletionResult) => Promise<string>,
      ) => {
        const signal = clientGone(reply);
        if (!parsed.stream) {
          const body = await completeOnce(prepared, parsed, signal, async (result) => {
            const cost = await costOf(result);
            reply.header("x-flock-cost", cost);
            return cost;
          });
          return body;
        }
        reply.hijack();
        reply.raw.writeHead(200, {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
          connection: "keep-alive",
          "x-accel-buffering": "no",
        });
        try {
          const result = await completeStreaming(prepared, parsed, eventWriter(reply), signal, costOf);
          // Without include_usage nobody asked for the cost: the call is billed all the same.
          if (result !== undefined) await costOf(result);
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
