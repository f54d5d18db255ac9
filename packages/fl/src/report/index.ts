/** The simulation report: a self-contained HTML page with inline SVG charts. */
export * from "./barChart.ts";
export * from "./escape.ts";
export * from "./lineChart.ts";
export * from "./renderReport.ts";
export * from "./ticks.ts";
