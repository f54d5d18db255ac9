import { Worker } from "node:worker_threads";
import type { LoadJob, LoadResult } from "./loadJobs.ts";

/** The benchmark's HTTP client thread (`loadWorker.ts`): one job at a time. */
export class LoadClient {
  readonly #worker = new Worker(new URL("./loadWorker.ts", import.meta.url));
  readonly #pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();
  #next = 0;

  constructor() {
    this.#worker.on("message", (message: { id: number; result?: LoadResult; error?: string }) => {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.error !== undefined) pending?.reject(new Error(`load client: ${message.error}`));
      else pending?.resolve(message.result!);
    });
    this.#worker.on("error", (error) => {
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    });
  }

  /** Run one job in the client thread. */
  run(job: LoadJob): Promise<LoadResult> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
