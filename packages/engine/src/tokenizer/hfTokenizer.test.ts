import { ValidationError } from "@flock/core";
import { describe, expect, it } from "vitest";
import { generateCorpus } from "../datasets/corpus.ts";
import { HfTokenizer } from "./hfTokenizer.ts";
import { trainBpe } from "./trainBpe.ts";

describe("byte-level BPE trained here, loaded through @huggingface/tokenizers", () => {
  const corpus = generateCorpus({ seed: 3, bytes: 60_000 });
  const json = trainBpe(corpus, { vocabSize: 512 });
  const tok = new HfTokenizer(json);

  it("learns the requested number of tokens deterministically", () => {
    expect(tok.vocabSize).toBe(512);
    expect(json.model.merges.length).toBeGreaterThanOrEqual(512 - 256 - 5);
    expect(trainBpe(corpus, { vocabSize: 512 })).toEqual(json);
    // Frequent story words become single tokens.
    const the = tok.encode(" the");
    expect(the).toHaveLength(1);
  });

  it("is valid JSON that survives serialization", () => {
    const again = new HfTokenizer(JSON.parse(JSON.stringify(json)));
    expect(again.encode("Once upon a time")).toEqual(tok.encode("Once upon a time"));
  });

  it("round-trips seen and unseen text, including characters absent from the corpus", () => {
    for (const text of [
      corpus.slice(0, 500),
      "Zebras können 42 Äpfel essen! 🦓\n  indented\ttabs",
      "   ",
      "",
    ]) {
      expect(tok.decode(tok.encode(text))).toBe(text);
    }
  });

  it("compresses the corpus it was trained on", () => {
    const sample = corpus.slice(0, 5000);
    expect(tok.encode(sample).length).toBeLessThan(sample.length / 2);
  });

  it("finds its special tokens by name and keeps them out of decoded text", () => {
    const s = tok.specials;
    expect(new Set(Object.values(s)).size).toBe(5);
    for (const id of Object.values(s)) {
      expect(id).toBeGreaterThanOrEqual(507);
      expect(tok.tokenByteLength(id)).toBe(0);
    }
    expect(tok.idToToken(s.startOfTurn)).toBe("<|start_of_turn|>");
    expect(tok.decode([s.bos, ...tok.encode("hi"), s.endOfTurn])).toBe("hi");
  });

  it("counts the UTF-8 bytes of every token, so byte lengths of an encoding add up to the text's bytes", () => {
    for (const text of [corpus.slice(1000, 3000), "naïve café — 漢字 and emoji 🦊"]) {
      const ids = tok.encode(text);
      const total = ids.reduce((sum, id) => sum + tok.tokenByteLength(id), 0);
      expect(total).toBe(new TextEncoder().encode(text).byteLength);
    }
  });

  it("accepts explicit special-token names and refuses unknown ones", () => {
    const custom = new HfTokenizer(json, { specials: { pad: "<|eos|>" } });
    expect(custom.specials.pad).toBe(tok.specials.eos);
    expect(() => new HfTokenizer(json, { specials: { bos: "<nope>" } })).toThrow(ValidationError);
  });

  it("reports which specials are missing from a tokenizer without chat tokens", () => {
    const plain = trainBpe("abc abc abc", { vocabSize: 260, specialTokens: ["<|bos|>", "<|eos|>"] });
    try {
      new HfTokenizer(plain);
      throw new Error("expected failure");
    } catch (error) {
      expect((error as ValidationError).code).toBe("HF_TOKENIZER_MISSING_SPECIAL");
      expect((error as ValidationError).message).toContain("startOfTurn, endOfTurn");
    }
    const ok = new HfTokenizer(plain, { specials: { startOfTurn: "<|bos|>", endOfTurn: "<|eos|>" } });
    expect(ok.specials.pad).toBe(ok.specials.eos);
  });

  it("rejects something that is not a tokenizer.json", () => {
    expect(() => new HfTokenizer({ hello: 1 })).toThrow(/no model section/);
    expect(() => trainBpe("x", { vocabSize: 100 })).toThrow(/cannot hold the 256 bytes/);
  });
});

/** A tiny SentencePiece-style (Llama 2 layout) tokenizer.json: Metaspace "▁", byte fallback, ChatML turn tokens. */
function llamaStyleTokenizerJson(): unknown {
  const vocab: Record<string, number> = { "<unk>": 0, "<s>": 1, "</s>": 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`] = 3 + b;
  const pieces = [
    "▁",
    "h",
    "e",
    "l",
    "o",
    "w",
    "r",
    "d",
    "▁h",
    "▁he",
    "ll",
    "▁hell",
    "▁hello",
    "▁w",
    "or",
    "▁wor",
    "ld",
    "▁world",
  ];
  for (const p of pieces) vocab[p] = Object.keys(vocab).length;
  const merges = [
    ["▁", "h"],
    ["▁h", "e"],
    ["l", "l"],
    ["▁he", "ll"],
    ["▁hell", "o"],
    ["▁", "w"],
    ["o", "r"],
    ["▁w", "or"],
    ["l", "d"],
    ["▁wor", "ld"],
  ];
  const n = Object.keys(vocab).length;
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: "1.0",
    added_tokens: [
      special(0, "<unk>"),
      special(1, "<s>"),
      special(2, "</s>"),
      special(n, "<|im_start|>"),
      special(n + 1, "<|im_end|>"),
    ],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "Prepend", prepend: "▁" },
        { type: "Replace", pattern: { String: " " }, content: "▁" },
      ],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: "▁" }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        { type: "Strip", content: " ", start: 1, stop: 0 },
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<unk>",
      fuse_unk: true,
      byte_fallback: true,
      vocab,
      merges,
    },
  };
}

describe("a SentencePiece-style tokenizer.json (Metaspace, byte fallback)", () => {
  const tok = new HfTokenizer(llamaStyleTokenizerJson(), {
    config: { bos_token: "<s>", eos_token: { content: "</s>" } },
  });

  it("maps specials from tokenizer_config and ChatML names, padding with eos", () => {
    expect(tok.specials.bos).toBe(1);
    expect(tok.specials.eos).toBe(2);
    expect(tok.specials.pad).toBe(2);
    expect(tok.idToToken(tok.specials.startOfTurn)).toBe("<|im_start|>");
    expect(tok.idToToken(tok.specials.endOfTurn)).toBe("<|im_end|>");
  });

  it("round-trips text through merges and byte fallback", () => {
    const ids = tok.encode("hello world ü");
    expect(ids.slice(0, 2).map((id) => tok.idToToken(id))).toEqual(["▁hello", "▁world"]);
    expect(tok.decode(ids)).toBe("hello world ü");
  });

  it("counts a piece's leading ▁ as the space it stands for and a byte token as one byte", () => {
    const helloId = tok.encode("hello")[0]!;
    expect(tok.idToToken(helloId)).toBe("▁hello");
    expect(tok.tokenByteLength(helloId)).toBe(6);
    expect(tok.tokenByteLength(3 + 0xc3)).toBe(1);
    const ids = tok.encode("hello world ü");
    // SentencePiece prepends one space to the text, so the bytes counted are those of " " + text.
    expect(ids.reduce((s, id) => s + tok.tokenByteLength(id), 0)).toBe(
      new TextEncoder().encode(" hello world ü").byteLength,
    );
  });
});
