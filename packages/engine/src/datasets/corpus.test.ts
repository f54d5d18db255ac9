import { describe, expect, it } from "vitest";
import { generateCorpus, generateStories, unigramBitsPerByte } from "./corpus.ts";

/** Empirical conditional entropy of the next byte given the previous k bytes, in bits per byte. */
function contextEntropy(text: string, k: number): number {
  const joint = new Map<string, number>();
  const context = new Map<string, number>();
  for (let i = k; i < text.length; i++) {
    const c = text.slice(i - k, i);
    joint.set(c + text[i], (joint.get(c + text[i]) ?? 0) + 1);
    context.set(c, (context.get(c) ?? 0) + 1);
  }
  let h = 0;
  for (const [key, n] of joint) h -= n * Math.log2(n / context.get(key.slice(0, k))!);
  return h / (text.length - k);
}

describe("generated story corpus", () => {
  const corpus = generateCorpus({ seed: 1, bytes: 200_000 });

  it("has exactly the requested size, is ASCII, and repeats for a seed", () => {
    expect(corpus.length).toBe(200_000);
    expect(new TextEncoder().encode(corpus).byteLength).toBe(200_000);
    expect(generateCorpus({ seed: 1, bytes: 200_000 })).toBe(corpus);
    expect(generateCorpus({ seed: 2, bytes: 1000 })).not.toBe(corpus.slice(0, 1000));
    expect(corpus.startsWith(generateCorpus({ seed: 1, bytes: 5000 }))).toBe(true);
  });

  it("keeps characters consistent inside a story", () => {
    for (const story of generateStories({ seed: 4, count: 50 })) {
      const hero = story.match(/(?:named|called) (\w+)\.|^(\w+) was an? /);
      expect(hero).not.toBeNull();
      const name = hero![1] ?? hero![2]!;
      expect(story.split(name).length - 1).toBeGreaterThanOrEqual(3);
      expect(story).toMatch(/[.!"]$/);
    }
  });

  it("makes counts add up in sharing stories", () => {
    const words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
    let checked = 0;
    for (const story of generateStories({ seed: 5, count: 200 })) {
      const found = story.match(/found (\w+) \w+ in/);
      const gave = story.match(/gave (\w+) \w+ to/);
      const left = story.match(/had (\w+) \w+ left/);
      if (found && gave && left) {
        expect(words.indexOf(found[1]!) - words.indexOf(gave[1]!)).toBe(words.indexOf(left[1]!));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("has enough structure to predict far below its unigram entropy", () => {
    const unigram = unigramBitsPerByte(corpus);
    expect(unigram).toBeGreaterThan(4.2);
    expect(unigram).toBeLessThan(4.6);
    // Even a 4-byte context model (fit on the same text, so optimistic) roughly quarters the entropy.
    expect(contextEntropy(corpus, 4)).toBeLessThan(unigram / 3);
  });

  it("computes unigram entropy exactly on small cases", () => {
    expect(unigramBitsPerByte("aaaa")).toBe(0);
    expect(unigramBitsPerByte("abab")).toBe(1);
    expect(unigramBitsPerByte("abcd")).toBe(2);
    expect(unigramBitsPerByte("")).toBe(0);
  });
});
