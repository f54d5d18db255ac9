import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  type ContributionEntry,
  renderReport,
  type SimulationResult,
  type SimulationRound,
  simulate,
} from "@flock/fl";
import type { CommandContext } from "../context.ts";
import { table } from "../output.ts";
import { createProgress, type Progress } from "../progress.ts";
import { FL_SIMULATE_DEFAULTS, type FlSimulateFlags, planSimulation } from "./flSimulateOptions.ts";

/**
 * `flock fl simulate`: a whole federation in this process on a shipped dataset — every strategy asked for
 * side by side on the same population and samples — with a progress bar per round, a per-round table, the
 * result as JSON with `--json`, and a self-contained HTML report with `--report out.html`.
 */
export async function runFlSimulate(ctx: CommandContext, flags: FlSimulateFlags): Promise<void> {
  const plan = planSimulation(flags);
  const started = performance.now();
  const live = liveRounds(ctx);
  const result = await simulate(plan.options, { onProgress: live.progress, onRound: live.round });
  live.close();
  const wallMs = performance.now() - started;
  let reportPath: string | undefined;
  if (plan.reportPath !== undefined) {
    reportPath = resolve(plan.reportPath);
    writeFileSync(reportPath, renderReport(result, { subtitle: `flock fl simulate ${commandLine(flags)}` }));
  }
  ctx.output.result(result, () => humanResult(result, wallMs, reportPath));
}

/** A bar per round while its clients train (on a terminal), and one line per finished round. */
function liveRounds(ctx: CommandContext) {
  const tty = ctx.io.stderr.isTTY === true;
  let bar: { key: string; progress: Progress } | undefined;
  return {
    progress(p: { strategy: string; round: number; rounds: number; trained: number; sampled: number }) {
      if (!tty) return;
      const key = `${p.strategy}/${p.round}`;
      if (bar?.key !== key) {
        bar?.progress.finish();
        bar = {
          key,
          progress: createProgress(
            ctx.io,
            `${p.strategy} round ${p.round}/${p.rounds}`,
            p.sampled,
            "clients",
          ),
        };
      }
      bar.progress.update(p.trained);
    },
    round(strategy: string, r: SimulationRound) {
      // The bar goes first, so the round's line is printed below the bars, not into their redraw buffer.
      bar?.progress.finish();
      bar = undefined;
      ctx.output.note(`${strategy} round ${r.round}: ${roundLine(r)}`);
    },
    close() {
      bar?.progress.finish();
      bar = undefined;
    },
  };
}

function roundLine(r: SimulationRound): string {
  const parts = [`accuracy ${pct(r.accuracy)}`, `loss ${r.loss.toFixed(4)}`];
  if (r.epsilon !== undefined) parts.push(`ε ${r.epsilon.toFixed(3)}`);
  if (r.dropouts + r.stragglers > 0) parts.push(`${r.dropouts} dropped, ${r.stragglers} late`);
  if (r.failed) parts.push(`round failed (${r.failed.code}), previous model kept`);
  return parts.join(", ");
}

/** The human rendering: the per-round table, then each strategy's final figures. */
function humanResult(result: SimulationResult, wallMs: number, reportPath: string | undefined): string[] {
  const o = result.options;
  const contribution = o.contribution !== undefined;
  const header = ["round", "strategy", "loss", "accuracy", "ε", "dropouts", "stragglers"];
  if (contribution) header.push("top contributor", "bottom contributor");
  const failures = result.strategies.some((run) => run.rounds.some((r) => r.failed));
  if (failures) header.push("failed");
  const rows: string[][] = [];
  const rounds = Math.max(0, ...result.strategies.map((s) => s.rounds.length));
  // Rounds in order, the strategies of each round together, so they compare line by line.
  for (let i = 0; i < rounds; i++) {
    for (const run of result.strategies) {
      const r = run.rounds[i];
      if (!r) continue;
      const row = [
        String(r.round),
        run.strategy,
        r.loss.toFixed(4),
        pct(r.accuracy),
        r.epsilon === undefined ? "-" : r.epsilon.toFixed(3),
        String(r.dropouts),
        String(r.stragglers),
      ];
      if (contribution) row.push(contributor(r.contribution?.top[0]), contributor(r.contribution?.bottom[0]));
      if (failures) row.push(r.failed?.code ?? "");
      rows.push(row);
    }
  }
  const d = result.dataset;
  const lines = [
    `${d.name}: ${result.population.clients} clients (${result.population.byzantine} Byzantine), ${o.clientsPerRound} per round, ${o.rounds} rounds; MLP ${result.model.hidden.join("×") || "softmax"} (${result.model.parameters} parameters); ${result.threads} training threads`,
    table(header, rows),
    "",
    table(
      [
        "strategy",
        "final accuracy",
        "final loss",
        "best (round)",
        `first round ≥ ${pct(o.targetAccuracy)}`,
        "clients/s",
      ],
      result.strategies.map((run) => [
        run.strategy,
        pct(run.final.accuracy),
        run.final.loss.toFixed(4),
        `${pct(run.best.accuracy)} (${run.best.round})`,
        run.reachedTarget === null ? "never" : String(run.reachedTarget),
        run.clientsPerSecond.toFixed(1),
      ]),
    ),
  ];
  if (result.centralized) {
    const c = result.centralized;
    lines.push(
      `centralized training of the same model: ${pct(c.accuracy)} test accuracy after ${c.epochs} epochs`,
    );
  }
  for (const run of result.strategies) {
    if (!run.contribution) continue;
    const names = (es: readonly ContributionEntry[]) => es.map((e) => contributor(e)).join(", ");
    lines.push(
      `${run.strategy} contribution over the run: top ${names(run.contribution.top)}; bottom ${names(run.contribution.bottom)}`,
    );
  }
  lines.push(
    `finished in ${(wallMs / 1000).toFixed(1)} s, peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB${reportPath ? `; report: ${reportPath}` : "; add --report out.html for charts"}`,
  );
  return lines;
}

function contributor(e: ContributionEntry | undefined): string {
  if (!e) return "-";
  return `${e.nodeId}${e.byzantine ? "(B)" : ""} ${e.value.toFixed(3)}`;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** The flags that differ from their defaults, for the report's subtitle. */
function commandLine(flags: FlSimulateFlags): string {
  return Object.entries(flags)
    .filter(
      ([k, v]) =>
        v !== undefined && k !== "report" && v !== (FL_SIMULATE_DEFAULTS as Record<string, unknown>)[k],
    )
    .map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}${v === true ? "" : ` ${v}`}`)
    .join(" ");
}
