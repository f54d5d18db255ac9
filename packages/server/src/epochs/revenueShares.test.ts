import { describe, expect, it } from "vitest";
import { startTestApp } from "../testing/testApp.ts";

describe("the revenue shares a coordinator is configured with", () => {
  it("a table whose role shares do not sum to 10000 bps is refused at start, naming the fix", async () => {
    const started = startTestApp({
      config: {
        revenueShares: {
          treasuryBps: 1000n,
          trainersBps: 5000n,
          validatorsBps: 2000n,
          flBps: 2000n,
          dataBps: 0n,
        },
      },
    });
    await expect(started).rejects.toMatchObject({
      code: "REVENUE_SHARES_INVALID",
      message: "the revenue role shares sum to 9000 bps, not 10000",
    });
  });

  it("a valid table other than the defaults starts", async () => {
    const t = await startTestApp({
      config: {
        revenueShares: { treasuryBps: 0n, trainersBps: 7000n, validatorsBps: 3000n, flBps: 0n, dataBps: 0n },
      },
    });
    expect(t.app.config.revenueShares.trainersBps).toBe(7000n);
    await t.dispose();
  });
});
