import type { ValidationError } from "@flock/core";
import { describe, expect, it } from "vitest";
import { ByteTokenizer } from "../tokenizer/byteTokenizer.ts";
import { formatDpo, parseDpo, renderDpoPair } from "./dpo.ts";

describe("DPO pairs", () => {
  it("reads string prompts, message-list prompts and conversation prompts", () => {
    const text = [
      JSON.stringify({ prompt: "2+2?", chosen: "4", rejected: "5" }),
      JSON.stringify({
        prompt: [
          { role: "system", content: "Be exact." },
          { role: "user", content: "Capital of France?" },
        ],
        chosen: [{ role: "assistant", content: "Paris" }],
        rejected: [{ role: "assistant", content: "Lyon" }],
      }),
      JSON.stringify({
        prompt: { system: "S", conversations: [{ from: "human", value: "hi" }] },
        chosen: "hello",
        rejected: "go away",
      }),
    ].join("\n");
    const pairs = parseDpo(text);
    expect(pairs).toEqual([
      { prompt: { conversations: [{ role: "user", content: "2+2?" }] }, chosen: "4", rejected: "5" },
      {
        prompt: {
          conversations: [
            { role: "system", content: "Be exact." },
            { role: "user", content: "Capital of France?" },
          ],
        },
        chosen: "Paris",
        rejected: "Lyon",
      },
      {
        prompt: { system: "S", conversations: [{ role: "user", content: "hi" }] },
        chosen: "hello",
        rejected: "go away",
      },
    ]);
    expect(parseDpo(formatDpo(pairs)).map((p) => [p.chosen, p.rejected])).toEqual(
      pairs.map((p) => [p.chosen, p.rejected]),
    );
  });

  it("reports each bad line with its number and the problem", () => {
    const text = [
      JSON.stringify({ prompt: "q", chosen: "a" }),
      JSON.stringify({ prompt: "q", chosen: "a", rejected: "a" }),
      JSON.stringify({ prompt: 7, chosen: "a", rejected: "b" }),
      JSON.stringify({
        prompt: [
          { role: "user", content: "q" },
          { role: "assistant", content: "x" },
        ],
        chosen: "a",
        rejected: "b",
      }),
      JSON.stringify({ prompt: "q", chosen: ["a"], rejected: "b" }),
      JSON.stringify({ prompt: [{ role: "alien", content: "q" }], chosen: "a", rejected: "b" }),
      JSON.stringify({ prompt: "q", chosen: "a", rejected: "b" }),
    ].join("\n");
    try {
      parseDpo(text);
      throw new Error("expected failure");
    } catch (error) {
      const e = error as ValidationError;
      expect(e.code).toBe("DPO_INVALID");
      const problems = e.details!.problems as { line: number; message: string }[];
      expect(problems.map((p) => p.line)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(problems[0]!.message).toMatch(/no "rejected"/);
      expect(problems[1]!.message).toMatch(/identical/);
      expect(problems[2]!.message).toMatch(/"prompt" must be/);
      expect(problems[3]!.message).toMatch(/ends with an assistant turn/);
      expect(problems[4]!.message).toMatch(/"chosen" must be/);
      expect(problems[5]!.message).toMatch(/unknown role "alien"/);
    }
  });

  it("renders both replies after the same prompt, scoring only the reply", () => {
    const tok = new ByteTokenizer();
    const [pair] = parseDpo(JSON.stringify({ prompt: "2+2?", chosen: "4", rejected: "five" }));
    const { chosen, rejected } = renderDpoPair(pair!, tok);
    const promptLength = chosen.ids.length - 2; // "4" + end-of-turn
    expect(Array.from(rejected.ids.subarray(0, promptLength))).toEqual(
      Array.from(chosen.ids.subarray(0, promptLength)),
    );
    expect(chosen.scoredCount).toBe(2);
    expect(rejected.scoredCount).toBe(5);
  });
});
