import { escapeHtml } from "./escape.ts";
import { seriesStyle } from "./palette.ts";
import { formatTick, niceTicks } from "./ticks.ts";

/** One line of a chart: its legend label and its (x, y) points in x order (non-finite y are gaps). */
export interface LineSeries {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  /** Force the y range to include these values (e.g. [0, 1] for an accuracy). */
  readonly yInclude?: readonly number[];
  readonly width?: number;
  readonly height?: number;
}

const MARGIN = { top: 34, right: 20, bottom: 46, left: 64 } as const;
const LEGEND_ROW = 18;

/**
 * A self-contained inline SVG line chart: axes with nice ticks and grid lines, axis labels, one polyline
 * per series (a marker on each point when there are few) and a legend below the plot. No script, no
 * external reference.
 */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 760;
  const legendRows = Math.ceil(options.series.length / 3);
  const plotHeight = (options.height ?? 320) - MARGIN.top - MARGIN.bottom;
  const height = MARGIN.top + plotHeight + MARGIN.bottom + legendRows * LEGEND_ROW + 6;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const all = options.series.flatMap((s) =>
    s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)),
  );
  const xs = all.map(([x]) => x);
  const ys = [...all.map(([, y]) => y), ...(options.yInclude ?? [])];
  const xTicks = niceTicks(xs.length ? Math.min(...xs) : 0, xs.length ? Math.max(...xs) : 1, 8);
  const yTicks = niceTicks(ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1, 5);
  const sx = (x: number) => MARGIN.left + ((x - xTicks.min) / (xTicks.max - xTicks.min)) * plotWidth;
  const sy = (y: number) =>
    MARGIN.top + plotHeight - ((y - yTicks.min) / (yTicks.max - yTicks.min)) * plotHeight;
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${escapeHtml(options.title)}</title>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" class="chart-title">${escapeHtml(options.title)}</text>`,
  );
  for (const v of yTicks.values) {
    const y = fixed(sy(v));
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y}" y2="${y}" class="grid"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" dy="0.32em" text-anchor="end" class="tick">${formatTick(v)}</text>`,
    );
  }
  for (const v of xTicks.values) {
    const x = fixed(sx(v));
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight + 5}" class="axis"/>`,
      `<text x="${x}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle" class="tick">${formatTick(v)}</text>`,
    );
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" class="axis"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}" class="axis"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${MARGIN.top + plotHeight + 36}" text-anchor="middle" class="axis-label">${escapeHtml(options.xLabel)}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" class="axis-label">${escapeHtml(options.yLabel)}</text>`,
  );
  options.series.forEach((series, i) => {
    const { color, dash } = seriesStyle(i);
    const dashAttr = dash === "" ? "" : ` stroke-dasharray="${dash}"`;
    for (const run of segments(series.points)) {
      const d = run.map(([x, y], j) => `${j === 0 ? "M" : "L"}${fixed(sx(x))} ${fixed(sy(y))}`).join(" ");
      parts.push(
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${dashAttr} class="series"><title>${escapeHtml(series.label)}</title></path>`,
      );
      if (series.points.length <= 60) {
        for (const [x, y] of run) {
          parts.push(`<circle cx="${fixed(sx(x))}" cy="${fixed(sy(y))}" r="2.5" fill="${color}"/>`);
        }
      }
    }
  });
  const legendTop = MARGIN.top + plotHeight + MARGIN.bottom;
  const column = plotWidth / 3;
  options.series.forEach((series, i) => {
    const { color, dash } = seriesStyle(i);
    const x = MARGIN.left + (i % 3) * column;
    const y = legendTop + Math.floor(i / 3) * LEGEND_ROW + 8;
    parts.push(
      `<g class="legend-item"><line x1="${fixed(x)}" x2="${fixed(x + 24)}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="3"${dash === "" ? "" : ` stroke-dasharray="${dash}"`}/>`,
      `<text x="${fixed(x + 30)}" y="${y}" dy="0.32em" class="legend">${escapeHtml(series.label)}</text></g>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** Runs of consecutive finite points (a non-finite y breaks the line). */
function segments(points: readonly (readonly [number, number])[]): (readonly [number, number])[][] {
  const runs: (readonly [number, number])[][] = [];
  let run: (readonly [number, number])[] = [];
  for (const p of points) {
    if (Number.isFinite(p[0]) && Number.isFinite(p[1])) run.push(p);
    else if (run.length) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  return runs;
}

/** A coordinate with two decimals (keeps the page small and the output stable). */
export function fixed(v: number): string {
  return String(Math.round(v * 100) / 100);
}
