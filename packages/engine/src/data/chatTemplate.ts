import { ValidationError } from "@flock/core";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import type { ChatMessage, Conversation } from "./sharegpt.ts";

/** Token ids of one example with, per token, whether it is a scored target and the bytes it stands for. */
export interface TokenizedExample {
  ids: Int32Array;
  /** 1 where the token is scored when predicted: assistant content and the assistant's end-of-turn. */
  scored: Uint8Array;
  /** UTF-8 bytes each token stands for (`tokenizer.tokenByteLength`), the BPC denominator. */
  targetBytes: Int32Array;
}

export interface RenderedChat extends TokenizedExample {
  /** True when the conversation was longer than `maxTokens` and its end was cut. */
  truncated: boolean;
  /** Number of scored tokens kept. */
  scoredCount: number;
}

export interface RenderChatOptions {
  /** Keep at most this many tokens (the end is cut). A model with context L trains on rows of L + 1 tokens. */
  maxTokens?: number;
}

function messagesOf(conversation: Conversation): ChatMessage[] {
  return conversation.system === undefined
    ? conversation.conversations
    : [{ role: "system", content: conversation.system }, ...conversation.conversations];
}

function checkMaxTokens(maxTokens: number | undefined): void {
  if (maxTokens !== undefined && (!Number.isSafeInteger(maxTokens) || maxTokens < 2)) {
    throw new ValidationError("CHAT_INVALID_MAX_TOKENS", `maxTokens ${maxTokens} must be an integer ≥ 2`, {
      hint: "pass the model's context length + 1",
    });
  }
}

/**
 * Render a conversation with the chat template
 * `bos (startOfTurn role "\n" content endOfTurn)*` and mark which tokens are scored: only the assistant's
 * content and its end-of-turn (the model must learn to stop); system, user and tool text and all headers
 * are context, never scored (SPEC §2.1: BPC over assistant tokens).
 */
export function renderChat(
  conversation: Conversation,
  tokenizer: Tokenizer,
  options: RenderChatOptions = {},
): RenderedChat {
  checkMaxTokens(options.maxTokens);
  const { bos, startOfTurn, endOfTurn } = tokenizer.specials;
  const ids: number[] = [bos];
  const scored: number[] = [0];
  const push = (tokens: readonly number[], isScored: boolean): void => {
    for (const t of tokens) {
      ids.push(t);
      scored.push(isScored ? 1 : 0);
    }
  };
  for (const message of messagesOf(conversation)) {
    const isAssistant = message.role === "assistant";
    push([startOfTurn], false);
    push(tokenizer.encode(`${message.role}\n`), false);
    push(tokenizer.encode(message.content), isAssistant);
    push([endOfTurn], isAssistant);
  }
  const limit = options.maxTokens ?? ids.length;
  const kept = Math.min(limit, ids.length);
  const out = new Int32Array(ids.slice(0, kept));
  const mask = new Uint8Array(scored.slice(0, kept));
  const bytes = new Int32Array(kept);
  let scoredCount = 0;
  for (let i = 0; i < kept; i++) {
    bytes[i] = tokenizer.tokenByteLength(out[i]!);
    scoredCount += mask[i]!;
  }
  return { ids: out, scored: mask, targetBytes: bytes, truncated: kept < ids.length, scoredCount };
}

/**
 * The prompt a model continues to answer: the conversation so far followed by `startOfTurn "assistant\n"`.
 * When longer than `maxTokens`, the oldest tokens after bos are dropped (generation needs the recent turns).
 */
export function renderGenerationPrompt(
  conversation: Conversation,
  tokenizer: Tokenizer,
  options: RenderChatOptions = {},
): number[] {
  checkMaxTokens(options.maxTokens);
  const rendered = renderChat(conversation, tokenizer);
  const ids = [...rendered.ids, tokenizer.specials.startOfTurn, ...tokenizer.encode("assistant\n")];
  if (options.maxTokens === undefined || ids.length <= options.maxTokens) return ids;
  return [ids[0]!, ...ids.slice(ids.length - (options.maxTokens - 1))];
}
