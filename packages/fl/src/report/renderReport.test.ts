import { describe, expect, it } from "vitest";
import { simulate } from "../simulate/simulate.ts";
import { renderReport } from "./renderReport.ts";

/** Tags of a page in order, with void and self-closed elements marked, for a structural check. */
function tags(html: string): { name: string; closing: boolean; selfClosing: boolean }[] {
  const VOID = new Set(["meta", "br", "hr", "img", "input", "link"]);
  const out: { name: string; closing: boolean; selfClosing: boolean }[] = [];
  for (const m of html
    .replace(/<!DOCTYPE[^>]*>/i, "")
    .matchAll(/<(\/?)([a-zA-Z][\w-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g)) {
    const name = m[2]!.toLowerCase();
    out.push({ name, closing: m[1] === "/", selfClosing: m[4] === "/" || VOID.has(name) });
  }
  return out;
}

/** Throws unless every element opened is closed in order (the page is well nested). */
function assertWellNested(html: string): void {
  const stack: string[] = [];
  for (const t of tags(html)) {
    if (t.selfClosing) continue;
    if (!t.closing) stack.push(t.name);
    else {
      const open = stack.pop();
      if (open !== t.name) throw new Error(`</${t.name}> closes <${open}>`);
    }
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(", ")}`);
}

describe("the simulation report", () => {
  it("renders a real small simulation as one self-contained, well-nested page with a chart per figure", async () => {
    const result = await simulate({
      clients: 12,
      clientsPerRound: 4,
      rounds: 3,
      hidden: [8],
      training: { epochs: 1, batchSize: 8 },
      strategies: ["fedavg", { name: "fedmedian", label: "median <robust>" }],
      byzantine: { fraction: 0.25, attack: "sign-flip" },
      contribution: { method: "leave-one-out", top: 2 },
      workers: 0,
      seed: 3,
    });
    const html = renderReport(result, { subtitle: "flock fl simulate --rounds 3" });
    assertWellNested(html);
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    // Self-contained: nothing is loaded from anywhere.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\bsrc\s*=/i);
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/@import|url\(/i);
    // Accuracy, loss, and one contribution chart per strategy.
    const svgs = [...html.matchAll(/<svg\b[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    expect(svgs).toHaveLength(4);
    expect(svgs[0]).toContain("Test accuracy per round");
    expect(svgs[1]).toContain("Test loss per round");
    for (const svg of svgs) {
      // Every coordinate lies inside the chart's own viewBox (nothing drawn off the page or NaN).
      const [, , w, h] = svg
        .match(/viewBox="([^"]+)"/)![1]!
        .split(" ")
        .map(Number);
      for (const m of svg.matchAll(/\b(x|x1|x2|cx|y|y1|y2|cy)="([^"]*)"/g)) {
        const v = Number(m[2]);
        expect(Number.isFinite(v), `${m[0]}`).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(m[1]!.includes("x") ? w! : h!);
      }
      expect(svg).not.toContain("NaN");
    }
    for (const svg of svgs.slice(0, 2)) {
      // One line per strategy, each named in the legend; labels are escaped.
      expect(svg.match(/class="series"/g)).toHaveLength(2);
      expect(svg).toContain(">fedavg</text>");
      expect(svg).toContain(">median &lt;robust&gt;</text>");
      expect(svg).not.toContain("<robust>");
    }
    for (const svg of svgs.slice(2)) {
      expect(svg).toContain("contribution");
      expect(svg.match(/class="bar"/g)!.length).toBeGreaterThanOrEqual(2);
    }
    // Byzantine clients are drawn in the accent colour when they are among the best or worst.
    const run = result.strategies[0]!;
    const entries = [...run.contribution!.top, ...run.contribution!.bottom];
    if (entries.some((e) => e.byzantine)) expect(svgs[2]).toContain("#D55E00");
    // The final table carries each strategy's figures; the options table the run's settings.
    for (const r of result.strategies) expect(html).toContain(`${(100 * r.final.accuracy).toFixed(1)}%`);
    expect(html).toContain("<td>clientsPerRound</td><td>4</td>");
    expect(html).toContain("<td>byzantine.attack</td><td>sign-flip</td>");
  }, 60_000);

  it("adds an ε chart when a strategy reports its privacy spent", async () => {
    const result = await simulate({
      clients: 6,
      clientsPerRound: 3,
      rounds: 2,
      hidden: [],
      training: { epochs: 1 },
      workers: 0,
    });
    const run = result.strategies[0]!;
    const withEpsilon = {
      ...result,
      strategies: [
        { ...run, strategy: "dp", rounds: run.rounds.map((r) => ({ ...r, epsilon: 0.5 * r.round })) },
      ],
    };
    const plain = renderReport(result);
    const html = renderReport(withEpsilon);
    expect(plain).not.toContain("Privacy spent");
    expect(html).toContain("Privacy spent");
    expect(html.match(/<svg\b/g)).toHaveLength(3);
    assertWellNested(html);
  }, 60_000);
});
