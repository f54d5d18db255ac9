/**
 * OpenAI's wire format for the routes Moonbase serves (`/v1/models`, `/v1/chat/completions`,
 * `/v1/completions`), as the official `openai` client sends and reads it.
 */

/** One chat message as sent; content is a string or an array of text parts. */
export interface ChatCompletionMessageParam {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  content: string | Array<{ type: "text"; text: string }>;
  name?: string;
}

/** The sampling fields shared by chat and text completions. */
export interface SamplingParams {
  model: string;
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  n?: number | null;
}

export interface ChatCompletionCreateParams extends SamplingParams {
  messages: ChatCompletionMessageParam[];
  max_completion_tokens?: number | null;
}

export interface CompletionCreateParams extends SamplingParams {
  prompt: string | [string];
}

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Moonbase: what the call was billed, FLOCK base units as a decimal string. */
  cost?: string;
}

export type FinishReason = "stop" | "length";

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: 0;
    message: { role: "assistant"; content: string; refusal: null };
    logprobs: null;
    finish_reason: FinishReason;
  }>;
  usage: CompletionUsage;
  system_fingerprint: string;
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  /** One choice with index 0, or none in the final usage chunk. */
  choices: Array<{
    index: 0;
    delta: { role?: "assistant"; content?: string };
    logprobs: null;
    finish_reason: FinishReason | null;
  }>;
  system_fingerprint: string;
  /** Present when the request asked for `stream_options.include_usage`: null except in the last chunk. */
  usage?: CompletionUsage | null;
}

export interface TextCompletion {
  id: string;
  object: "text_completion";
  created: number;
  model: string;
  choices: Array<{ index: 0; text: string; logprobs: null; finish_reason: FinishReason | null }>;
  system_fingerprint: string;
  usage?: CompletionUsage | null;
}

export interface ModelObject {
  id: string;
  object: "model";
  /** Unix seconds. */
  created: number;
  owned_by: string;
}

export interface ModelList {
  object: "list";
  data: ModelObject[];
}
