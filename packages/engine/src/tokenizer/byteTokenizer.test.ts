import { ValidationError } from "@flock/core";
import { describe, expect, it } from "vitest";
import { BYTE_SPECIALS, ByteTokenizer } from "./byteTokenizer.ts";

describe("ByteTokenizer", () => {
  const tok = new ByteTokenizer();

  it("encodes text as its UTF-8 bytes and decodes it back", () => {
    const text = "Grüße, 世界! 👋\n\ttab";
    const ids = tok.encode(text);
    expect(ids).toEqual(Array.from(new TextEncoder().encode(text)));
    expect(tok.decode(ids)).toBe(text);
  });

  it("places the five specials after the bytes and drops them when decoding", () => {
    expect(tok.vocabSize).toBe(261);
    expect(BYTE_SPECIALS).toEqual({ bos: 256, eos: 257, pad: 258, startOfTurn: 259, endOfTurn: 260 });
    expect(tok.decode([256, 259, 104, 105, 260, 257, 258])).toBe("hi");
  });

  it("counts one byte per byte token and zero per special", () => {
    expect(tok.tokenByteLength(0)).toBe(1);
    expect(tok.tokenByteLength(255)).toBe(1);
    for (let id = 256; id <= 260; id++) expect(tok.tokenByteLength(id)).toBe(0);
    const text = "é漢字";
    expect(tok.encode(text).reduce((s, id) => s + tok.tokenByteLength(id), 0)).toBe(8);
  });

  it("decodes invalid UTF-8 (a character cut in half) to replacement characters instead of throwing", () => {
    const ids = tok.encode("a€b"); // € is 3 bytes
    expect(tok.decode([ids[0]!, ids[1]!, ids[2]!, ids[4]!])).toBe("a\uFFFDb");
    expect(tok.decode([0xff, 0x41])).toBe("\uFFFDA");
  });

  it("rejects ids outside the vocabulary", () => {
    expect(() => tok.decode([261])).toThrow(ValidationError);
    expect(() => tok.tokenByteLength(-1)).toThrow(/outside the byte vocabulary/);
  });
});
