import { describe, expect, it } from "vitest";
import { formatTick, niceTicks } from "./ticks.ts";

describe("nice axis ticks", () => {
  it("covers the range with steps of 1, 2 or 5 times a power of ten", () => {
    expect(niceTicks(0, 1)).toEqual({ min: 0, max: 1, step: 0.2, values: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(niceTicks(1, 50, 8).values).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    const t = niceTicks(0.137, 2.31);
    expect(t.min).toBeLessThanOrEqual(0.137);
    expect(t.max).toBeGreaterThanOrEqual(2.31);
    expect([1, 2, 5]).toContain(t.step / 10 ** Math.floor(Math.log10(t.step)));
  });

  it("widens a flat or reversed range and survives non-finite input", () => {
    expect(niceTicks(3, 3).values.length).toBeGreaterThan(1);
    expect(niceTicks(0, 0).values).toContain(0);
    expect(niceTicks(5, 1)).toEqual(niceTicks(1, 5));
    expect(niceTicks(Number.NaN, 1)).toEqual(niceTicks(0, 1));
  });

  it("prints short labels", () => {
    expect(formatTick(0.30000000000000004)).toBe("0.3");
    expect(formatTick(2e-5)).toBe("2.0e-5");
    expect(formatTick(1500000)).toBe("1.5e+6");
    expect(formatTick(0)).toBe("0");
  });
});
