import { describe, expect, it } from "vitest";
import { renderChat } from "../data/chatTemplate.ts";
import { formatShareGpt, parseShareGpt } from "../data/sharegpt.ts";
import { ByteTokenizer } from "../tokenizer/byteTokenizer.ts";
import {
  checkAnswer,
  generateInstructionDataset,
  INSTRUCTION_KINDS,
  type InstructionExample,
  splitTrainValidation,
} from "./instructions.ts";

function replyOf(e: InstructionExample): string {
  return e.conversation.conversations.at(-1)!.content;
}

describe("synthetic instruction dataset", () => {
  const data = generateInstructionDataset({ seed: 7, count: 1000 });

  it("is deterministic per seed and covers every kind", () => {
    expect(generateInstructionDataset({ seed: 7, count: 1000 })).toEqual(data);
    expect(generateInstructionDataset({ seed: 8, count: 50 })).not.toEqual(data.slice(0, 50));
    for (const kind of INSTRUCTION_KINDS)
      expect(data.filter((e) => e.kind === kind).length).toBeGreaterThan(150);
    const only = generateInstructionDataset({ seed: 1, count: 40, kinds: ["sorting"] });
    expect(only.every((e) => e.kind === "sorting")).toBe(true);
  });

  it("is valid ShareGPT that survives a JSONL round trip and renders with scored replies", () => {
    const conversations = data.map((e) => e.conversation);
    expect(parseShareGpt(formatShareGpt(conversations))).toEqual(conversations);
    const tok = new ByteTokenizer();
    const r = renderChat(data[0]!.conversation, tok);
    expect(r.scoredCount).toBe(tok.encode(replyOf(data[0]!)).length + 1);
  });

  it("accepts every reference reply", () => {
    for (const e of data) expect(checkAnswer(e, replyOf(e)), `${e.id}: ${replyOf(e)}`).toBe(true);
  });

  it("accepts correct answers phrased differently and rejects wrong ones", () => {
    const find = (kind: string, pred: (e: InstructionExample) => boolean = () => true) =>
      data.find((e) => e.kind === kind && pred(e))!;
    const arith = find("arithmetic");
    expect(checkAnswer(arith, `The answer is ${arith.answer}.`)).toBe(true);
    expect(checkAnswer(arith, `The answer is ${Number(arith.answer) + 1}.`)).toBe(false);
    expect(checkAnswer(arith, "I don't know")).toBe(false);

    const unit = find("unitConversion");
    expect(checkAnswer(unit, `That is ${unit.answer}.`)).toBe(true);
    expect(checkAnswer(unit, `That is ${Number(unit.answer) * 10}.`)).toBe(false);

    const date = find("dateFormatting", (e) => /[A-Z][a-z]+ \d+, \d{4}/.test(e.answer));
    expect(checkAnswer(date, `Sure: ${date.answer.toLowerCase()}.`)).toBe(true);
    expect(checkAnswer(date, `1${date.answer}`)).toBe(false);
    expect(checkAnswer(date, date.answer.replace(/\d{4}$/, "1900"))).toBe(false);

    const sort = find("sorting");
    expect(checkAnswer(sort, `Sorted: ${sort.answer}`)).toBe(true);
    const items = sort.answer.split(", ");
    expect(checkAnswer(sort, [...items].reverse().join(", "))).toBe(false);
    expect(checkAnswer(sort, items.slice(1).join(", "))).toBe(false);

    const lookup = find("tableLookup", (e) => /^[A-Z]/.test(e.answer));
    expect(checkAnswer(lookup, `They live in ${lookup.answer}.`)).toBe(true);
    const question = lookup.conversation.conversations[0]!.content;
    const allCities = question
      .split("\n")
      .slice(1)
      .filter((l) => l.includes("|"))
      .map((l) => l.split(" | ")[1]);
    expect(checkAnswer(lookup, allCities.join(" or "))).toBe(false);
    const wrong = allCities.find((c) => c !== lookup.answer)!;
    expect(checkAnswer(lookup, wrong)).toBe(false);
  });

  it("splits into train and validation deterministically without overlap or loss", () => {
    const { train, validation } = splitTrainValidation(data, { validationFraction: 0.1, seed: 3 });
    expect(validation).toHaveLength(100);
    expect(train).toHaveLength(900);
    const ids = new Set([...train, ...validation].map((e) => e.id));
    expect(ids.size).toBe(1000);
    expect(splitTrainValidation(data, { validationFraction: 0.1, seed: 3 }).validation).toEqual(validation);
    expect(splitTrainValidation(data, { validationFraction: 0.1, seed: 4 }).validation).not.toEqual(
      validation,
    );
    expect(() => splitTrainValidation(data, { validationFraction: 1.5, seed: 1 })).toThrow(
      /validationFraction/,
    );
  });
});
