import type { Repositories } from "@flock/store";
import type { ChainGateway } from "../chain/chainGateway.ts";

/**
 * Where a crash test kills the coordinator: right after a chain write was mined (before the coordinator records
 * it), right after the stake index stored a stake read from the chain, or right after a task job did its work
 * (before the job is marked done). The process SIGKILLs itself there: no shutdown code runs, as when the
 * machine loses power.
 */
export type CrashPoint =
  | "registerTask"
  | "postEpochRoot"
  | "closeTask"
  | "slash"
  | "stakeIndexed"
  | "job:task.closeSubmissions"
  | "job:task.finalize";

function die(point: CrashPoint): never {
  process.stderr.write(`crash point ${point}: SIGKILL\n`);
  process.kill(process.pid, "SIGKILL");
  // SIGKILL to oneself is delivered before kill() returns on POSIX; this never runs.
  throw new Error(`crash point ${point} did not kill the process`);
}

/** The gateway, killing the process right after the write named by `point` returns. */
export function crashingChainGateway(inner: ChainGateway, point: CrashPoint | undefined): ChainGateway {
  if (point === undefined || point.startsWith("job:") || point === "stakeIndexed") return inner;
  const gateway = Object.create(inner) as ChainGateway;
  const write = point as "registerTask" | "postEpochRoot" | "closeTask" | "slash";
  const original = inner[write] as (...args: unknown[]) => Promise<unknown>;
  Object.assign(gateway, {
    [write]: async (...args: unknown[]) => {
      await original.apply(inner, args);
      die(point);
    },
  });
  return gateway;
}

/** The repositories, killing the process right after a task job's work is done (before it is marked done). */
export function crashingRepositories(repos: Repositories, point: CrashPoint | undefined): Repositories {
  if (point?.startsWith("job:")) {
    const kind = point.slice("job:".length);
    const complete = repos.jobs.complete.bind(repos.jobs);
    repos.jobs.complete = async (job) => {
      if ((job as { kind?: string }).kind === kind) die(point);
      return complete(job);
    };
  }
  return repos;
}

/** The stake indexer, killing the process right after a pass that stored a stake read from the chain. */
export function crashingIndexer(
  indexer: { sync(): Promise<unknown> },
  repos: Repositories,
  point: CrashPoint | undefined,
): void {
  if (point !== "stakeIndexed") return;
  const sync = indexer.sync.bind(indexer);
  indexer.sync = async () => {
    const result = await sync();
    const { items } = await repos.tasks.list({ limit: 500 });
    for (const task of items) if ((await repos.stakes.listForTask(task.id)).length > 0) die(point);
    return result;
  };
}
