import { ValidationError } from "@flock/core";
import type { SpecialTokens, Tokenizer } from "./tokenizer.ts";

/** Ids of the byte tokenizer's special tokens, right after the 256 byte values. */
export const BYTE_SPECIALS: SpecialTokens = {
  bos: 256,
  eos: 257,
  pad: 258,
  startOfTurn: 259,
  endOfTurn: 260,
};

/** Names of the byte tokenizer's special tokens, by id (used in model configs and debugging output). */
export const BYTE_SPECIAL_NAMES: Readonly<Record<number, string>> = {
  256: "<|bos|>",
  257: "<|eos|>",
  258: "<|pad|>",
  259: "<|start_of_turn|>",
  260: "<|end_of_turn|>",
};

/**
 * The default tokenizer: one token per UTF-8 byte (ids 0–255) plus five specials (256–260), so every text
 * encodes losslessly and bits per byte needs no tokenizer correction.
 */
export class ByteTokenizer implements Tokenizer {
  readonly kind = "byte" as const;
  readonly vocabSize = 261;
  readonly specials: SpecialTokens = BYTE_SPECIALS;
  readonly #encoder = new TextEncoder();
  // Invalid UTF-8 (e.g. a sampled sequence cut mid-character) decodes to U+FFFD instead of throwing.
  readonly #decoder = new TextDecoder("utf-8", { fatal: false });

  /** Encode text as its UTF-8 bytes. */
  encode(text: string): number[] {
    return Array.from(this.#encoder.encode(text));
  }

  /** Decode byte ids to text, dropping special tokens. */
  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      this.#check(id);
      if (id < 256) bytes.push(id);
    }
    return this.#decoder.decode(new Uint8Array(bytes));
  }

  /** 1 for a byte token, 0 for a special. */
  tokenByteLength(id: number): number {
    this.#check(id);
    return id < 256 ? 1 : 0;
  }

  #check(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new ValidationError(
        "TOKEN_ID_OUT_OF_RANGE",
        `token id ${id} is outside the byte vocabulary 0..260`,
        {
          hint: "decode only ids produced by the byte tokenizer or a model with vocab size 261",
        },
      );
    }
  }
}
