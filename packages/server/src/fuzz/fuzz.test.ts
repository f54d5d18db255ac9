import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FuzzReport, fuzzCoordinator } from "./fuzzCoordinator.ts";
import { startFuzzServer } from "./fuzzServer.ts";

describe("the coordinator under fuzzing (requests from its OpenAPI document, over real HTTP)", () => {
  let server: Awaited<ReturnType<typeof startFuzzServer>>;
  let report: FuzzReport;
  beforeAll(async () => {
    server = await startFuzzServer();
    // A bounded sample: a fixed seed, so a failure is reproduced with `npm run fuzz -- --seed 7 --count 600`.
    report = await fuzzCoordinator(server, { count: 600, seed: 7, timeoutMs: 5_000 });
  }, 90_000);
  afterAll(() => server?.close());

  it("sent the sample, across statuses", () => {
    expect(report.requests).toBeGreaterThan(500);
    expect(Object.keys(report.byStatus).length).toBeGreaterThan(3);
  });

  it("no answer is a 5xx", () => {
    expect(report.serverErrors).toEqual([]);
  });

  it("no request hangs", () => {
    expect(report.hangs).toEqual([]);
  });

  it("no replay of a valid signed request is accepted, in any encoding", () => {
    expect(report.acceptedReplays).toEqual([]);
  });

  it("no refused request changes the database", () => {
    expect(report.stateChanges).toEqual([]);
  });
});
