import type { ChatMessage, Conversation } from "@flock/engine";
import { invalidRequest } from "./openAiError.ts";

/** A chat or text completion request, checked and with OpenAI's defaults filled in. */
export interface CompletionRequest {
  kind: "chat" | "text";
  model: string;
  /** The conversation to answer (chat) or the text to continue (text). */
  input: { kind: "chat"; conversation: Conversation } | { kind: "text"; prompt: string };
  temperature: number;
  topP: number;
  /** Absent: up to the end of the model's context. */
  maxTokens?: number;
  stop: string[];
  /** Absent: a fresh random seed per request (OpenAI samples differently each call without one). */
  seed?: number;
  stream: boolean;
  includeUsage: boolean;
}

type Body = Record<string, unknown>;

const DOCS_HINT = "see https://platform.openai.com/docs/api-reference/chat/create for the request format";

function present(body: Body, key: string): boolean {
  return body[key] !== undefined && body[key] !== null;
}

function numberField(body: Body, key: string, min: number, max: number, fallback: number): number {
  if (!present(body, key)) return fallback;
  const value = body[key];
  if (typeof value !== "number" || !Number.isFinite(value))
    throw invalidRequest(key, "invalid_type", `\`${key}\` must be a number`, DOCS_HINT);
  if (value < min || value > max)
    throw invalidRequest(
      key,
      "invalid_value",
      `\`${key}\` is ${value}; it must be between ${min} and ${max}`,
      `send a ${key} in [${min}, ${max}]`,
    );
  return value;
}

function integerField(body: Body, key: string, min: number): number | undefined {
  if (!present(body, key)) return undefined;
  const value = body[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value))
    throw invalidRequest(key, "invalid_type", `\`${key}\` must be an integer`, DOCS_HINT);
  if (value < min)
    throw invalidRequest(
      key,
      "invalid_value",
      `\`${key}\` is ${value}; it must be at least ${min}`,
      DOCS_HINT,
    );
  return value;
}

function booleanField(body: Body, key: string): boolean {
  if (!present(body, key)) return false;
  if (typeof body[key] !== "boolean")
    throw invalidRequest(key, "invalid_type", `\`${key}\` must be a boolean`, DOCS_HINT);
  return body[key] as boolean;
}

/** OpenAI accepts up to 4 stop sequences, a string or an array of strings; empty ones stop nothing. */
function stopField(body: Body): string[] {
  if (!present(body, "stop")) return [];
  const value = body.stop;
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || !list.every((s) => typeof s === "string"))
    throw invalidRequest("stop", "invalid_type", "`stop` must be a string or an array of strings", DOCS_HINT);
  if (list.length > 4)
    throw invalidRequest(
      "stop",
      "invalid_value",
      `\`stop\` has ${list.length} sequences; at most 4`,
      DOCS_HINT,
    );
  return list.filter((s) => s.length > 0);
}

/** Fields Moonbase cannot honor are refused rather than ignored, so a client never gets less than it asked. */
function refuseUnsupported(body: Body): void {
  if (present(body, "n") && body.n !== 1)
    throw invalidRequest(
      "n",
      "unsupported_value",
      `\`n\` is ${JSON.stringify(body.n)}; only one choice per request is served`,
      "omit n or send n: 1; send several requests for several choices",
    );
  const unsupported: Array<[string, (v: unknown) => boolean]> = [
    ["logprobs", (v) => v !== false && v !== 0],
    ["top_logprobs", (v) => v !== 0],
    ["tools", (v) => !Array.isArray(v) || v.length > 0],
    ["functions", (v) => !Array.isArray(v) || v.length > 0],
    ["echo", (v) => v !== false],
    ["best_of", (v) => v !== 1],
    ["suffix", (v) => v !== ""],
  ];
  for (const [key, used] of unsupported) {
    if (present(body, key) && used(body[key]))
      throw invalidRequest(
        key,
        "unsupported_parameter",
        `\`${key}\` is not supported by this server`,
        `omit ${key}`,
      );
  }
}

function objectBody(body: unknown): Body {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw invalidRequest(null, "invalid_type", "the request body must be a JSON object", DOCS_HINT);
  return body as Body;
}

function commonFields(
  body: Body,
  maxTokensKeys: readonly string[],
): Omit<CompletionRequest, "kind" | "input"> {
  if (typeof body.model !== "string" || body.model.length === 0)
    throw invalidRequest(
      "model",
      "missing_required_parameter",
      "you must provide a `model` parameter",
      "GET /v1/models lists the models",
    );
  refuseUnsupported(body);
  let maxTokens: number | undefined;
  for (const key of maxTokensKeys) maxTokens ??= integerField(body, key, 1);
  const seed = integerField(body, "seed", Number.MIN_SAFE_INTEGER);
  const stream = booleanField(body, "stream");
  let includeUsage = false;
  if (present(body, "stream_options")) {
    const options = body.stream_options;
    if (!stream)
      throw invalidRequest(
        "stream_options",
        "invalid_value",
        "`stream_options` is only allowed when `stream` is true",
        "omit stream_options or set stream: true",
      );
    if (typeof options !== "object" || options === null || Array.isArray(options))
      throw invalidRequest("stream_options", "invalid_type", "`stream_options` must be an object", DOCS_HINT);
    includeUsage = booleanField(options as Body, "include_usage");
  }
  return {
    model: body.model,
    // OpenAI's defaults: temperature 1 and top_p 1 (plain sampling).
    temperature: numberField(body, "temperature", 0, 2, 1),
    topP: numberField(body, "top_p", 0, 1, 1),
    ...(maxTokens === undefined ? {} : { maxTokens }),
    stop: stopField(body),
    ...(seed === undefined ? {} : { seed }),
    stream,
    includeUsage,
  };
}

const ROLES: Readonly<Record<string, ChatMessage["role"]>> = {
  system: "system",
  // OpenAI's newer name for system instructions.
  developer: "system",
  user: "user",
  assistant: "assistant",
  tool: "tool",
};

function messageContent(content: unknown, index: number): string {
  if (typeof content === "string") return content;
  if (
    Array.isArray(content) &&
    content.every(
      (p) =>
        typeof p === "object" &&
        p !== null &&
        (p as Body).type === "text" &&
        typeof (p as Body).text === "string",
    )
  )
    return content.map((p) => (p as { text: string }).text).join("");
  throw invalidRequest(
    `messages[${index}].content`,
    "invalid_type",
    `\`messages[${index}].content\` must be a string or an array of text parts`,
    "send text content; images, audio and files are not supported",
  );
}

/** Check a `POST /v1/chat/completions` body. */
export function parseChatCompletionRequest(raw: unknown): CompletionRequest {
  const body = objectBody(raw);
  const common = commonFields(body, ["max_completion_tokens", "max_tokens"]);
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    throw invalidRequest(
      "messages",
      "missing_required_parameter",
      "`messages` must be a non-empty array",
      DOCS_HINT,
    );
  const turns: ChatMessage[] = body.messages.map((m: unknown, i: number) => {
    const message = typeof m === "object" && m !== null ? (m as Body) : {};
    const role = typeof message.role === "string" ? ROLES[message.role] : undefined;
    if (role === undefined)
      throw invalidRequest(
        `messages[${i}].role`,
        "invalid_value",
        `\`messages[${i}].role\` must be one of system, developer, user, assistant, tool`,
        DOCS_HINT,
      );
    return { role, content: messageContent(message.content, i) };
  });
  return { kind: "chat", ...common, input: { kind: "chat", conversation: { conversations: turns } } };
}

/** Check a `POST /v1/completions` body (one prompt string; token-id prompts are not served). */
export function parseCompletionRequest(raw: unknown): CompletionRequest {
  const body = objectBody(raw);
  const common = commonFields(body, ["max_tokens"]);
  const prompt = Array.isArray(body.prompt) && body.prompt.length === 1 ? body.prompt[0] : body.prompt;
  if (typeof prompt !== "string")
    throw invalidRequest(
      "prompt",
      present(body, "prompt") ? "invalid_type" : "missing_required_parameter",
      "`prompt` must be a string (or an array of one string)",
      "send one prompt per request; token-id prompts are not supported",
    );
  // OpenAI's text completions default to 16 new tokens.
  return { kind: "text", ...common, maxTokens: common.maxTokens ?? 16, input: { kind: "text", prompt } };
}
