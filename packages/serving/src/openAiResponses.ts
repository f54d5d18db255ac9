import type { CompletionResult, PreparedCompletion } from "./completionEngine.ts";
import type { CompletionRequest } from "./completionRequest.ts";
import type { CatalogModel } from "./modelCatalog.ts";
import { openAiErrorOf } from "./openAiError.ts";
import type {
  ChatCompletion,
  ChatCompletionChunk,
  CompletionUsage,
  FinishReason,
  ModelList,
  TextCompletion,
} from "./openAiWire.ts";

/** Names the serving stack in `system_fingerprint`, as OpenAI names its backend configuration. */
export const SYSTEM_FINGERPRINT = "fp_flock_engine";

export function modelList(models: readonly CatalogModel[]): ModelList {
  return {
    object: "list",
    data: models.map((m) => ({ id: m.id, object: "model", created: m.created, owned_by: m.ownedBy })),
  };
}

/** What a finished call cost (FLOCK base units, decimal): the caller bills it when asked. */
export type CostOf = (result: CompletionResult) => Promise<string>;

async function usageOf(result: CompletionResult, costOf: CostOf | undefined): Promise<CompletionUsage> {
  const usage: CompletionUsage = {
    prompt_tokens: result.promptTokens,
    completion_tokens: result.completionTokens,
    total_tokens: result.promptTokens + result.completionTokens,
  };
  if (costOf !== undefined) usage.cost = await costOf(result);
  return usage;
}

function finishOf(result: CompletionResult): FinishReason {
  // A request whose client left has no one to answer; "stop" keeps the shape valid if it is ever sent.
  return result.finishReason === "abort" ? "stop" : result.finishReason;
}

/** The whole answer of a non-streaming request; with `costOf`, its usage carries the cost. */
export async function completeOnce(
  prepared: PreparedCompletion,
  request: CompletionRequest,
  signal?: AbortSignal,
  costOf?: CostOf,
): Promise<ChatCompletion | TextCompletion> {
  const result = await prepared.run(signal === undefined ? {} : { signal });
  const usage = await usageOf(result, costOf);
  const head = { id: prepared.id, created: prepared.created, model: prepared.model };
  if (request.kind === "chat")
    return {
      ...head,
      object: "chat.completion",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: result.text, refusal: null },
          logprobs: null,
          finish_reason: finishOf(result),
        },
      ],
      usage,
      system_fingerprint: SYSTEM_FINGERPRINT,
    };
  return {
    ...head,
    object: "text_completion",
    choices: [{ index: 0, text: result.text, logprobs: null, finish_reason: finishOf(result) }],
    usage,
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

/** One server-sent event carrying a JSON payload. */
export function sseData(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

export const SSE_DONE = "data: [DONE]\n\n";

/**
 * Stream an answer as OpenAI does: a first chunk with the role, one chunk per piece of text, a chunk with the
 * finish reason, with `include_usage` a last chunk with `choices: []` and the usage (`usage: null` on the
 * others), then `data: [DONE]`. An error after the first byte is sent as a `data: {"error": …}` event.
 * `write` resolves when the event may be followed by the next (back-pressure). With `costOf`, the usage chunk
 * carries the cost. Returns the result (also of an aborted stream), or undefined when decoding failed.
 */
export async function completeStreaming(
  prepared: PreparedCompletion,
  request: CompletionRequest,
  write: (event: string) => Promise<void>,
  signal?: AbortSignal,
  costOf?: CostOf,
): Promise<CompletionResult | undefined> {
  const head = { id: prepared.id, created: prepared.created, model: prepared.model };
  const usageField = request.includeUsage ? { usage: null } : {};
  const chat = (
    delta: ChatCompletionChunk["choices"][0]["delta"],
    finish: FinishReason | null,
  ): ChatCompletionChunk => ({
    ...head,
    object: "chat.completion.chunk",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    system_fingerprint: SYSTEM_FINGERPRINT,
    ...usageField,
  });
  const text = (piece: string, finish: FinishReason | null): TextCompletion => ({
    ...head,
    object: "text_completion",
    choices: [{ index: 0, text: piece, logprobs: null, finish_reason: finish }],
    system_fingerprint: SYSTEM_FINGERPRINT,
    ...usageField,
  });
  const piece = (delta: string) =>
    request.kind === "chat" ? chat({ content: delta }, null) : text(delta, null);
  let result: CompletionResult;
  try {
    if (request.kind === "chat") await write(sseData(chat({ role: "assistant", content: "" }, null)));
    result = await prepared.run({
      onText: (delta) => write(sseData(piece(delta))),
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    if (signal?.aborted !== true) {
      await write(sseData(openAiErrorOf(error).body)).catch(() => undefined);
      await write(SSE_DONE).catch(() => undefined);
    }
    return undefined;
  }
  if (result.finishReason === "abort") return result;
  const finish = finishOf(result);
  await write(sseData(request.kind === "chat" ? chat({}, finish) : text("", finish)));
  if (request.includeUsage) {
    const usage = await usageOf(result, costOf);
    const last =
      request.kind === "chat"
        ? {
            ...head,
            object: "chat.completion.chunk",
            choices: [],
            system_fingerprint: SYSTEM_FINGERPRINT,
            usage,
          }
        : { ...head, object: "text_completion", choices: [], system_fingerprint: SYSTEM_FINGERPRINT, usage };
    await write(sseData(last));
  }
  await write(SSE_DONE);
  return result;
}
