import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonicalJson.ts";
import { contentId, isContentId, parseContentId } from "./contentId.ts";

describe("canonicalJson", () => {
  it("sorts keys, drops undefined and writes bigints as strings", () => {
    expect(canonicalJson({ b: 1, a: [2n, "x", null], c: undefined })).toBe('{"a":["2","x",null],"b":1}');
  });

  it("gives the same bytes whatever the key insertion order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(object));
        expect(JSON.parse(canonicalJson(object))).toEqual(JSON.parse(JSON.stringify(object)));
      }),
    );
  });

  it("rejects non-finite numbers and cycles", () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cyclic/);
  });
});

describe("content ids", () => {
  it("hashes bytes and strings the same way", () => {
    const id = contentId("abc");
    expect(id).toBe("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(contentId(new TextEncoder().encode("abc"))).toBe(id);
    expect(isContentId(id)).toBe(true);
  });

  it("rejects malformed ids with a hint", () => {
    expect(() => parseContentId("sha256:XYZ")).toThrow(/not a content id/);
    expect(isContentId("sha1:abc")).toBe(false);
  });
});
