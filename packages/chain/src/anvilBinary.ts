import { accessSync, constants, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { ChainError } from "@flock/core";

/** npm's platform packages of `@foundry-rs/anvil`, by Node's `process.platform` and `process.arch`. */
const PLATFORM_PACKAGES: Record<string, Record<string, string>> = {
  linux: { x64: "@foundry-rs/anvil-linux-amd64", arm64: "@foundry-rs/anvil-linux-arm64" },
  darwin: { x64: "@foundry-rs/anvil-darwin-amd64", arm64: "@foundry-rs/anvil-darwin-arm64" },
  win32: { x64: "@foundry-rs/anvil-win32-amd64" },
};

/**
 * Path of the `anvil` executable: `$FLOCK_ANVIL_BIN` if set, else the binary shipped in the platform
 * package that `@foundry-rs/anvil` installs as an optional dependency. This does not depend on the
 * wrapper's postinstall script (which npm may skip); the wrapper itself resolves the same file.
 */
export function anvilBinaryPath(): string {
  const fromEnv = process.env.FLOCK_ANVIL_BIN;
  if (fromEnv !== undefined && fromEnv !== "") return checkExecutable(fromEnv, "FLOCK_ANVIL_BIN");

  const pkg = PLATFORM_PACKAGES[process.platform]?.[process.arch];
  if (pkg === undefined) {
    throw new ChainError(
      "ANVIL_UNSUPPORTED_PLATFORM",
      `anvil has no npm binary for ${process.platform}/${process.arch}`,
      { hint: "Install Foundry's anvil yourself and set FLOCK_ANVIL_BIN to its path." },
    );
  }
  const binaryName = process.platform === "win32" ? "anvil.exe" : "anvil";
  const require = createRequire(import.meta.url);
  let path: string;
  try {
    path = require.resolve(`${pkg}/bin/${binaryName}`);
  } catch (cause) {
    throw new ChainError("ANVIL_NOT_INSTALLED", `the anvil binary package ${pkg} is not installed`, {
      hint: `Run \`npm install\` so that the optional dependency ${pkg} of @foundry-rs/anvil is installed, or set FLOCK_ANVIL_BIN.`,
      cause,
    });
  }
  return checkExecutable(path, pkg);
}

function checkExecutable(path: string, source: string): string {
  if (!existsSync(path)) {
    throw new ChainError("ANVIL_NOT_INSTALLED", `no anvil binary at ${path} (from ${source})`, {
      hint: "Run `npm install`, or point FLOCK_ANVIL_BIN at an anvil executable.",
    });
  }
  try {
    accessSync(path, constants.X_OK);
  } catch (cause) {
    throw new ChainError("ANVIL_NOT_EXECUTABLE", `the anvil binary at ${path} is not executable`, {
      hint: `Run \`chmod +x ${path}\`.`,
      cause,
    });
  }
  return path;
}
