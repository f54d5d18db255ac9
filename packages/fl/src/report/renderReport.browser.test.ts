import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromiumAvailability, launchChromium } from "@flock/core/testing";
import { afterAll, describe, expect, it } from "vitest";
import { simulate } from "../simulate/simulate.ts";
import { renderReport } from "./renderReport.ts";

const chromium = chromiumAvailability();
if (chromium.kind === "missing" && chromium.required) throw new Error(chromium.message);

const dir = mkdtempSync(join(tmpdir(), "flock-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(chromium.kind === "missing")("the simulation report in Chromium", () => {
  it("draws every chart with its lines and bars, loads nothing from outside and logs no error", async () => {
    const result = await simulate({
      clients: 12,
      clientsPerRound: 4,
      rounds: 3,
      hidden: [8],
      training: { epochs: 1, batchSize: 8 },
      strategies: ["fedavg", "fedmedian"],
      byzantine: { fraction: 0.25, attack: "sign-flip" },
      contribution: { method: "leave-one-out", top: 2 },
      workers: 0,
      seed: 5,
    });
    const file = join(dir, "report.html");
    writeFileSync(file, renderReport(result, { subtitle: "browser check" }));
    const { context, blocked, close } = await launchChromium(
      (chromium as { executablePath: string }).executablePath,
    );
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(pathToFileURL(file).href);
      // Runs in the page (a string, so this package's types need no DOM library).
      const drawn = (await page.evaluate(`[...document.querySelectorAll("svg")].map((svg) => ({
        width: svg.getBoundingClientRect().width,
        height: svg.getBoundingClientRect().height,
        lines: [...svg.querySelectorAll("path.series")].map((p) => p.getTotalLength()),
        bars: [...svg.querySelectorAll("rect")].map((r) => r.getBoundingClientRect().width),
      }))`)) as { width: number; height: number; lines: number[]; bars: number[] }[];
      expect(errors).toEqual([]);
      expect(blocked).toEqual([]);
      expect(drawn.length).toBe(4);
      for (const chart of drawn) {
        expect(chart.width).toBeGreaterThan(100);
        expect(chart.height).toBeGreaterThan(50);
      }
      // Accuracy and loss: one visible line per strategy.
      for (const chart of drawn.slice(0, 2)) {
        expect(chart.lines).toHaveLength(2);
        for (const length of chart.lines) expect(length).toBeGreaterThan(10);
      }
      // Contribution charts: bars with a visible width.
      for (const chart of drawn.slice(2)) expect(chart.bars.some((w) => w > 1)).toBe(true);
      const text = (await page.locator("body").textContent()) ?? "";
      expect(text).toContain("fedavg");
      expect(text).toContain("fedmedian");
    } finally {
      await close();
    }
  });
});
