import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import { type RenderChatOptions, type RenderedChat, renderChat } from "./chatTemplate.ts";
import { asObject, parseJsonlRows, RowError } from "./jsonl.ts";
import { type ChatMessage, type Conversation, parseConversation } from "./sharegpt.ts";

/** A preference pair (SPEC §2.3, DPO JSONL): a prompt conversation and two assistant replies. */
export interface DpoPair {
  /** The conversation up to the reply (a plain-text prompt becomes one user turn). */
  prompt: Conversation;
  chosen: string;
  rejected: string;
}

const FORMAT_HINT =
  'each line must be {"prompt": string | [{"role","content"}, …] | {"system"?, "conversations": […]}, ' +
  '"chosen": string | [{"role": "assistant", "content"}], "rejected": same as chosen}; fix or remove the listed lines';

function parsePrompt(value: unknown): Conversation {
  if (typeof value === "string") {
    if (value.length === 0) throw new RowError('"prompt" is empty');
    return { conversations: [{ role: "user", content: value }] };
  }
  if (Array.isArray(value)) {
    try {
      return parseConversation({ conversations: value });
    } catch (error) {
      if (error instanceof RowError) throw new RowError(`"prompt" ${error.message}`);
      throw error;
    }
  }
  if (typeof value === "object" && value !== null) {
    try {
      return parseConversation(value);
    } catch (error) {
      if (error instanceof RowError) throw new RowError(`"prompt" ${error.message}`);
      throw error;
    }
  }
  throw new RowError(
    `"prompt" must be a string, a list of messages or a conversation, got ${value === null ? "null" : typeof value}`,
  );
}

function parseReply(value: unknown, field: "chosen" | "rejected"): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === "object" && value[0] !== null) {
    const m = value[0] as Record<string, unknown>;
    if ((m.role === "assistant" || m.from === "gpt") && typeof (m.content ?? m.value) === "string") {
      return (m.content ?? m.value) as string;
    }
  }
  throw new RowError(
    `"${field}" must be a string or a one-element list [{"role": "assistant", "content": string}]`,
  );
}

/** Validate one parsed JSON value as a DPO pair. */
export function parseDpoPair(value: unknown): DpoPair {
  const row = asObject(value, "the line");
  for (const field of ["prompt", "chosen", "rejected"]) {
    if (!(field in row)) throw new RowError(`has no "${field}" field`);
  }
  const pair = {
    prompt: parsePrompt(row.prompt),
    chosen: parseReply(row.chosen, "chosen"),
    rejected: parseReply(row.rejected, "rejected"),
  };
  const last = pair.prompt.conversations[pair.prompt.conversations.length - 1]!;
  if (last.role === "assistant")
    throw new RowError('"prompt" ends with an assistant turn; it must end before the reply');
  if (pair.chosen === pair.rejected)
    throw new RowError('"chosen" and "rejected" are identical, so the pair prefers nothing');
  return pair;
}

/** Parse DPO JSONL; any bad line raises one ValidationError (DPO_INVALID) listing line numbers and problems. */
export function parseDpo(text: string): DpoPair[] {
  return parseJsonlRows(text, parseDpoPair, { code: "DPO_INVALID", format: "DPO JSONL", hint: FORMAT_HINT });
}

/** Write DPO pairs as JSONL (prompt as a message list), one per line. */
export function formatDpo(pairs: readonly DpoPair[]): string {
  return pairs
    .map((p) => {
      const prompt: ChatMessage[] =
        p.prompt.system === undefined
          ? p.prompt.conversations
          : [{ role: "system", content: p.prompt.system }, ...p.prompt.conversations];
      return `${JSON.stringify({ prompt, chosen: p.chosen, rejected: p.rejected })}\n`;
    })
    .join("");
}

/** Render both sides of a pair with the chat template; only each reply (and its end-of-turn) is scored. */
export function renderDpoPair(
  pair: DpoPair,
  tokenizer: Tokenizer,
  options: RenderChatOptions = {},
): { chosen: RenderedChat; rejected: RenderedChat } {
  const withReply = (content: string): Conversation => ({
    ...pair.prompt,
    conversations: [...pair.prompt.conversations, { role: "assistant", content }],
  });
  return {
    chosen: renderChat(withReply(pair.chosen), tokenizer, options),
    rejected: renderChat(withReply(pair.rejected), tokenizer, options),
  };
}
