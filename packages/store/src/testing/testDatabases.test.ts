import { describe, expect, it } from "vitest";
import { postgresAvailability } from "./testDatabases.ts";

describe("where the PostgreSQL half of the store tests gets its database", () => {
  it("FLOCK_TEST_DATABASE_URL wins over local binaries", () => {
    expect(postgresAvailability({ FLOCK_TEST_DATABASE_URL: "postgres://u@h/db" })).toEqual({
      kind: "url",
      url: "postgres://u@h/db",
    });
  });

  it("without binaries the half is skipped locally but required on CI", () => {
    const local = postgresAvailability({}, "/nonexistent");
    const ci = postgresAvailability({ CI: "true" }, "/nonexistent");
    expect(local).toMatchObject({ kind: "missing", required: false });
    expect(ci).toMatchObject({
      kind: "missing",
      required: true,
      message: expect.stringContaining("postgresql"),
    });
  });
});
