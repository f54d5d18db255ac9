import type { ContributionSummary, SimulationResult, StrategyRun } from "../simulate/result.ts";
import { barChart } from "./barChart.ts";
import { escapeHtml } from "./escape.ts";
import { lineChart } from "./lineChart.ts";

export interface ReportOptions {
  /** Page title (default "Federated learning simulation"). */
  readonly title?: string;
  /** A line saying when and how the run was made (e.g. the command line); shown under the title. */
  readonly subtitle?: string;
}

/**
 * A simulation's result as one self-contained HTML page: inline CSS and inline SVG charts (accuracy and loss
 * per round per strategy, ε when a strategy is differentially private, contribution values), a table of
 * final figures, the per-round figures and the options. No script, font, image or link leaves the page, so
 * it opens offline and can be attached anywhere.
 */
export function renderReport(result: SimulationResult, options: ReportOptions = {}): string {
  const title = options.title ?? "Federated learning simulation";
  const runs = result.strategies;
  const sections = [
    `<h1>${escapeHtml(title)}</h1>`,
    options.subtitle ? `<p class="subtitle">${escapeHtml(options.subtitle)}</p>` : "",
    summary(result),
    section("Final figures", finalTable(result)),
    section(
      "Test accuracy per round",
      lineChart({
        title: "Test accuracy per round",
        xLabel: "round",
        yLabel: "accuracy",
        yInclude: [0, 1],
        series: runs.map((run) => ({
          label: run.strategy,
          points: [[0, run.initial.accuracy], ...run.rounds.map((r) => [r.round, r.accuracy] as const)],
        })),
      }),
    ),
    section(
      "Test loss per round",
      lineChart({
        title: "Test loss per round",
        xLabel: "round",
        yLabel: "cross-entropy loss",
        yInclude: [0],
        series: runs.map((run) => ({
          label: run.strategy,
          points: [[0, run.initial.loss], ...run.rounds.map((r) => [r.round, r.loss] as const)],
        })),
      }),
    ),
    epsilonSection(runs),
    contributionSection(runs),
    section(
      "Per-round figures",
      `<details><summary>every round of every strategy</summary>${roundTable(runs)}</details>`,
    ),
    section("Options", optionsTable(result)),
  ];
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    "<main>",
    ...sections.filter((s) => s !== ""),
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function section(heading: string, body: string): string {
  return `<section><h2>${escapeHtml(heading)}</h2>\n${body}\n</section>`;
}

function summary(result: SimulationResult): string {
  const d = result.dataset;
  const facts: [string, string][] = [
    [
      "dataset",
      `${d.name}: ${d.trainRows} training and ${d.testRows} test rows, ${d.numFeatures} features, ${d.numClasses} classes`,
    ],
    [
      "model",
      `MLP, hidden ${result.model.hidden.length === 0 ? "none (softmax regression)" : result.model.hidden.join("×")}, ${result.model.parameters} parameters`,
    ],
    [
      "population",
      `${result.population.clients} clients (${result.population.exact ? "disjoint partitions" : "rows sampled with replacement"}), ${result.population.byzantine} Byzantine`,
    ],
    ["training threads", String(result.threads)],
    ["peak RSS", `${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB`],
  ];
  if (result.centralized) {
    const c = result.centralized;
    facts.push([
      "centralized baseline",
      `${pct(c.accuracy)} test accuracy after ${c.epochs} epochs (loss ${c.loss.toFixed(4)})`,
    ]);
  }
  return `<dl class="facts">${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>`;
}

function finalTable(result: SimulationResult): string {
  const target = result.options.targetAccuracy;
  return table(
    [
      "strategy",
      "final accuracy",
      "final loss",
      "best accuracy (round)",
      `first round ≥ ${pct(target)}`,
      "ε",
      "clients trained",
      "clients/s",
      "time",
    ],
    result.strategies.map((run) => {
      const last = run.rounds[run.rounds.length - 1];
      return [
        run.strategy,
        pct(run.final.accuracy),
        run.final.loss.toFixed(4),
        `${pct(run.best.accuracy)} (${run.best.round})`,
        run.reachedTarget === null ? "never" : String(run.reachedTarget),
        last?.epsilon === undefined ? "–" : last.epsilon.toFixed(3),
        String(run.clientsTrained),
        run.clientsPerSecond.toFixed(1),
        `${(run.durationMs / 1000).toFixed(1)} s`,
      ];
    }),
  );
}

function epsilonSection(runs: readonly StrategyRun[]): string {
  const private_ = runs.filter((run) => run.rounds.some((r) => r.epsilon !== undefined));
  if (private_.length === 0) return "";
  const delta = "δ";
  return section(
    "Privacy spent",
    lineChart({
      title: `Cumulative ε per round (at the accountant's ${delta})`,
      xLabel: "round",
      yLabel: "ε",
      yInclude: [0],
      series: private_.map((run) => ({
        label: run.strategy,
        points: run.rounds.map((r) => [r.round, r.epsilon ?? Number.NaN] as const),
      })),
    }),
  );
}

function contributionSection(runs: readonly StrategyRun[]): string {
  const withValues = runs.filter((run) => run.contribution);
  if (withValues.length === 0) return "";
  const charts = withValues.map((run) =>
    barChart({
      title: `${run.strategy}: contribution summed over the run (best and worst clients)`,
      valueLabel: "contribution value (test accuracy)",
      bars: topAndBottom(run.contribution!).map((e) => ({
        label: `client ${e.nodeId}`,
        value: e.value,
        accent: e.byzantine,
      })),
      legend: { plain: "honest client", accent: "Byzantine client" },
    }),
  );
  return section("Contribution value", charts.join("\n"));
}

/** The top entries then the bottom ones, without repeating a client that is in both (small populations). */
function topAndBottom(summary: ContributionSummary) {
  const seen = new Set(summary.top.map((e) => e.nodeId));
  const bottom = [...summary.bottom].reverse().filter((e) => !seen.has(e.nodeId));
  return [...summary.top, ...bottom];
}

function roundTable(runs: readonly StrategyRun[]): string {
  return table(
    [
      "strategy",
      "round",
      "accuracy",
      "loss",
      "ε",
      "updates",
      "Byzantine",
      "dropouts",
      "stragglers",
      "top contributor",
      "bottom contributor",
      "failed (previous model kept)",
    ],
    runs.flatMap((run) =>
      run.rounds.map((r) => [
        run.strategy,
        String(r.round),
        pct(r.accuracy),
        r.loss.toFixed(4),
        r.epsilon === undefined ? "–" : r.epsilon.toFixed(3),
        `${r.updates}/${r.sampled}`,
        String(r.byzantine),
        String(r.dropouts),
        String(r.stragglers),
        r.contribution?.top[0] ? contributor(r.contribution.top[0]) : "–",
        r.contribution?.bottom[0] ? contributor(r.contribution.bottom[0]) : "–",
        r.failed ? `${r.failed.code}: ${r.failed.message}` : "",
      ]),
    ),
  );
}

function contributor(e: { nodeId: string; value: number; byzantine: boolean }): string {
  return `${e.nodeId}${e.byzantine ? " (Byzantine)" : ""}: ${e.value.toFixed(4)}`;
}

function optionsTable(result: SimulationResult): string {
  const rows = flattenOptions(result.options as unknown as Record<string, unknown>);
  return table(["option", "value"], rows);
}

/** Nested options as dotted keys and readable values (arrays of plain values joined by commas). */
function flattenOptions(value: Record<string, unknown>, prefix = ""): string[][] {
  const rows: string[][] = [];
  for (const [key, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (v === undefined || typeof v === "function") continue;
    if (Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null))
      rows.push([name, v.join(", ")]);
    else if (Array.isArray(v)) rows.push([name, v.map((x) => JSON.stringify(x)).join(", ")]);
    else if (typeof v === "object" && v !== null)
      rows.push(...flattenOptions(v as Record<string, unknown>, name));
    else rows.push([name, String(v)]);
  }
  return rows;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; background: #fff; margin: 0; }
main { max-width: 980px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.2em; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.subtitle { color: #555; margin: 0 0 12px; font-family: ui-monospace, monospace; font-size: 0.9em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; font-size: 0.88em; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
th { background: #f3f3f3; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
svg.chart { display: block; margin: 8px 0; max-width: 100%; height: auto; }
svg .grid { stroke: #e6e6e6; stroke-width: 1; }
svg .axis { stroke: #333; stroke-width: 1; }
svg .tick, svg .value { font-size: 11px; fill: #333; }
svg .axis-label, svg .legend { font-size: 12px; fill: #1b1b1b; }
svg .chart-title { font-size: 14px; font-weight: 600; fill: #1b1b1b; }
details summary { cursor: pointer; color: #0050a0; }
`;
