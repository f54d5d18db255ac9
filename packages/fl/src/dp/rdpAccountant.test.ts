import { describe, expect, it } from "vitest";
import { computeRdp, DEFAULT_RDP_ORDERS, epsilonFromRdp } from "./rdp.ts";
import { RdpAccountant } from "./rdpAccountant.ts";

describe("RdpAccountant", () => {
  it("reproduces Opacus's test_rdp_accountant figure one step at a time (σ=1.5, q=0.04, 2250 steps → 7.32911117143)", () => {
    const accountant = new RdpAccountant({ delta: 1e-5 });
    let last = 0;
    for (let step = 1; step <= 2250; step++) {
      const record = accountant.record(step, 0.04, 1.5);
      expect(record.epsilon).toBeGreaterThanOrEqual(last);
      last = record.epsilon;
    }
    expect(accountant.spent().epsilon).toBeCloseTo(7.32911117143, 7);
    expect(accountant.history).toHaveLength(2250);
    expect(accountant.history.at(-1)!.epsilon).toBe(accountant.spent().epsilon);
  });

  it("records many steps at once the same as one by one", () => {
    const once = new RdpAccountant({ delta: 1e-5 });
    once.record(1, 0.01, 1.1, 500);
    const stepwise = new RdpAccountant({ delta: 1e-5 });
    for (let i = 0; i < 500; i++) stepwise.record(i, 0.01, 1.1);
    expect(stepwise.spent().epsilon).toBeCloseTo(once.spent().epsilon, 10);
  });

  it("reports each round's own ε beside the cumulative ε, which composes heterogeneous rounds (Opacus doctest)", () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const accountant = new RdpAccountant({ delta: 1e-5, orders });
    const first = accountant.record(1, 1e-5, 1.0, 10);
    const second = accountant.record(2, 1e-4, 3.0, 4);
    expect(second.epsilon).toBeCloseTo(0.336, 3); // opacus/accountants/analysis/rdp.py module doctest
    expect(second.order).toBe(23);
    expect(first.roundEpsilon).toBe(first.epsilon);
    expect(second.roundEpsilon).toBeCloseTo(
      epsilonFromRdp(orders, computeRdp(1e-4, 3, 4, orders), 1e-5).epsilon,
      12,
    );
    expect(second.epsilon).toBeLessThan(first.roundEpsilon + second.roundEpsilon);
    expect(second.epsilon).toBeGreaterThan(Math.max(first.roundEpsilon, second.roundEpsilon));
  });

  it("reports ε at another δ, its RDP vector, and nothing spent before the first record", () => {
    const accountant = new RdpAccountant({ delta: 1e-5 });
    expect(accountant.spent().epsilon).toBe(0);
    accountant.record(1, 0.1, 1.2, 20);
    expect(accountant.spent(1e-3).epsilon).toBeLessThan(accountant.spent().epsilon);
    expect(accountant.rdp()).toEqual(computeRdp(0.1, 1.2, 20, DEFAULT_RDP_ORDERS));
    expect(() => accountant.record(2, 0.1, -1)).toThrow(/noise multiplier/);
    expect(() => new RdpAccountant({ delta: 2 })).toThrow(/δ/);
  });
});
