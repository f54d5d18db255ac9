import { asObject, parseJsonlRows, RowError } from "./jsonl.ts";

/** Who speaks a turn. */
export type ChatRole = "system" | "user" | "assistant" | "tool";

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** One ShareGPT-style conversation (SPEC §4): an optional system prompt and the turns. */
export interface Conversation {
  system?: string;
  conversations: ChatMessage[];
}

/** Role names accepted in files, mapped to ours (`from`/`value` files use human/gpt). */
const ROLE_ALIASES: Readonly<Record<string, ChatRole>> = {
  system: "system",
  user: "user",
  human: "user",
  assistant: "assistant",
  gpt: "assistant",
  tool: "tool",
  function: "tool",
  observation: "tool",
};

const FORMAT_HINT =
  'each line must be {"system"?: string, "conversations": [{"role": "system"|"user"|"assistant"|"tool", "content": string}, …]} ' +
  '(or {"from": "human"|"gpt"|"system"|"tool", "value": string} turns); fix or remove the listed lines';

function parseMessage(value: unknown, index: number): ChatMessage {
  const where = `conversations[${index}]`;
  const m = asObject(value, where);
  const hasRole = "role" in m || "content" in m;
  const hasFrom = "from" in m || "value" in m;
  if (hasRole && hasFrom) throw new RowError(`${where} mixes role/content with from/value; use one pair`);
  const roleName = hasFrom ? m.from : m.role;
  const content = hasFrom ? m.value : m.content;
  if (typeof roleName !== "string")
    throw new RowError(`${where} has no ${hasFrom ? '"from"' : '"role"'} string`);
  const role = ROLE_ALIASES[roleName.toLowerCase()];
  if (role === undefined) {
    throw new RowError(
      `${where} has unknown role "${roleName}" (known: ${Object.keys(ROLE_ALIASES).join(", ")})`,
    );
  }
  if (typeof content !== "string") {
    throw new RowError(
      `${where} has ${hasFrom ? '"value"' : '"content"'} of type ${content === null ? "null" : typeof content}; it must be a string`,
    );
  }
  return { role, content };
}

/** Validate one parsed JSON value as a conversation (throws RowError with what was wrong). */
export function parseConversation(value: unknown): Conversation {
  const row = asObject(value, "the line");
  if ("conversations" in row && "messages" in row) {
    throw new RowError('has both "conversations" and "messages"; keep one');
  }
  const turns = row.conversations ?? row.messages;
  if (!Array.isArray(turns)) throw new RowError('has no "conversations" array');
  if (turns.length === 0) throw new RowError('"conversations" is empty');
  if (row.system !== undefined && typeof row.system !== "string") {
    throw new RowError(`"system" must be a string, got ${typeof row.system}`);
  }
  const conversation: Conversation = { conversations: turns.map(parseMessage) };
  if (typeof row.system === "string") conversation.system = row.system;
  return conversation;
}

/**
 * Parse ShareGPT JSONL. Blank lines are skipped; every other line must be a valid conversation, else one
 * ValidationError (code SHAREGPT_INVALID) lists each bad line with its number and the problem.
 */
export function parseShareGpt(text: string): Conversation[] {
  return parseJsonlRows(text, parseConversation, {
    code: "SHAREGPT_INVALID",
    format: "ShareGPT JSONL",
    hint: FORMAT_HINT,
  });
}

/** Write conversations as ShareGPT JSONL (role/content form), one per line, newline-terminated. */
export function formatShareGpt(conversations: readonly Conversation[]): string {
  return conversations
    .map((c) =>
      JSON.stringify({
        ...(c.system === undefined ? {} : { system: c.system }),
        conversations: c.conversations.map((m) => ({ role: m.role, content: m.content })),
      }),
    )
    .map((line) => `${line}\n`)
    .join("");
}
