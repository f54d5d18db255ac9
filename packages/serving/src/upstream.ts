import { randomUUID } from "node:crypto";
import { FlockError } from "@flock/core";
import { ByteTokenizer, renderGenerationPrompt } from "@flock/engine";
import type { CompletionResult, PreparedCompletion } from "./completion.ts";
import type { CompletionRequest } from "./completionRequest.ts";
import type { CatalogModel, UpstreamRoute } from "./modelCatalog.ts";
import type { FinishReason } from "./openAiWire.ts";

const DEFAULT_TIMEOUT_MS = 30_000;
/** A prepared upstream answer not run within this time is dropped (its connection closed). */
const UNCLAIMED_MS = 60_000;

export interface UpstreamOptions {
  fetch: typeof fetch;
  now: () => Date;
  onFinish(result: CompletionResult): void;
  running(delta: number): void;
}

/** The OpenAI request body sent upstream: always streamed, with the usage asked for. */
function upstreamBody(request: CompletionRequest, route: UpstreamRoute): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: route.model,
    temperature: request.temperature,
    top_p: request.topP,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.input.kind === "chat")
    body.messages = request.input.conversation.conversations.map((m) => ({
      role: m.role,
      content: m.content,
    }));
  else body.prompt = request.input.prompt;
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.stop.length > 0) body.stop = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  return body;
}

function endpoint(route: UpstreamRoute, request: CompletionRequest): string {
  return `${route.baseUrl.replace(/\/+$/, "")}/${request.kind === "chat" ? "chat/completions" : "completions"}`;
}

/** Why a route was passed over, without its key. */
function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError" || error.name === "AbortError") return "timed out";
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}

/** An upstream's 4xx, passed back to the client with its status and error body as they are. */
function refused(status: number, text: string, route: UpstreamRoute): FlockError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { message?: unknown } } | undefined)?.error;
  const message = typeof error?.message === "string" ? error.message : text.slice(0, 500);
  const upstreamBody =
    error !== undefined && typeof error === "object"
      ? body
      : { error: { message, type: "invalid_request_error", param: null, code: null } };
  return new FlockError("SERVING_UPSTREAM_REFUSED", message, {
    hint: `the upstream server for this model (${route.baseUrl}) refused the request; its answer is passed on as is`,
    details: { upstreamStatus: status, upstreamBody },
  });
}

/** Prompt tokens counted locally (the byte tokenizer), for an upstream that reports no usage. */
function countPrompt(request: CompletionRequest): number {
  const tokenizer = new ByteTokenizer();
  return request.input.kind === "chat"
    ? renderGenerationPrompt(request.input.conversation, tokenizer).length
    : 1 + tokenizer.encode(request.input.prompt).length;
}

/**
 * An upstream's reported usage, when it is believable: whole non-negative numbers, the completion within the
 * request's `max_tokens`. Anything else (a buggy or dishonest upstream) is ignored and the usage counted here.
 */
function usageOf(
  reported: NonNullable<UpstreamChunk["usage"]>,
  request: CompletionRequest,
): { prompt: number; completion: number } | undefined {
  const { prompt_tokens: prompt, completion_tokens: completion } = reported;
  const whole = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!whole(prompt) || !whole(completion)) return undefined;
  if (request.maxTokens !== undefined && completion > request.maxTokens) return undefined;
  return { prompt, completion };
}

interface Opened {
  route: UpstreamRoute;
  response: Response;
  controller: AbortController;
}

/**
 * Send the request to the entry's upstream routes in order until one answers: a connection error, a 5xx or no
 * headers within the route's timeout moves on to the next route; a 4xx is thrown as `SERVING_UPSTREAM_REFUSED`
 * carrying the upstream's status and body; when every route fails, `SERVING_UPSTREAM_FAILED` (502) names each
 * route's failure. Done in `prepare`, so refusals come before a byte of the answer is sent.
 */
async function open(
  entry: CatalogModel,
  request: CompletionRequest,
  options: UpstreamOptions,
): Promise<Opened> {
  const failures: string[] = [];
  for (const route of entry.upstream ?? []) {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException("upstream timed out", "TimeoutError")),
      route.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    );
    let response: Response;
    try {
      response = await options.fetch(endpoint(route, request), {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "text/event-stream",
          ...(route.apiKey === undefined ? {} : { authorization: `Bearer ${route.apiKey}` }),
        },
        body: JSON.stringify(upstreamBody(request, route)),
        signal: controller.signal,
      });
    } catch (error) {
      clearTimeout(timer);
      failures.push(`${route.baseUrl}: ${reasonOf(error)}`);
      continue;
    }
    clearTimeout(timer);
    if (response.status >= 500) {
      await response.body?.cancel().catch(() => undefined);
      failures.push(`${route.baseUrl}: HTTP ${response.status}`);
      continue;
    }
    if (response.status >= 400) throw refused(response.status, await response.text(), route);
    if (!response.ok || response.body === null) {
      await response.body?.cancel().catch(() => undefined);
      failures.push(`${route.baseUrl}: HTTP ${response.status}`);
      continue;
    }
    return { route, response, controller };
  }
  throw new FlockError(
    "SERVING_UPSTREAM_FAILED",
    `every upstream of ${entry.id} failed: ${failures.join("; ")}`,
    {
      hint: "the servers this model is routed to are unreachable or failing; retry later",
      details: { failures },
    },
  );
}

/** Server-sent events' `data:` payloads from a response body, as they arrive. */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true }).replaceAll("\r\n", "\n");
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data !== "") yield data;
      end = buffer.indexOf("\n\n");
    }
  }
}

interface UpstreamChunk {
  choices?: Array<{ delta?: { content?: string | null }; text?: string; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

/**
 * A completion answered by an OpenAI-compatible upstream: the request is sent streamed with
 * `stream_options.include_usage` whatever the client asked, each piece of text is passed on as it arrives
 * (awaiting the client: back-pressure reaches the upstream through TCP), and the result carries the
 * upstream's usage, or a local count (the byte tokenizer's) when it reports none — the same
 * `CompletionResult` the engine's own completions give, so metering reads both alike.
 */
export async function prepareUpstream(
  entry: CatalogModel,
  request: CompletionRequest,
  options: UpstreamOptions,
): Promise<PreparedCompletion> {
  const opened = await open(entry, request, options);
  const promptTokens = countPrompt(request);
  let claimed = false;
  const unclaimed = setTimeout(() => {
    if (!claimed) opened.controller.abort();
  }, UNCLAIMED_MS);
  unclaimed.unref();
  return {
    model: entry.id,
    id: `${request.kind === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID().replaceAll("-", "")}`,
    created: Math.floor(options.now().getTime() / 1000),
    promptTokens,
    run: async ({ onText, signal }) => {
      claimed = true;
      clearTimeout(unclaimed);
      const { route, response, controller } = opened;
      const onAbort = () => controller.abort();
      signal?.addEventListener("abort", onAbort, { once: true });
      options.running(1);
      let text = "";
      let pieces = 0;
      let finish: FinishReason = "stop";
      let usage: { prompt: number; completion: number } | undefined;
      try {
        for await (const data of sseData(response.body!)) {
          if (data === "[DONE]") break;
          let chunk: UpstreamChunk;
          try {
            chunk = JSON.parse(data) as UpstreamChunk;
          } catch {
            continue;
          }
          if (chunk.error !== undefined) {
            throw new FlockError(
              "SERVING_UPSTREAM_FAILED",
              `the upstream ${route.baseUrl} failed mid-answer: ${chunk.error.message ?? "unknown error"}`,
              { hint: "retry the request" },
            );
          }
          const choice = chunk.choices?.[0];
          const piece = choice?.delta?.content ?? choice?.text ?? "";
          if (piece !== "") {
            text += piece;
            pieces++;
            await onText?.(piece);
          }
          if (choice?.finish_reason === "length") finish = "length";
          if (chunk.usage !== undefined && chunk.usage !== null) usage = usageOf(chunk.usage, request);
        }
      } catch (error) {
        if (signal?.aborted !== true) {
          throw error instanceof FlockError
            ? error
            : new FlockError(
                "SERVING_UPSTREAM_FAILED",
                `the upstream ${route.baseUrl} failed mid-answer: ${reasonOf(error)}`,
                { hint: "retry the request", cause: error },
              );
        }
      } finally {
        signal?.removeEventListener("abort", onAbort);
        options.running(-1);
      }
      const aborted = signal?.aborted === true;
      if (aborted) controller.abort();
      const result: CompletionResult = {
        text,
        finishReason: aborted ? "abort" : finish,
        promptTokens: usage?.prompt ?? promptTokens,
        // Counted when absent: the byte tokenizer's ids of the text (at least one per piece received).
        completionTokens: usage?.completion ?? Math.max(pieces, new ByteTokenizer().encode(text).length),
        upstream: {
          baseUrl: route.baseUrl,
          model: route.model,
          usage: usage === undefined ? "counted" : "upstream",
        },
      };
      options.onFinish(result);
      return result;
    },
  };
}
