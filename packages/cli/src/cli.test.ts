import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureHome, homeLayout, resolveHomePath } from "./home.ts";
import { bufferIo } from "./io.ts";
import { keyFor, writeKeys } from "./keys.ts";
import { main } from "./main.ts";

const roots: string[] = [];
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "flock-cli-"));
  roots.push(root);
  return root;
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const never = new AbortController().signal;

describe("the home folder", () => {
  it("is --home, else FLOCK_HOME, else ~/.flock", () => {
    expect(resolveHomePath("/tmp/a", { FLOCK_HOME: "/tmp/b" })).toBe("/tmp/a");
    expect(resolveHomePath(undefined, { FLOCK_HOME: "/tmp/b" })).toBe("/tmp/b");
    expect(resolveHomePath(undefined, {})).toBe(join(homedir(), ".flock"));
    expect(resolveHomePath("", { FLOCK_HOME: "" })).toBe(join(homedir(), ".flock"));
  });

  it("holds the database, chain, artifacts, keys and logs inside it, so two homes share nothing", () => {
    const a = homeLayout("/x/one");
    const b = homeLayout("/x/two");
    const paths = (h: typeof a) => Object.values(h);
    for (const path of paths(a)) expect(path.startsWith("/x/one")).toBe(true);
    for (const path of paths(b)) expect(paths(a)).not.toContain(path);
  });

  it("keeps keys per home: a key written in one home is unknown in another", () => {
    const one = ensureHome(tempRoot());
    const two = ensureHome(tempRoot());
    writeKeys(one, { alice: `0x${"11".repeat(32)}` });
    expect(keyFor(one, "alice")).toBe(`0x${"11".repeat(32)}`);
    expect(() => keyFor(two, "alice")).toThrow(/no key named "alice"/);
  });

  it("comes from FLOCK_HOME when --home is not given", async () => {
    const root = join(tempRoot(), "from-env");
    const io = bufferIo({ FLOCK_HOME: root });
    expect(await main(["task", "list"], io, { signal: never })).toBe(1);
    expect(existsSync(join(root, "artifacts"))).toBe(true);
    expect(io.err()).toContain(`flock up --home ${root}`);
  });
});

describe("errors and arguments", () => {
  it("a command that needs a network says none runs, with a hint, and exits 1", async () => {
    const root = tempRoot();
    const io = bufferIo();
    expect(await main(["--home", root, "task", "list"], io, { signal: never })).toBe(1);
    expect(io.err()).toContain("error NETWORK_NOT_RUNNING:");
    expect(io.err()).toContain(`hint: start one in another terminal with \`flock up --home ${root}\``);
  });

  it("--json prints the error as one JSON document on stdout", async () => {
    const io = bufferIo();
    expect(await main(["--home", tempRoot(), "--json", "task", "show", "3"], io, { signal: never })).toBe(1);
    const body = JSON.parse(io.out()) as { error: { code: string; hint: string } };
    expect(body.error.code).toBe("NETWORK_NOT_RUNNING");
    expect(body.error.hint).toMatch(/flock up/);
  });

  it("an unknown command is a usage error with a hint, exit code 2", async () => {
    const io = bufferIo();
    expect(await main(["--home", tempRoot(), "trian"], io, { signal: never })).toBe(2);
    expect(io.err()).toContain("error USAGE_ERROR: unknown command 'trian'");
    expect(io.err()).toContain("(Did you mean train?)");
    expect(io.err()).toContain("hint: run `flock --help`");
  });

  it("a missing required option and an unknown option are usage errors", async () => {
    const missing = bufferIo();
    expect(
      await main(["--home", tempRoot(), "stake", "1", "100", "--lock", "1"], missing, { signal: never }),
    ).toBe(2);
    expect(missing.err()).toMatch(/USAGE_ERROR: required option '--role <role>' not specified/);
    expect(missing.err()).toContain("hint: run `flock stake --help`");
    const unknown = bufferIo();
    expect(await main(["--home", tempRoot(), "balance", "--colour"], unknown, { signal: never })).toBe(2);
    expect(unknown.err()).toMatch(/USAGE_ERROR: unknown option '--colour'/);
  });

  it("malformed values are refused before anything is sent: amounts, integers, roles, recipes", async () => {
    const cases: [string[], string][] = [
      [["stake", "1", "12.5.3", "--role", "trainer", "--lock", "1"], "error AMOUNT_"],
      [["stake", "one", "100", "--role", "trainer", "--lock", "1"], "error ARGUMENT_NOT_INTEGER"],
      [["stake", "1", "100", "--role", "judge", "--lock", "1"], "error ROLE_UNKNOWN"],
      [["lock", "100", "--days", "-3"], "error ARGUMENT_NOT_INTEGER"],
      [["train", "--recipe", "reckless"], "error"],
    ];
    for (const [argv, expected] of cases) {
      const io = bufferIo();
      expect(await main(["--home", tempRoot(), ...argv], io, { signal: never })).toBe(1);
      expect(io.err()).toContain(expected);
      expect(io.err()).toContain("hint:");
    }
  });

  it("--help prints the commands and exits 0", async () => {
    const io = bufferIo();
    expect(await main(["--help"], io, { signal: never })).toBe(0);
    for (const command of [
      "up",
      "demo",
      "task",
      "lock",
      "stake",
      "delegate",
      "claim",
      "balance",
      "train",
      "validate",
      "audit",
    ]) {
      expect(io.out()).toContain(command);
    }
  });
});
