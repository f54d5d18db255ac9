import { describe, expect, it } from "vitest";
import { formatTabularCsv, parseTabularCsv } from "./tabularCsv.ts";

describe("parseTabularCsv", () => {
  it("reads features and a class label (last column by default) and round-trips through formatTabularCsv", () => {
    const text = "a,b,label\n1,2.5,0\n-3,4e-1,2\n\n";
    const rows = parseTabularCsv(text, { kind: "classifier", numClasses: 3 });
    expect(rows.rows).toBe(2);
    expect(rows.features).toEqual(["a", "b"]);
    expect([...rows.x]).toEqual([1, 2.5, -3, Math.fround(0.4)]);
    expect([...rows.y]).toEqual([0, 2]);
    expect(parseTabularCsv(formatTabularCsv(rows), { kind: "classifier" })).toEqual(rows);
  });

  it("takes a named label and a schema's feature order for a regressor", () => {
    const rows = parseTabularCsv("y,b,a\n1.5,2,3\r\n", {
      kind: "regressor",
      label: "y",
      features: ["a", "b"],
    });
    expect([...rows.x]).toEqual([3, 2]);
    expect(rows.y).toBeInstanceOf(Float32Array);
    expect([...rows.y]).toEqual([1.5]);
  });

  it("lists every bad cell with its line and column", () => {
    expect(() => parseTabularCsv("a,label\nx,0\n1,5\n1\n", { kind: "classifier", numClasses: 2 })).toThrow(
      /3 problem\(s\).*line 2, column a.*line 3, column label: 5 is not a class index.*line 4: 1 cells/,
    );
  });

  it("refuses a missing label or feature column and an empty file", () => {
    expect(() => parseTabularCsv("a,b\n1,2\n", { kind: "regressor", label: "y" })).toThrow(/no column "y"/);
    expect(() => parseTabularCsv("a,y\n1,2\n", { kind: "regressor", features: ["a", "b"] })).toThrow(
      /lacks the columns b/,
    );
    expect(() => parseTabularCsv("\n", { kind: "regressor" })).toThrow(/no header/);
    expect(() => parseTabularCsv("a,y\n", { kind: "regressor" })).toThrow(/no rows/);
  });
});
