import { join } from "node:path";
import {
  engineEvaluationBackend,
  engineTrainingBackend,
  recipe,
  TrainerDaemon,
  ValidatorDaemon,
} from "@flock/node";
import type { CommandContext } from "../context.ts";
import { participant } from "../network/participant.ts";
import { trainerProgress, validatorProgress } from "../nodeProgress.ts";
import { parseInteger } from "./wallet.ts";

/** Wait until the signal aborts. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** `flock train`: run a trainer node for an account until Ctrl-C (or one pass with --once). */
export async function runTrain(
  ctx: CommandContext,
  options: { account: string; recipe: string; steps?: string; once?: boolean; poll: string },
) {
  const me = participant(ctx.home, options.account);
  const chosen = recipe(
    options.recipe,
    options.steps === undefined ? {} : { steps: parseInteger(options.steps, "--steps") },
  );
  const daemon = new TrainerDaemon({
    coordinator: me.coordinator,
    backend: engineTrainingBackend(),
    recipe: chosen,
    stateDir: join(ctx.home.nodesDir, `trainer-${me.address}`),
    onEvent: trainerProgress(ctx.io, ctx.output, options.account),
  });
  if (options.once === true) {
    await daemon.runOnce();
  } else {
    ctx.output.note(`trainer ${options.account} (${me.address}) with recipe ${chosen.name}; Ctrl-C to stop`);
    daemon.start(parseInteger(options.poll, "--poll"));
    await untilAborted(ctx.signal);
    await daemon.stop();
  }
  const state = await daemon.state();
  ctx.output.result(
    state,
    () => `trainer ${options.account}: ${Object.keys(state.tasks).length} task(s) worked`,
  );
}

/** `flock validate`: run a validator node until Ctrl-C (or one pass with --once). */
export async function runValidate(
  ctx: CommandContext,
  options: { account: string; once?: boolean; poll: string; maxArtifactBytes: string },
) {
  const me = participant(ctx.home, options.account);
  const daemon = new ValidatorDaemon({
    coordinator: me.coordinator,
    backend: engineEvaluationBackend(),
    stateDir: join(ctx.home.nodesDir, `validator-${me.address}`),
    maxArtifactBytes: parseInteger(options.maxArtifactBytes, "--max-artifact-bytes"),
    onEvent: validatorProgress(ctx.io, ctx.output, options.account),
  });
  if (options.once === true) {
    await daemon.runOnce();
  } else {
    ctx.output.note(`validator ${options.account} (${me.address}); Ctrl-C to stop`);
    daemon.start(parseInteger(options.poll, "--poll"));
    await untilAborted(ctx.signal);
    await daemon.stop();
  }
  const state = await daemon.state();
  ctx.output.result(
    state,
    () => `validator ${options.account}: ${Object.keys(state.assignments).length} assignment(s) handled`,
  );
}
