/**
 * GPT-2's byte-level alphabet: each of the 256 byte values maps to one printable Unicode character, so
 * byte-level BPE vocabularies are plain strings (space is "Ġ", newline "Ċ"). Hugging Face's ByteLevel
 * pre-tokenizer and decoder use this exact table.
 */
function buildByteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = new Array(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + next++);
  }
  return table;
}

/** Byte value → its byte-level character. */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();

/** Byte-level character → byte value. */
export const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_UNICODE.map((ch, b) => [ch, b]));

/** The GPT-2 pre-tokenization pattern used by Hugging Face's ByteLevel pre-tokenizer (`use_regex: true`). */
export const GPT2_SPLIT_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Split text into the pieces byte-level BPE merges within. */
export function splitGpt2(text: string): string[] {
  return text.match(GPT2_SPLIT_PATTERN) ?? [];
}

/** A piece of text as byte-level characters (one per UTF-8 byte). */
export function toByteLevel(text: string): string[] {
  return Array.from(new TextEncoder().encode(text), (b) => BYTE_TO_UNICODE[b]!);
}
