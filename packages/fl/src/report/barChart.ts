import { escapeHtml } from "./escape.ts";
import { fixed } from "./lineChart.ts";
import { formatTick, niceTicks } from "./ticks.ts";

/** One bar: its label, value and colour class (`accent` draws it in the warning colour, e.g. an attacker). */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly accent?: boolean;
}

export interface BarChartOptions {
  readonly title: string;
  readonly valueLabel: string;
  readonly bars: readonly Bar[];
  /** Legend text of plain and accented bars (e.g. "honest", "Byzantine"). */
  readonly legend?: { readonly plain: string; readonly accent: string };
  readonly width?: number;
}

const MARGIN = { top: 34, right: 24, bottom: 40, left: 110 } as const;
const ROW = 22;
const PLAIN = "#0072B2";
const ACCENT = "#D55E00";

/**
 * A self-contained inline SVG horizontal bar chart (one row per bar, values may be negative: bars grow
 * from the zero line), with a value axis, the value at the end of each bar and an optional legend.
 */
export function barChart(options: BarChartOptions): string {
  const width = options.width ?? 760;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = Math.max(1, options.bars.length) * ROW;
  const legendHeight = options.legend ? 20 : 0;
  const height = MARGIN.top + plotHeight + MARGIN.bottom + legendHeight;
  const values = options.bars.map((b) => b.value).filter(Number.isFinite);
  const ticks = niceTicks(Math.min(0, ...values), Math.max(0, ...values), 5);
  const sx = (v: number) => MARGIN.left + ((v - ticks.min) / (ticks.max - ticks.min)) * plotWidth;
  const zero = sx(0);
  const parts: string[] = [
    `<svg class="chart" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${escapeHtml(options.title)}</title>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" class="chart-title">${escapeHtml(options.title)}</text>`,
  ];
  for (const v of ticks.values) {
    const x = fixed(sx(v));
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" class="grid"/>`,
      `<text x="${x}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle" class="tick">${formatTick(v)}</text>`,
    );
  }
  options.bars.forEach((bar, i) => {
    const y = MARGIN.top + i * ROW + 3;
    const v = Number.isFinite(bar.value) ? bar.value : 0;
    const x0 = Math.min(zero, sx(v));
    const w = Math.abs(sx(v) - zero);
    parts.push(
      `<text x="${MARGIN.left - 6}" y="${y + (ROW - 6) / 2}" dy="0.32em" text-anchor="end" class="tick">${escapeHtml(bar.label)}</text>`,
      `<rect x="${fixed(x0)}" y="${y}" width="${fixed(Math.max(w, 0.5))}" height="${ROW - 6}" fill="${bar.accent ? ACCENT : PLAIN}" class="bar"><title>${escapeHtml(`${bar.label}: ${bar.value}`)}</title></rect>`,
      `<text x="${fixed(v >= 0 ? x0 + w + 4 : x0 - 4)}" y="${y + (ROW - 6) / 2}" dy="0.32em" text-anchor="${v >= 0 ? "start" : "end"}" class="value">${formatValue(bar.value)}</text>`,
    );
  });
  parts.push(
    `<line x1="${fixed(zero)}" x2="${fixed(zero)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" class="axis"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${MARGIN.top + plotHeight + 32}" text-anchor="middle" class="axis-label">${escapeHtml(options.valueLabel)}</text>`,
  );
  if (options.legend) {
    const y = MARGIN.top + plotHeight + MARGIN.bottom + 6;
    parts.push(
      `<rect x="${MARGIN.left}" y="${y}" width="12" height="12" fill="${PLAIN}"/>`,
      `<text x="${MARGIN.left + 18}" y="${y + 6}" dy="0.32em" class="legend">${escapeHtml(options.legend.plain)}</text>`,
      `<rect x="${MARGIN.left + 140}" y="${y}" width="12" height="12" fill="${ACCENT}"/>`,
      `<text x="${MARGIN.left + 158}" y="${y + 6}" dy="0.32em" class="legend">${escapeHtml(options.legend.accent)}</text>`,
    );
  }
  parts.push("</svg>");
  return parts.join("\n");
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return "–";
  return Math.abs(v) >= 100 || v === 0 ? String(Number(v.toPrecision(4))) : v.toPrecision(3);
}
