import { describe, expect, it } from "vitest";
import { ByteTokenizer } from "../tokenizer/byteTokenizer.ts";
import { HfTokenizer } from "../tokenizer/hfTokenizer.ts";
import { trainBpe } from "../tokenizer/trainBpe.ts";
import { renderChat, renderGenerationPrompt } from "./chatTemplate.ts";
import type { Conversation } from "./sharegpt.ts";

const tok = new ByteTokenizer();
const S = tok.specials;
const conversation: Conversation = {
  system: "Sys",
  conversations: [
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Yo" },
    { role: "tool", content: "T" },
    { role: "assistant", content: "ok" },
  ],
};

/** The text of the tokens where `mask` is 1. */
function scoredText(ids: Int32Array, mask: Uint8Array): number[] {
  return Array.from(ids).filter((_, i) => mask[i] === 1);
}

describe("chat template", () => {
  it("renders bos then startOfTurn role\\n content endOfTurn for every turn", () => {
    const r = renderChat(conversation, tok);
    const b = (s: string) => tok.encode(s);
    const expected = [
      S.bos,
      ...[S.startOfTurn, ...b("system\n"), ...b("Sys"), S.endOfTurn],
      ...[S.startOfTurn, ...b("user\n"), ...b("Hi"), S.endOfTurn],
      ...[S.startOfTurn, ...b("assistant\n"), ...b("Yo"), S.endOfTurn],
      ...[S.startOfTurn, ...b("tool\n"), ...b("T"), S.endOfTurn],
      ...[S.startOfTurn, ...b("assistant\n"), ...b("ok"), S.endOfTurn],
    ];
    expect(Array.from(r.ids)).toEqual(expected);
    expect(r.truncated).toBe(false);
  });

  it("scores only assistant content and the assistant's end-of-turn", () => {
    const r = renderChat(conversation, tok);
    expect(scoredText(r.ids, r.scored)).toEqual([
      ...tok.encode("Yo"),
      S.endOfTurn,
      ...tok.encode("ok"),
      S.endOfTurn,
    ]);
    expect(r.scoredCount).toBe(6);
    // Bytes per token: 1 for text, 0 for specials; the scored bytes are exactly the assistant's text.
    const scoredBytes = Array.from(r.targetBytes).reduce((s, n, i) => s + (r.scored[i] ? n : 0), 0);
    expect(scoredBytes).toBe(4);
    expect(r.targetBytes[0]).toBe(0);
  });

  it("truncates to maxTokens by cutting the end, keeping the masks aligned", () => {
    const full = renderChat(conversation, tok);
    const cut = renderChat(conversation, tok, { maxTokens: 30 });
    expect(cut.truncated).toBe(true);
    expect(cut.ids).toHaveLength(30);
    expect(Array.from(cut.ids)).toEqual(Array.from(full.ids.subarray(0, 30)));
    expect(Array.from(cut.scored)).toEqual(Array.from(full.scored.subarray(0, 30)));
    expect(cut.scoredCount).toBe(Array.from(full.scored.subarray(0, 30)).reduce((a, b) => a + b, 0));
    expect(() => renderChat(conversation, tok, { maxTokens: 1 })).toThrow(/maxTokens/);
  });

  it("builds a generation prompt ending in the assistant header, keeping bos and the latest tokens when cut", () => {
    const prompt = renderGenerationPrompt({ conversations: [{ role: "user", content: "Hi" }] }, tok);
    expect(prompt.slice(-11)).toEqual([S.startOfTurn, ...tok.encode("assistant\n")]);
    const short = renderGenerationPrompt(conversation, tok, { maxTokens: 16 });
    expect(short).toHaveLength(16);
    expect(short[0]).toBe(S.bos);
    expect(short.slice(-11)).toEqual([S.startOfTurn, ...tok.encode("assistant\n")]);
  });

  it("works the same way with a Hugging Face tokenizer, scoring the reply's bytes exactly", () => {
    const hf = new HfTokenizer(trainBpe("user assistant system hello world ".repeat(50), { vocabSize: 300 }));
    const r = renderChat(
      {
        conversations: [
          { role: "user", content: "hello" },
          { role: "assistant", content: "hello world" },
        ],
      },
      hf,
    );
    expect(hf.decode(scoredText(r.ids, r.scored))).toBe("hello world");
    expect(scoredText(r.ids, r.scored).at(-1)).toBe(hf.specials.endOfTurn);
    const bytes = Array.from(r.targetBytes).reduce((s, n, i) => s + (r.scored[i] ? n : 0), 0);
    expect(bytes).toBe(11);
  });
});
