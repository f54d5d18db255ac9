import { accessSync, constants } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { anvilBinaryPath } from "./anvilBinary.ts";

describe("anvilBinaryPath", () => {
  const saved = process.env.FLOCK_ANVIL_BIN;
  afterEach(() => {
    if (saved === undefined) delete process.env.FLOCK_ANVIL_BIN;
    else process.env.FLOCK_ANVIL_BIN = saved;
  });

  it("finds the executable shipped in the platform package without the wrapper's postinstall", () => {
    delete process.env.FLOCK_ANVIL_BIN;
    const path = anvilBinaryPath();
    expect(path).toMatch(/@foundry-rs\/anvil-[a-z0-9]+-[a-z0-9]+\/bin\/anvil(\.exe)?$/);
    expect(() => accessSync(path, constants.X_OK)).not.toThrow();
  });

  it("an override that points nowhere is refused with a hint", () => {
    process.env.FLOCK_ANVIL_BIN = "/nonexistent/anvil";
    expect(() => anvilBinaryPath()).toThrow(
      expect.objectContaining({
        code: "ANVIL_NOT_INSTALLED",
        hint: expect.stringContaining("FLOCK_ANVIL_BIN"),
      }),
    );
  });
});
