import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadBreastCancer, loadDataset, loadDigits } from "./datasets.ts";

const dataDir = new URL("../../data/", import.meta.url);

describe("shipped datasets", () => {
  it("match the sha256 sums recorded in data/README.md", () => {
    const readme = readFileSync(new URL("README.md", dataDir), "utf8");
    const sums = [...readme.matchAll(/^ {4}([0-9a-f]{64}) {2}(\S+)$/gm)];
    expect(sums.map((m) => m[2]).sort()).toEqual(
      ["breast-cancer.bin", "breast-cancer.json", "digits.bin", "digits.json"].sort(),
    );
    for (const [, sum, file] of sums) {
      const actual = createHash("sha256")
        .update(readFileSync(new URL(file!, dataDir)))
        .digest("hex");
      expect(actual, file).toBe(sum);
    }
  });

  it("digits: 1438 train and 359 test rows of 64 pixels in [0, 1], every class in both splits", () => {
    const d = loadDigits();
    expect([d.numFeatures, d.numClasses, d.train.rows, d.test.rows]).toEqual([64, 10, 1438, 359]);
    expect(d.train.x.length).toBe(1438 * 64);
    expect(Math.min(...d.train.x)).toBe(0);
    expect(Math.max(...d.train.x)).toBe(1);
    const counts = (y: Int32Array) => Array.from({ length: 10 }, (_, c) => y.filter((v) => v === c).length);
    expect(counts(d.train.y).every((n) => n >= 135)).toBe(true);
    expect(counts(d.test.y).every((n) => n >= 33)).toBe(true);
    expect(loadDataset("digits")).toBe(d);
  });

  it("digits keeps scikit-learn's values: source row 0 (a training row) is a 0 starting 0, 0, 5, 13, 9, 1", () => {
    const { train } = loadDigits();
    expect(train.y[0]).toBe(0);
    expect(Array.from(train.x.subarray(0, 6), (v) => v * 16)).toEqual([0, 0, 5, 13, 9, 1]);
  });

  it("breast cancer: 456/113 rows, standardized features (train mean 0, std 1), 2 classes", () => {
    const b = loadBreastCancer();
    expect([b.numFeatures, b.numClasses, b.train.rows, b.test.rows]).toEqual([30, 2, 456, 113]);
    expect(b.classNames).toEqual(["malignant", "benign"]);
    for (const j of [0, 13, 29]) {
      let sum = 0;
      let sq = 0;
      for (let r = 0; r < b.train.rows; r++) sum += b.train.x[r * 30 + j]!;
      const mean = sum / b.train.rows;
      for (let r = 0; r < b.train.rows; r++) sq += (b.train.x[r * 30 + j]! - mean) ** 2;
      expect(mean).toBeCloseTo(0, 5);
      expect(Math.sqrt(sq / b.train.rows)).toBeCloseTo(1, 4);
    }
    const malignant = [b.train, b.test].reduce((n, s) => n + s.y.filter((v) => v === 0).length, 0);
    expect(malignant).toBe(212);
  });

  it("refuses an unknown dataset name", () => {
    expect(() => loadDataset("mnist" as never)).toThrow(/no shipped dataset/);
  });
});
