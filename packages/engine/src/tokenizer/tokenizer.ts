/** The special tokens a chat model needs; ids are within the tokenizer's vocabulary. */
export interface SpecialTokens {
  bos: number;
  eos: number;
  pad: number;
  /** Marks the start of a chat turn; followed by the role name and a newline in the chat template. */
  startOfTurn: number;
  /** Marks the end of a chat turn. */
  endOfTurn: number;
}

/** A tokenizer turns text into token ids and back. */
export interface Tokenizer {
  readonly kind: "byte" | "huggingface";
  readonly vocabSize: number;
  readonly specials: SpecialTokens;
  /** Encode text (no special tokens added). */
  encode(text: string): number[];
  /** Decode ids; special tokens are dropped. */
  decode(ids: readonly number[]): string;
  /** UTF-8 bytes a token stands for (0 for specials); the denominator of bits per byte. */
  tokenByteLength(id: number): number;
}
