import { ValidationError } from "@flock/core";

/** Labelled tabular rows, row-major: what a tabular MLP trains and is evaluated on. */
export interface TabularRows {
  rows: number;
  numFeatures: number;
  /** [rows, numFeatures], row-major. */
  x: Float32Array;
  /** Class indices (classifier) or targets (regressor). */
  y: Int32Array | Float32Array;
  /** The feature columns' names, in order. */
  features: string[];
  /** The label column's name. */
  label: string;
}

export interface TabularCsvOptions {
  kind: "classifier" | "regressor";
  /** The label column (default: the last column). */
  label?: string;
  /** Classes of a classifier: labels must be whole numbers in [0, numClasses). */
  numClasses?: number;
  /** Feature columns the rows must have, in this order (a task's schema); default: every other column. */
  features?: readonly string[];
}

const MAX_LISTED = 20;

/**
 * Parse a CSV of numbers with a header row (RFC 4180 without quoted fields: every cell is a number) into
 * tabular rows. Every bad cell is collected, and one ValidationError names the lines, columns and what was
 * wrong, so a participant fixes its file once.
 */
export function parseTabularCsv(text: string, options: TabularCsvOptions): TabularRows {
  const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
  const headerIndex = lines.findIndex((l) => l.trim() !== "");
  if (headerIndex < 0) {
    throw new ValidationError("CSV_EMPTY", "the CSV has no header row", {
      hint: "start the file with a header row naming the columns, then one row of numbers per example",
    });
  }
  const header = lines[headerIndex]!.split(",").map((c) => c.trim());
  const label = options.label ?? header[header.length - 1]!;
  const labelAt = header.indexOf(label);
  if (labelAt < 0) {
    throw new ValidationError("CSV_LABEL_MISSING", `the CSV has no column ${JSON.stringify(label)}`, {
      hint: "name the label column in the header (by default the last column is the label)",
      details: { columns: header },
    });
  }
  const featureNames = options.features ? [...options.features] : header.filter((_, i) => i !== labelAt);
  const featureAt = featureNames.map((name) => header.indexOf(name));
  const missing = featureNames.filter((_, i) => featureAt[i]! < 0);
  if (missing.length > 0) {
    throw new ValidationError("CSV_COLUMNS_MISSING", `the CSV lacks the columns ${missing.join(", ")}`, {
      hint: "give every feature column the task names, with the same header names",
      details: { missing, expected: featureNames },
    });
  }
  if (
    options.kind === "classifier" &&
    options.numClasses !== undefined &&
    (!Number.isSafeInteger(options.numClasses) || options.numClasses < 2)
  ) {
    throw new ValidationError(
      "CSV_OPTION_INVALID",
      `numClasses ${options.numClasses} is not a whole number ≥ 2`,
    );
  }
  const body = lines.slice(headerIndex + 1).map((l, i) => ({ text: l, line: headerIndex + 2 + i }));
  const rows = body.filter((r) => r.text.trim() !== "");
  const numFeatures = featureNames.length;
  const x = new Float32Array(rows.length * numFeatures);
  const y = options.kind === "classifier" ? new Int32Array(rows.length) : new Float32Array(rows.length);
  const problems: string[] = [];
  let count = 0;
  const problem = (message: string) => {
    count++;
    if (problems.length < MAX_LISTED) problems.push(message);
  };
  rows.forEach((row, r) => {
    const cells = row.text.split(",");
    if (cells.length !== header.length) {
      problem(`line ${row.line}: ${cells.length} cells, the header has ${header.length}`);
      return;
    }
    featureAt.forEach((at, f) => {
      const value = Number(cells[at]!.trim());
      if (cells[at]!.trim() === "" || !Number.isFinite(value)) {
        problem(
          `line ${row.line}, column ${featureNames[f]}: ${JSON.stringify(cells[at])} is not a finite number`,
        );
      }
      x[r * numFeatures + f] = value;
    });
    const raw = cells[labelAt]!.trim();
    const value = Number(raw);
    if (raw === "" || !Number.isFinite(value)) {
      problem(`line ${row.line}, column ${label}: ${JSON.stringify(raw)} is not a finite number`);
    } else if (
      options.kind === "classifier" &&
      (!Number.isInteger(value) ||
        value < 0 ||
        (options.numClasses !== undefined && value >= options.numClasses))
    ) {
      problem(
        `line ${row.line}, column ${label}: ${raw} is not a class index in [0, ${options.numClasses ?? "∞"})`,
      );
    }
    y[r] = value;
  });
  if (count > 0) {
    throw new ValidationError("CSV_INVALID", `${count} problem(s) in the CSV: ${problems.join("; ")}`, {
      hint: "every row needs one finite number per header column; a classifier's label is a class index",
      details: { problems, count },
    });
  }
  if (rows.length === 0) {
    throw new ValidationError("CSV_EMPTY", "the CSV has a header but no rows", {
      hint: "add one row of numbers per example under the header",
    });
  }
  return { rows: rows.length, numFeatures, x, y, features: featureNames, label };
}

/** Tabular rows as a CSV with a header row (features, then the label): what `parseTabularCsv` reads back. */
export function formatTabularCsv(data: TabularRows): string {
  const out: string[] = [[...data.features, data.label].join(",")];
  for (let r = 0; r < data.rows; r++) {
    const cells: string[] = [];
    for (let f = 0; f < data.numFeatures; f++) cells.push(String(data.x[r * data.numFeatures + f]));
    cells.push(String(data.y[r]));
    out.push(cells.join(","));
  }
  return `${out.join("\n")}\n`;
}
