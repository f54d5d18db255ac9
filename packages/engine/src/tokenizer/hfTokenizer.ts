import { EngineError, ValidationError } from "@flock/core";
import { Tokenizer as HfCoreTokenizer } from "@huggingface/tokenizers";
import { UNICODE_TO_BYTE } from "./byteLevel.ts";
import type { SpecialTokens, Tokenizer } from "./tokenizer.ts";

/** Special-token strings of well-known model families, tried in order when none is named explicitly. */
const SPECIAL_CANDIDATES: Readonly<Record<keyof SpecialTokens, readonly string[]>> = {
  bos: ["<|bos|>", "<s>", "<bos>", "<|begin_of_text|>", "<|startoftext|>", "[CLS]", "<|endoftext|>"],
  eos: ["<|eos|>", "</s>", "<eos>", "<|end_of_text|>", "<|endoftext|>", "[SEP]"],
  pad: ["<|pad|>", "<pad>", "[PAD]", "<|finetune_right_pad_id|>", "<|endoftext|>"],
  startOfTurn: ["<|start_of_turn|>", "<|im_start|>", "<start_of_turn>", "<|start_header_id|>"],
  endOfTurn: ["<|end_of_turn|>", "<|im_end|>", "<end_of_turn>", "<|eot_id|>"],
};

/** `tokenizer_config.json` keys that name specials (transformers' convention). */
const CONFIG_KEYS: Partial<Record<keyof SpecialTokens, string>> = {
  bos: "bos_token",
  eos: "eos_token",
  pad: "pad_token",
};

export interface HfTokenizerOptions {
  /** The model's `tokenizer_config.json`, if any (its bos/eos/pad tokens are used). */
  config?: Record<string, unknown>;
  /** Token strings to use as specials, overriding every default. */
  specials?: Partial<Record<keyof SpecialTokens, string>>;
}

interface TokenizerJsonShape {
  added_tokens?: { id: number; content: string; special?: boolean }[];
  model?: { type?: string; byte_fallback?: boolean; vocab?: unknown };
  pre_tokenizer?: unknown;
  decoder?: unknown;
}

function mentionsType(node: unknown, type: string): boolean {
  return JSON.stringify(node ?? null).includes(`"type":"${type}"`);
}

function tokenString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { content?: unknown }).content === "string"
  ) {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * Any Hugging Face `tokenizer.json` (BPE, Unigram, WordPiece …) behind the engine's `Tokenizer` interface,
 * through `@huggingface/tokenizers`. Specials map to the model's own tokens (ChatML, Llama 3, Gemma, …).
 */
export class HfTokenizer implements Tokenizer {
  readonly kind = "huggingface" as const;
  readonly vocabSize: number;
  readonly specials: SpecialTokens;
  readonly #tokenizer: HfCoreTokenizer;
  readonly #specialIds: Set<number>;
  readonly #byteLengths: Int32Array;

  constructor(tokenizerJson: unknown, options: HfTokenizerOptions = {}) {
    if (typeof tokenizerJson !== "object" || tokenizerJson === null || !("model" in tokenizerJson)) {
      throw new ValidationError("HF_TOKENIZER_INVALID", "tokenizer.json has no model section", {
        hint: "pass the parsed contents of a Hugging Face tokenizer.json file",
      });
    }
    const json = tokenizerJson as TokenizerJsonShape;
    try {
      this.#tokenizer = new HfCoreTokenizer(tokenizerJson, options.config ?? {});
    } catch (cause) {
      throw new EngineError("HF_TOKENIZER_LOAD_FAILED", "could not build a tokenizer from tokenizer.json", {
        hint: "check that the file is a complete tokenizer.json from the tokenizers library",
        cause,
      });
    }
    const vocab = this.#tokenizer.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    this.#specialIds = new Set((json.added_tokens ?? []).filter((t) => t.special === true).map((t) => t.id));
    this.specials = this.#resolveSpecials(vocab, options);
    for (const id of Object.values(this.specials)) this.#specialIds.add(id);
    this.#byteLengths = this.#buildByteLengths(json, vocab);
  }

  #resolveSpecials(vocab: Map<string, number>, options: HfTokenizerOptions): SpecialTokens {
    const find = (role: keyof SpecialTokens): number | undefined => {
      const named = options.specials?.[role];
      if (named !== undefined) {
        const id = vocab.get(named);
        if (id === undefined) {
          throw new ValidationError(
            "HF_TOKENIZER_UNKNOWN_SPECIAL",
            `special token "${named}" (${role}) is not in the vocabulary`,
            {
              hint: "name a token that exists in tokenizer.json (added_tokens or model.vocab)",
            },
          );
        }
        return id;
      }
      const key = CONFIG_KEYS[role];
      const fromConfig = key === undefined ? undefined : tokenString(options.config?.[key]);
      if (fromConfig !== undefined && vocab.has(fromConfig)) return vocab.get(fromConfig);
      for (const candidate of SPECIAL_CANDIDATES[role]) {
        const id = vocab.get(candidate);
        if (id !== undefined) return id;
      }
      return undefined;
    };
    const roles: (keyof SpecialTokens)[] = ["bos", "eos", "pad", "startOfTurn", "endOfTurn"];
    const found: Partial<SpecialTokens> = {};
    for (const role of roles) {
      const id = find(role);
      if (id !== undefined) found[role] = id;
    }
    // Many tokenizers (Llama, Qwen) have no pad token; padding positions carry weight 0, so eos serves.
    found.pad ??= found.eos;
    const missing = roles.filter((r) => found[r] === undefined);
    if (missing.length > 0) {
      throw new ValidationError(
        "HF_TOKENIZER_MISSING_SPECIAL",
        `tokenizer.json has no recognizable ${missing.join(", ")} token`,
        {
          hint: `pass options.specials, e.g. { ${missing.map((m) => `${m}: "<token>"`).join(", ")} }`,
          details: { missing },
        },
      );
    }
    return found as SpecialTokens;
  }

  #buildByteLengths(json: TokenizerJsonShape, vocab: Map<string, number>): Int32Array {
    const lengths = new Int32Array(this.vocabSize);
    const byteLevel =
      mentionsType(json.pre_tokenizer, "ByteLevel") || mentionsType(json.decoder, "ByteLevel");
    const metaspace = JSON.stringify(json.decoder ?? null).includes("▁");
    const byteFallback = json.model?.byte_fallback === true;
    const added = new Map((json.added_tokens ?? []).map((t) => [t.id, t]));
    const encoder = new TextEncoder();
    for (const [token, id] of vocab) {
      if (this.#specialIds.has(id)) continue;
      const addedToken = added.get(id);
      if (addedToken !== undefined) {
        lengths[id] = encoder.encode(addedToken.content).byteLength;
      } else if (byteFallback && /^<0x[0-9A-Fa-f]{2}>$/.test(token)) {
        lengths[id] = 1;
      } else if (byteLevel) {
        // Each byte-level character is one byte; count the raw bytes, not a lossy decode of a partial character.
        let n = 0;
        for (const ch of token) n += UNICODE_TO_BYTE.has(ch) ? 1 : encoder.encode(ch).byteLength;
        lengths[id] = n;
      } else if (metaspace) {
        lengths[id] = encoder.encode(token.replaceAll("▁", " ")).byteLength;
      } else {
        lengths[id] = encoder.encode(
          this.#tokenizer.decode([id], { clean_up_tokenization_spaces: false }),
        ).byteLength;
      }
    }
    return lengths;
  }

  /** Encode text without adding special tokens. */
  encode(text: string): number[] {
    return this.#tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** Decode ids to text, dropping special tokens. */
  decode(ids: readonly number[]): string {
    const kept = ids.filter((id) => {
      this.#check(id);
      return !this.#specialIds.has(id);
    });
    if (kept.length === 0) return "";
    return this.#tokenizer.decode(kept, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }

  /** UTF-8 bytes of the token's text (0 for specials). */
  tokenByteLength(id: number): number {
    this.#check(id);
    return this.#byteLengths[id]!;
  }

  /** The token string of an id (as stored in tokenizer.json). */
  idToToken(id: number): string | undefined {
    return this.#tokenizer.id_to_token(id);
  }

  #check(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new ValidationError(
        "TOKEN_ID_OUT_OF_RANGE",
        `token id ${id} is outside the vocabulary 0..${this.vocabSize - 1}`,
        {
          hint: "decode only ids produced by this tokenizer or a model with the same vocabulary",
        },
      );
    }
  }
}
