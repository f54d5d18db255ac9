import { join } from "node:path";
import { FlockError } from "@flock/core";
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
  options: { account?: string; recipe: string; steps?: string; once?: boolean; poll: string },
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
    onEvent: trainerProgress(ctx.io, ctx.output, me.name),
  });
  if (options.once === true) {
    const pass = await daemon.runOnce();
    if (pass.stakedTasks.length === 0) {
      throw new FlockError(
        "NOTHING_TO_TRAIN",
        `trainer ${me.name} (${me.address}) is staked on none of the ${pass.openTasks} open task(s)`,
        {
          hint: `stake on an open task first: \`flock task list --status open\`, then \`flock stake <task> <amount> --role trainer --lock <id> --account ${me.name}\` (your locks: \`flock locks --account ${me.name}\`)`,
          details: { ...pass },
        },
      );
    }
    const state = await daemon.state();
    const worked = pass.worked.map((id) => ({ taskId: id, ...state.tasks[String(id)]! }));
    ctx.output.result({ ...pass, tasks: state.tasks }, () => [
      ...worked.map(
        (w) =>
          `task ${w.taskId}: ${w.phase}${w.status === undefined ? "" : ` (${w.status})`}${w.error === undefined ? "" : ` — ${w.error.code}: ${w.error.message}`}`,
      ),
      `trainer ${me.name}: ${pass.worked.length} task(s) worked in this pass, ${pass.alreadyDone.length} finished earlier (staked on ${pass.stakedTasks.length} of ${pass.openTasks} open)`,
    ]);
    const failed = worked.filter((w) => w.phase === "failed" || w.error !== undefined);
    if (failed.length > 0) {
      throw new FlockError(
        "TRAINING_FAILED",
        `trainer ${me.name} could not finish task ${failed.map((f) => f.taskId).join(", ")}`,
        {
          hint: "read the error above; `flock train --once` again retries (up to 3 attempts per task)",
        },
      );
    }
    return;
  }
  ctx.output.note(`trainer ${me.name} (${me.address}) with recipe ${chosen.name}; Ctrl-C to stop`);
  daemon.start(parseInteger(options.poll, "--poll"));
  await untilAborted(ctx.signal);
  await daemon.stop();
  const state = await daemon.state();
  ctx.output.result(
    state,
    () => `trainer ${me.name}: ${Object.keys(state.tasks).length} task(s) worked since this home's first run`,
  );
}

/** `flock validate`: run a validator node until Ctrl-C (or one pass with --once). */
export async function runValidate(
  ctx: CommandContext,
  options: { account?: string; once?: boolean; poll: string; maxArtifactBytes: string },
) {
  const me = participant(ctx.home, options.account);
  const daemon = new ValidatorDaemon({
    coordinator: me.coordinator,
    backend: engineEvaluationBackend(),
    stateDir: join(ctx.home.nodesDir, `validator-${me.address}`),
    maxArtifactBytes: parseInteger(options.maxArtifactBytes, "--max-artifact-bytes"),
    onEvent: validatorProgress(ctx.io, ctx.output, me.name),
  });
  const before = await daemon.state();
  if (options.once === true) {
    await daemon.runOnce();
  } else {
    ctx.output.note(`validator ${me.name} (${me.address}); Ctrl-C to stop`);
    daemon.start(parseInteger(options.poll, "--poll"));
    await untilAborted(ctx.signal);
    await daemon.stop();
  }
  const state = await daemon.state();
  // Counted from this run's changes, not the home's whole history.
  const handled = Object.keys(state.assignments).filter(
    (id) => JSON.stringify(state.assignments[id]) !== JSON.stringify(before.assignments[id]),
  );
  if (options.once === true && handled.length === 0) {
    throw new FlockError(
      "NOTHING_TO_VALIDATE",
      `validator ${me.name} (${me.address}) has no open assignment`,
      {
        hint: `validators are assigned submissions after a task's deadline, on tasks they stake on: \`flock stake <task> <amount> --role validator --lock <id> --account ${me.name}\`, then run \`flock validate\` (it waits for assignments)`,
      },
    );
  }
  ctx.output.result(
    { handled: handled.map(Number), ...state },
    () => `validator ${me.name}: ${handled.length} assignment(s) handled in this run`,
  );
}
