import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { demoTimings } from "./calibration.ts";
import { DEFAULT_DEMO, QUICK_DEMO } from "./demoSettings.ts";

describe("demo timings from a calibration", () => {
  it("never shorter than the settings, and longer on a slower or busier machine", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 60, noNaN: true }),
        fc.integer({ min: 1, max: 16 }),
        fc.constantFrom(DEFAULT_DEMO, QUICK_DEMO),
        (secondsPerStep, setupSeconds, cores, settings) => {
          const cast = { trainers: 3, validators: 3 };
          const t = demoTimings(settings, { secondsPerStep, setupSeconds, cores }, cast);
          expect(t.deadlineSeconds).toBeGreaterThanOrEqual(settings.deadlineSeconds);
          expect(t.validationSeconds).toBeGreaterThanOrEqual(settings.validationSeconds);
          const slower = demoTimings(
            settings,
            { secondsPerStep: secondsPerStep * 2, setupSeconds, cores },
            cast,
          );
          expect(slower.deadlineSeconds).toBeGreaterThanOrEqual(t.deadlineSeconds);
          const fewerCores = demoTimings(settings, { secondsPerStep, setupSeconds, cores: 1 }, cast);
          expect(fewerCores.deadlineSeconds).toBeGreaterThanOrEqual(t.deadlineSeconds);
        },
      ),
    );
  });

  it("a machine 10x slower than the reference gets a deadline that covers its measured training time", () => {
    // 0.15 s per step on one of two loaded cores: 3 trainers need 2 rounds of 3 + 220·0.15 = 36 s each.
    const t = demoTimings(
      DEFAULT_DEMO,
      { secondsPerStep: 0.15, setupSeconds: 3, cores: 2 },
      { trainers: 3, validators: 3 },
    );
    expect(t.deadlineSeconds).toBeGreaterThanOrEqual(2 * 36);
  });
});
