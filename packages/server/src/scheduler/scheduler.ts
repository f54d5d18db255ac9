import type { Logger } from "@flock/core";
import type { Job, Repositories } from "@flock/store";
import type { Clock } from "../deps.ts";
import { errorText } from "../http/requestLog.ts";
import { classifyFailure, failureCode } from "./jobFailure.ts";

/** Does one kind of job; throwing makes the scheduler retry it later. */
export type JobHandler = (job: Job) => Promise<void>;

export interface SchedulerOptions {
  repos: Repositories;
  clock: Clock;
  logger: Logger;
  handlers: Record<string, JobHandler>;
  pollMs: number;
  /**
   * A claimed job's lease, renewed every third of it while its handler runs: a job whose worker died (killed,
   * crashed) is claimed again within this time of its last renewal.
   */
  leaseMs?: number;
  /** Attempts before a job failing for an unknown reason is stopped (transient failures retry without limit). */
  maxAttempts?: number;
  /** The longest wait between two attempts of a job (its backoff doubles from 1 s up to this). */
  maxBackoffMs?: number;
}

/** The task a job works for, when its payload names one (logged and reported with the job). */
export function jobTaskId(job: Job): number | undefined {
  const id = job.payload.taskId;
  return typeof id === "number" ? id : undefined;
}

/** Runs due jobs from the store's `jobs` table: deadlines and timeouts survive a restart of the coordinator. */
export interface Scheduler {
  /** Claim and run every job due now; returns how many ran (successfully or not). */
  runDue(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/** A scheduler over the `jobs` table. */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const leaseMs = options.leaseMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;

  async function runJob(job: Job): Promise<void> {
    const handler = options.handlers[job.kind];
    if (handler === undefined) {
      await options.repos.jobs.fail(
        job,
        `no handler for job kind ${job.kind}`,
        undefined,
        "JOB_KIND_UNKNOWN",
      );
      return;
    }
    const heartbeat = setInterval(() => {
      options.repos.jobs
        .renewLease(job, new Date(options.clock.now().getTime() + leaseMs))
        .catch((error: unknown) =>
          options.logger.warn({ error: errorText(error), jobId: job.id }, "job lease not renewed"),
        );
    }, leaseMs / 3);
    try {
      await handler(job);
      clearInterval(heartbeat);
      await options.repos.jobs.complete(job);
    } catch (error) {
      clearInterval(heartbeat);
      const message = error instanceof Error ? error.message : String(error);
      const kind = classifyFailure(error);
      const code = failureCode(error);
      const taskId = jobTaskId(job);
      const context = {
        error: errorText(error),
        jobId: job.id,
        kind: job.kind,
        attempt: job.attempts,
        taskId,
      };
      // Transient failures (chain or database unreachable) retry for as long as the outage lasts; a permanent
      // one stops the job for the operator; an unknown one gets maxAttempts tries first.
      if (kind === "permanent" || (kind === "unknown" && job.attempts >= maxAttempts)) {
        options.logger.error(
          { ...context, code },
          taskId === undefined
            ? `job ${job.id} (${job.kind}) stopped: retry it with \`flock admin jobs retry ${job.id}\``
            : `job ${job.id} (${job.kind}) stopped; task ${taskId} waits for it: retry it with \`flock admin jobs retry ${job.id}\``,
        );
        await options.repos.jobs.fail(job, message, undefined, code ?? "JOB_FAILED");
        return;
      }
      options.logger.warn({ ...context, transient: kind === "transient" }, "job failed, retrying");
      // Exponential backoff from 1 s, capped.
      const delay = Math.min(maxBackoffMs, 1000 * 2 ** Math.min(20, Math.max(0, job.attempts - 1)));
      await options.repos.jobs.fail(job, message, new Date(options.clock.now().getTime() + delay));
    }
  }

  async function runDue(): Promise<number> {
    let count = 0;
    for (;;) {
      const jobs = await options.repos.jobs.claimDue({ now: options.clock.now(), limit: 10, leaseMs });
      for (const job of jobs) await runJob(job);
      count += jobs.length;
      if (jobs.length < 10) return count;
    }
  }

  // One run at a time in this process: the background tick and explicit runDue calls queue behind each other.
  let queue: Promise<unknown> = Promise.resolve();
  let busy = false;
  function serialized(): Promise<number> {
    const run = queue.then(runDue);
    queue = run.catch(() => 0);
    return run;
  }

  function tick(): void {
    if (busy) return;
    busy = true;
    serialized()
      .catch((error: unknown) => options.logger.error({ error: errorText(error) }, "scheduler tick failed"))
      .finally(() => {
        busy = false;
      });
  }

  return {
    runDue: serialized,
    start() {
      if (timer !== undefined) return;
      timer = setInterval(tick, options.pollMs);
      tick();
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await queue;
    },
  };
}
