import { ValidationError } from "@flock/core";
import { describe, expect, it } from "vitest";
import { formatShareGpt, parseShareGpt } from "./sharegpt.ts";

function problemsOf(text: string): { line: number; message: string }[] {
  try {
    parseShareGpt(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe("SHAREGPT_INVALID");
    expect((error as ValidationError).hint).toMatch(/conversations/);
    return (error as ValidationError).details!.problems as { line: number; message: string }[];
  }
  throw new Error("expected a ValidationError");
}

describe("ShareGPT JSONL", () => {
  it("reads role/content and from/value conversations, skipping blank lines", () => {
    const text = [
      JSON.stringify({
        system: "Be brief.",
        conversations: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello!" },
          { role: "tool", content: "{}" },
        ],
      }),
      "",
      "   ",
      JSON.stringify({
        conversations: [
          { from: "human", value: "2+2?" },
          { from: "gpt", value: "4" },
        ],
      }),
      JSON.stringify({
        messages: [
          { role: "system", content: "s" },
          { role: "user", content: "" },
        ],
      }),
    ].join("\r\n");
    expect(parseShareGpt(text)).toEqual([
      {
        system: "Be brief.",
        conversations: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello!" },
          { role: "tool", content: "{}" },
        ],
      },
      {
        conversations: [
          { role: "user", content: "2+2?" },
          { role: "assistant", content: "4" },
        ],
      },
      {
        conversations: [
          { role: "system", content: "s" },
          { role: "user", content: "" },
        ],
      },
    ]);
  });

  it("round-trips through its own writer", () => {
    const data = [
      { system: "x", conversations: [{ role: "user" as const, content: 'quote " and\nnewline' }] },
      { conversations: [{ role: "assistant" as const, content: "ok" }] },
    ];
    expect(parseShareGpt(formatShareGpt(data))).toEqual(data);
  });

  it("names every bad line with its number and problem instead of dropping it", () => {
    const good = JSON.stringify({ conversations: [{ role: "user", content: "ok" }] });
    const text = [
      good,
      "{broken json",
      JSON.stringify({ conversations: [] }),
      good,
      JSON.stringify({ conversations: [{ role: "wizard", content: "x" }] }),
      JSON.stringify({ conversations: [{ role: "user", content: 5 }] }),
      JSON.stringify({ system: 3, conversations: [{ role: "user", content: "x" }] }),
      JSON.stringify([1, 2]),
      JSON.stringify({ chats: [] }),
      JSON.stringify({ conversations: [{ role: "user", value: "x" }] }),
    ].join("\n");
    const problems = problemsOf(text);
    expect(problems.map((p) => p.line)).toEqual([2, 3, 5, 6, 7, 8, 9, 10]);
    expect(problems[0]!.message).toMatch(/not valid JSON/);
    expect(problems[1]!.message).toMatch(/empty/);
    expect(problems[2]!.message).toMatch(/unknown role "wizard"/);
    expect(problems[3]!.message).toMatch(/conversations\[0\] has "content" of type number/);
    expect(problems[4]!.message).toMatch(/"system" must be a string/);
    expect(problems[5]!.message).toMatch(/must be a JSON object, got an array/);
    expect(problems[6]!.message).toMatch(/no "conversations" array/);
    expect(problems[7]!.message).toMatch(/mixes role\/content with from\/value/);
  });

  it("lists at most twenty problems in the message but counts them all", () => {
    const text = Array.from({ length: 30 }, () => "nope").join("\n");
    try {
      parseShareGpt(text);
    } catch (error) {
      expect((error as ValidationError).message).toMatch(/^30 invalid ShareGPT JSONL lines/);
      expect((error as ValidationError).message).toMatch(/… and 10 more/);
      return;
    }
    throw new Error("expected a ValidationError");
  });
});
