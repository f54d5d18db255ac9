import type { CommandContext } from "../context.ts";
import { runDemoOnce } from "./up.ts";

/** `flock demo [--quick] [--deadline s]`. */
export function runDemoCommand(
  ctx: CommandContext,
  options: { quick?: boolean; deadline?: string },
): Promise<void> {
  return runDemoOnce(ctx, options);
}
