import { renameSync, writeFileSync } from "node:fs";

/**
 * Replace a home file in one step (a temporary file beside it, then a rename): a process killed mid-write,
 * even by SIGKILL, leaves the old file or the new one, never a truncated one the next start cannot parse.
 */
export function writeHomeFile(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, data, options.mode === undefined ? {} : { mode: options.mode });
  renameSync(temporary, path);
}
