import { ValidationError } from "@flock/core";
import { BYTE_TO_UNICODE, splitGpt2, toByteLevel } from "./byteLevel.ts";

/** Special tokens a trained tokenizer gets, appended after the merges (found by name by `HfTokenizer`). */
export const DEFAULT_BPE_SPECIALS = ["<|bos|>", "<|eos|>", "<|pad|>", "<|start_of_turn|>", "<|end_of_turn|>"];

export interface TrainBpeOptions {
  /** Total vocabulary including the 256 bytes and the specials. */
  vocabSize: number;
  /** Stop merging when the best pair occurs fewer times than this (default 2). */
  minFrequency?: number;
  specialTokens?: readonly string[];
}

/** The `tokenizer.json` layout Hugging Face `tokenizers` reads (the parts a byte-level BPE needs). */
export interface HfTokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: {
    id: number;
    content: string;
    single_word: boolean;
    lstrip: boolean;
    rstrip: boolean;
    normalized: boolean;
    special: boolean;
  }[];
  normalizer: null;
  pre_tokenizer: { type: "ByteLevel"; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  post_processor: null;
  decoder: { type: "ByteLevel"; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  model: {
    type: "BPE";
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: [string, string][];
  };
}

/**
 * Learn byte-level BPE merges from a corpus (Sennrich et al. 2016, with GPT-2's byte alphabet and
 * pre-tokenization) and return a Hugging Face `tokenizer.json`. Deterministic: ties between equally
 * frequent pairs go to the lexicographically smallest pair.
 */
export function trainBpe(corpus: string | readonly string[], options: TrainBpeOptions): HfTokenizerJson {
  const specials = options.specialTokens ?? DEFAULT_BPE_SPECIALS;
  const minFrequency = options.minFrequency ?? 2;
  const maxMerges = options.vocabSize - 256 - specials.length;
  if (!Number.isInteger(options.vocabSize) || maxMerges < 0) {
    throw new ValidationError(
      "BPE_VOCAB_TOO_SMALL",
      `vocabSize ${options.vocabSize} cannot hold the 256 bytes and ${specials.length} special tokens`,
      { hint: `use a vocabSize of at least ${256 + specials.length}` },
    );
  }
  // Count each pre-tokenized piece once; merges are learned over unique words weighted by frequency.
  const wordCounts = new Map<string, number>();
  for (const text of typeof corpus === "string" ? [corpus] : corpus) {
    for (const piece of splitGpt2(text)) wordCounts.set(piece, (wordCounts.get(piece) ?? 0) + 1);
  }
  const words: { symbols: string[]; count: number }[] = [];
  for (const [piece, count] of [...wordCounts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    words.push({ symbols: toByteLevel(piece), count });
  }

  const vocab: Record<string, number> = {};
  BYTE_TO_UNICODE.forEach((ch, b) => {
    vocab[ch] = b;
  });
  const merges: [string, string][] = [];
  let nextId = 256;
  while (nextId - 256 < maxMerges) {
    const pairCounts = new Map<string, number>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.symbols.length; i++) {
        const key = `${w.symbols[i]} ${w.symbols[i + 1]}`;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + w.count);
      }
    }
    let best = "";
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (bestCount < minFrequency || best === "") break;
    // Byte-level symbols never contain a space (space is "Ġ"), so the key splits unambiguously.
    const [left, right] = best.split(" ") as [string, string];
    const merged = left + right;
    merges.push([left, right]);
    // Two different merges can spell the same string ("ab"+"c", "a"+"bc"): one id serves both.
    if (!Object.hasOwn(vocab, merged)) vocab[merged] = nextId++;
    for (const w of words) {
      const s = w.symbols;
      let out: string[] | undefined;
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === left && s[i + 1] === right) {
          out ??= s.slice(0, i);
          out.push(merged);
          i++;
        } else if (out !== undefined) {
          out.push(s[i]!);
        }
      }
      if (out !== undefined) w.symbols = out;
    }
  }

  const firstSpecial = nextId;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, i) => ({
      id: firstSpecial + i,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
