import { createServer } from "node:net";
import { join } from "node:path";
import { getRewardPool } from "@flock/chain";
import { createLogger, FlockError, formatFlock, ProtocolError } from "@flock/core";
import {
  engineEvaluationBackend,
  engineTrainingBackend,
  RECIPES,
  recipe,
  TrainerDaemon,
  ValidatorDaemon,
} from "@flock/node";
import type { CommandContext } from "../context.ts";
import { DEFAULT_DEMO, QUICK_DEMO } from "../demo/demoSettings.ts";
import { renderDemoReport, runDemo } from "../demo/runDemo.ts";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../network/embeddedNetwork.ts";
import { participant } from "../network/participant.ts";
import { trainerProgress, validatorProgress } from "../nodeProgress.ts";
import { UsageError } from "../usageError.ts";
import { untilAborted } from "./nodes.ts";
import { parseInteger } from "./wallet.ts";

const LOCAL_TRAINERS = ["bo", "cy", "di"];
const LOCAL_VALIDATORS = ["ed", "flo", "gus"];

/**
 * Start the home's embedded network, logging the coordinator to `<home>/logs/coordinator.log`; the database is
 * PostgreSQL when `DATABASE_URL` is set, else PGlite in the home; artifacts go to `FLOCK_ARTIFACTS` (a folder or
 * an `s3://bucket/prefix?endpoint=…` URL) when set, else the home's artifact folder.
 */
export async function upNetwork(
  ctx: CommandContext,
  port: number,
  serverConfig: Parameters<typeof startEmbeddedNetwork>[0]["serverConfig"] = {},
  listen: { host?: string; advertise?: string; disputeWindowSec?: bigint } = {},
) {
  const logger = createLogger("flock-coordinator", {
    level: ctx.io.env.FLOCK_LOG_LEVEL ?? "info",
    transport: {
      target: "pino/file",
      options: { destination: join(ctx.home.logsDir, "coordinator.log"), mkdir: true },
    },
  });
  const databaseUrl = ctx.io.env.DATABASE_URL;
  const artifacts = ctx.io.env.FLOCK_ARTIFACTS;
  return startEmbeddedNetwork({
    home: ctx.home,
    port,
    logger,
    serverConfig,
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(artifacts ? { artifacts, env: ctx.io.env } : {}),
    ...(listen.host === undefined ? {} : { host: listen.host }),
    ...(listen.advertise === undefined ? {} : { advertise: listen.advertise }),
    ...(listen.disputeWindowSec === undefined ? {} : { disputeWindowSec: listen.disputeWindowSec }),
  });
}

/** `flock up`: the embedded network (and optionally local nodes, or the demo) until Ctrl-C. */
export async function runUp(
  ctx: CommandContext,
  options: {
    port: string;
    host: string;
    advertise?: string;
    demo?: boolean;
    quick?: boolean;
    deadline?: string;
    trainers: string;
    validators: string;
  },
) {
  const requested = parseInteger(options.port, "--port");
  const demo = options.demo === true ? demoOptions(options) : undefined;
  if (demo === undefined && (options.quick === true || options.deadline !== undefined)) {
    throw new UsageError("--quick and --deadline shape the demo", "add --demo, or leave them out");
  }
  // A busy default port is not a reason to fail: take a free one and say which.
  const port = requested !== 0 && !(await portIsFree(requested, options.host)) ? 0 : requested;
  const trainerCount = Math.min(parseInteger(options.trainers, "--trainers"), LOCAL_TRAINERS.length);
  const validatorCount = Math.min(parseInteger(options.validators, "--validators"), LOCAL_VALIDATORS.length);
  const network = await upNetwork(ctx, port, demo === undefined ? {} : demoServerConfig(), {
    host: options.host,
    ...(options.advertise === undefined ? {} : { advertise: options.advertise }),
    ...(demo === undefined ? {} : { disputeWindowSec: BigInt(demo.settings.disputeWindowSeconds) }),
  });
  const daemons: { stop(): Promise<void> }[] = [];
  try {
    ctx.output.note(`Flock network up in ${ctx.home.root}`);
    if (port !== requested)
      ctx.output.note(`  port ${requested} on ${options.host} is in use; serving on a free port instead`);
    ctx.output.note(`  API      ${network.apiUrl}  (docs: ${network.apiUrl}/docs)`);
    ctx.output.note(`  chain    ${network.chain.rpcUrl}  (chain id ${network.chain.chainId})`);
    ctx.output.note(`  FL page  ${network.apiUrl}/fl/join/  (join a federated task from a browser)`);
    ctx.output.note(`  keys     ${ctx.home.keysFile}  (dev accounts, local use only)`);
    const pool = await getRewardPool(network.chain.clientFor(network.chain.roles.coordinator));
    ctx.output.note(
      `  rewards  ${formatFlock(pool.unallocated)} FLOCK unallocated in the reward pool (${formatFlock(pool.outstanding)} owed to posted epochs)`,
    );
    if (options.host !== "127.0.0.1" || options.advertise !== undefined) {
      const joinUrl = `http://${options.advertise ?? options.host}:${new URL(network.apiUrl).port}`;
      ctx.output.note(`  join     flock --home <dir> join ${joinUrl} --dev-keys  (from another machine)`);
      ctx.output.note(
        "  warning  the local chain's dev accounts are public and unlocked: only on a network you trust",
      );
    }
    const names = Object.keys(RECIPES);
    for (const [i, name] of LOCAL_TRAINERS.slice(0, trainerCount).entries()) {
      const daemon = new TrainerDaemon({
        coordinator: participant(ctx.home, name).coordinator,
        backend: engineTrainingBackend(),
        recipe: recipe(names[i % names.length]!),
        stateDir: join(ctx.home.nodesDir, `trainer-${name}`),
        onEvent: trainerProgress(ctx.io, ctx.output, name),
      });
      daemon.start(2000);
      daemons.push(daemon);
    }
    for (const name of LOCAL_VALIDATORS.slice(0, validatorCount)) {
      const daemon = new ValidatorDaemon({
        coordinator: participant(ctx.home, name).coordinator,
        backend: engineEvaluationBackend(),
        stateDir: join(ctx.home.nodesDir, `validator-${name}`),
        maxArtifactBytes: network.app.config.maxArtifactBytes,
        onEvent: validatorProgress(ctx.io, ctx.output, name),
      });
      daemon.start(2000);
      daemons.push(daemon);
    }
    if (trainerCount + validatorCount > 0)
      ctx.output.note(`  nodes    ${trainerCount} trainer(s), ${validatorCount} validator(s)`);
    const epochs = followEpochs(ctx, network);
    let demoFailure: unknown;
    if (demo !== undefined) {
      try {
        const report = await runDemo(ctx, network, demo.settings, { fixedDeadline: demo.fixedDeadline });
        ctx.output.result(report, () => renderDemoReport(report));
      } catch (error) {
        // The network is still whole: keep serving it, with the failure on screen.
        if (!ctx.signal.aborted) {
          demoFailure = error;
          ctx.output.error(error);
          ctx.output.note(
            "the demo stopped there; the network keeps serving (inspect it with `flock task list`)",
          );
        }
      }
    }
    ctx.output.note(`serving on ${network.apiUrl}; press Ctrl-C to stop`);
    await untilAborted(ctx.signal);
    epochs.stop();
    ctx.output.note("stopping…");
    if (demoFailure !== undefined) {
      throw new FlockError(
        "DEMO_FAILED",
        "the demo failed (its error is printed above); the network served until stopped",
        {
          hint: "fix what the error says and run `npm start` again: the demo reuses this home's base model, locks and pool",
          cause: demoFailure,
        },
      );
    }
  } finally {
    for (const daemon of daemons) await daemon.stop();
    await network.stop();
  }
}

/** The demo's settings from `--quick` and `--deadline` (a fixed deadline turns the calibration off). */
function demoOptions(options: { quick?: boolean; deadline?: string }) {
  const settings = { ...(options.quick === true ? QUICK_DEMO : DEFAULT_DEMO) };
  if (options.deadline !== undefined) settings.deadlineSeconds = parseInteger(options.deadline, "--deadline");
  return { settings, fixedDeadline: options.deadline !== undefined };
}

/** Whether nothing listens on `port` of `host` yet. */
function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Print each epoch the coordinator settles on-chain while the network runs (SPEC §3 settlement). */
function followEpochs(ctx: CommandContext, network: EmbeddedNetwork): { stop(): void } {
  const seen = new Set<number>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    try {
      for (const epoch of await network.repos.epochs.list({})) {
        if (epoch.txHash == null || seen.has(epoch.number)) continue;
        seen.add(epoch.number);
        if (first) continue;
        ctx.output.note(
          `epoch ${epoch.number} settled: task(s) ${epoch.tasks.join(", ") || "-"}, root posted in ${epoch.txHash.slice(0, 18)}… (\`flock audit ${epoch.number}\`)`,
        );
      }
    } catch {
      // The database is closing or busy: the next poll tries again.
    }
    first = false;
    if (!stopped) timer = setTimeout(poll, 2000);
  };
  // Epochs settled before this start are history, not news.
  let first = true;
  void poll();
  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

/**
 * Coordinator settings for the demo: quick polling, assignment timeouts and a score reveal window that fit
 * its minutes (validators reveal within a poll or two of the task's end).
 */
export function demoServerConfig() {
  return {
    schedulerPollMs: 250,
    indexerPollMs: 500,
    assignmentTimeoutMs: 60_000,
    revealWindowMs: 15_000,
    // FL rounds look for new replies four times a second: the demo's rounds last seconds, not minutes.
    flPollMs: 250,
  };
}

/** `flock demo`: bring the network up, run the story, stop everything; exit 0 on success. */
export async function runDemoOnce(
  ctx: CommandContext,
  options: { quick?: boolean; deadline?: string },
): Promise<void> {
  const demo = demoOptions(options);
  let network: EmbeddedNetwork | undefined;
  try {
    network = await upNetwork(ctx, 0, demoServerConfig(), {
      disputeWindowSec: BigInt(demo.settings.disputeWindowSeconds),
    });
    ctx.output.note(`Flock demo on an embedded network in ${ctx.home.root} (API ${network.apiUrl})`);
    const report = await runDemo(ctx, network, demo.settings, { fixedDeadline: demo.fixedDeadline });
    ctx.output.result(report, () => renderDemoReport(report));
    if (!report.audit.verified) {
      throw new ProtocolError("AUDIT_FAILED", `the demo's epoch ${report.epoch} did not pass its audit`, {
        hint: "see the failed checks above; the report, its recomputation and the chain disagree",
      });
    }
  } finally {
    await network?.stop();
  }
}
