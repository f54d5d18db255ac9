import type { UsageRecord } from "@flock/store";

/** One CSV field, quoted as RFC 4180 says when it holds a comma, quote, CR or LF (quotes doubled). */
function field(value: string | number | null): string {
  const text = value === null ? "" : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const USAGE_CSV_COLUMNS = [
  "id",
  "created_at",
  "key_id",
  "account",
  "model",
  "billing",
  "prompt_tokens",
  "completion_tokens",
  "cost",
  "epoch",
] as const;

/** Usage records as CSV (RFC 4180): a header row, then one row per record, CRLF line ends; cost in base units. */
export function usageCsv(records: readonly UsageRecord[]): string {
  const rows = records.map((r) =>
    [
      r.id,
      r.createdAt.toISOString(),
      r.keyId,
      r.account,
      r.model,
      r.billing,
      r.promptTokens,
      r.completionTokens,
      r.cost.toString(),
      r.epoch,
    ]
      .map(field)
      .join(","),
  );
  return `${[USAGE_CSV_COLUMNS.join(","), ...rows].join("\r\n")}\r\n`;
}
