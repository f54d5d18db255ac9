import { generateCorpus } from "@flock/engine";
import { describe, expect, it } from "vitest";
import { demoData } from "./demoData.ts";
import { DEFAULT_DEMO, QUICK_DEMO } from "./demoSettings.ts";
import { pretrainingText, workedExamples } from "./pretrainingText.ts";

const question = (c: { conversations: { role: string; content: string }[] }) => c.conversations[0]!.content;

describe("the demo's data", () => {
  it("keeps every hidden question out of the training set and the base model's worked examples", () => {
    for (const settings of [DEFAULT_DEMO, QUICK_DEMO]) {
      const { train, hidden } = demoData(settings);
      expect(train).toHaveLength(settings.data.trainExamples);
      expect(hidden).toHaveLength(settings.data.hiddenExamples);
      const seen = new Set([...train, ...workedExamples(settings.pretrain.workedExamples)].map(question));
      expect(hidden.filter((c) => seen.has(question(c)))).toEqual([]);
      expect(demoData(settings)).toEqual({ train, hidden });
    }
  });

  it("pretrains on stories plus worked examples, which bring the digits and symbols the stories lack", () => {
    const options = { corpusBytes: 20_000, workedExamples: 30 };
    const text = pretrainingText(options);
    expect(pretrainingText(options)).toBe(text);
    expect(generateCorpus({ seed: 7, bytes: options.corpusBytes })).not.toMatch(/[0-9|=/-]/);
    expect(text.match(/^Question: /gm)).toHaveLength(30);
    for (const c of workedExamples(30))
      expect(text).toContain(`Question: ${question(c)}\nAnswer: ${c.conversations[1]!.content}`);
    expect(text).toMatch(/[0-9]/);
  });
});
