import type { FinishReason } from "./openAiWire.ts";

/** How a completion ended: OpenAI's finish reason, or "abort" when the client went away. */
export interface CompletionResult {
  text: string;
  finishReason: FinishReason | "abort";
  /** Prompt and completion tokens billed: the model tokenizer's ids, or an upstream's own usage. */
  promptTokens: number;
  completionTokens: number;
  /**
   * For a model routed upstream: the route that answered, and whether the usage is the upstream's
   * (`stream_options.include_usage`) or counted here because it reported none.
   */
  upstream?: { baseUrl: string; model: string; usage: "upstream" | "counted" };
}

/** A request whose model is loaded and whose prompt fits: what remains is to run it. */
export interface PreparedCompletion {
  /** The served model's id. */
  model: string;
  /** `chatcmpl-…` or `cmpl-…`. */
  id: string;
  /** Unix seconds. */
  created: number;
  promptTokens: number;
  /**
   * The most tokens the completion may have: `max_tokens`, or the rest of the model's context (absent when an
   * upstream decides and the request set no `max_tokens`).
   */
  maxCompletionTokens?: number;
  /**
   * Decode, calling `onText` with each new piece (awaited: a slow reader slows its own decoding); stops
   * between tokens once `signal` is aborted.
   */
  run(options: { onText?: (delta: string) => unknown; signal?: AbortSignal }): Promise<CompletionResult>;
}
