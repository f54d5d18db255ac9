import { describe, expect, it } from "vitest";
import { secAggCost } from "./cost.ts";

describe("secAggCost", () => {
  it("measures one round's bytes and times against a plain upload", async () => {
    const cost = await secAggCost({ clients: 12, parameters: 5000 });
    expect(cost).toMatchObject({ clients: 12, parameters: 5000, neighbours: 11, threshold: 8 });
    expect(cost.plainUploadBytesPerClient).toBe(4 * 5000 + 8);
    // The masked vector (4 bytes a value plus two words) and O(k) of keys, shares and commitments.
    expect(cost.uploadBytesPerClient).toBeGreaterThan(4 * 5002);
    expect(cost.uploadBytesPerClient).toBeLessThan(4 * 5002 + 12 * 200);
    expect(cost.uploadRatio).toBeCloseTo(cost.uploadBytesPerClient / cost.plainUploadBytesPerClient, 12);
    expect(cost.serverMs).toBeGreaterThan(0);
    expect(cost.serverMs).toBeLessThan(cost.roundMs);
    expect(cost.clientMsPerClient).toBeGreaterThan(0);
    expect(cost.serverCpuMs).toBeGreaterThan(0);
    expect(cost.clientCpuMsPerClient).toBeGreaterThan(0);
  });
});
