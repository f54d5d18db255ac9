import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { FlockError } from "@flock/core";
import { ClientTrainer, type TrainJob, type TrainOutcome } from "./clientTraining.ts";

/** Trains clients: on worker threads (`WorkerPool`) or in the calling thread (`InlineTrainer`). */
export interface ClientRunner {
  readonly threads: number;
  /** Resolves once every thread has loaded (so timings leave out start-up). */
  ready(): Promise<void>;
  train(job: TrainJob): Promise<TrainOutcome>;
  close(): Promise<void>;
}

interface Pending {
  resolve: (outcome: TrainOutcome) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  loaded: Promise<void>;
}

/**
 * A pool of `worker_threads` (default: one per core, `os.availableParallelism()`), each holding its own
 * compiled trainers. A job goes to the thread with the fewest jobs in flight; since a client's outcome is a
 * function of its job alone (single-threaded ONNX Runtime, seeded batches), which thread trains it never
 * changes the result. The global model is copied into each job (structured clone); the trained parameters
 * come back transferred.
 */
export class WorkerPool implements ClientRunner {
  readonly threads: number;
  private readonly slots: Slot[] = [];
  private next = 0;
  private closed = false;

  constructor(threads = availableParallelism()) {
    this.threads = Math.max(1, Math.floor(threads));
    for (let i = 0; i < this.threads; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL("./trainWorker.ts", import.meta.url));
    let loaded = (): void => undefined;
    const slot: Slot = {
      worker,
      pending: new Map(),
      loaded: new Promise<void>((resolve, reject) => {
        loaded = resolve;
        worker.once("error", reject);
      }),
    };
    slot.loaded.catch(() => undefined);
    worker.on(
      "message",
      (m: {
        id: number;
        ready?: true;
        outcome?: TrainOutcome;
        error?: { code: string; message: string };
      }) => {
        if (m.ready) return loaded();
        const p = slot.pending.get(m.id);
        slot.pending.delete(m.id);
        if (!p) return;
        if (m.outcome) p.resolve(m.outcome);
        else p.reject(new FlockError(m.error!.code, m.error!.message));
      },
    );
    worker.on("error", (error) => {
      for (const p of slot.pending.values()) p.reject(error);
      slot.pending.clear();
      // A crashed thread is replaced, so one bad job does not shrink the pool.
      if (!this.closed) this.slots[this.slots.indexOf(slot)] = this.spawn();
    });
    return slot;
  }

  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.loaded));
  }

  train(job: TrainJob): Promise<TrainOutcome> {
    if (this.closed) {
      return Promise.reject(
        new FlockError("FL_POOL_CLOSED", "the training pool is closed", {
          hint: "create a new pool for another simulation",
        }),
      );
    }
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.next++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, job });
    });
  }

  /** Stops every thread; jobs still in flight are rejected with FL_POOL_CLOSED. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    for (const slot of this.slots) {
      for (const p of slot.pending.values()) {
        p.reject(new FlockError("FL_POOL_CLOSED", "the training pool closed before this client finished"));
      }
      slot.pending.clear();
    }
  }
}

/** Trains clients in the calling thread, one at a time (no workers: small runs and debugging). */
export class InlineTrainer implements ClientRunner {
  readonly threads = 0;

  async ready(): Promise<void> {}
  private readonly trainer = new ClientTrainer();
  private queue: Promise<unknown> = Promise.resolve();

  train(job: TrainJob): Promise<TrainOutcome> {
    const run = this.queue.then(() => this.trainer.train(job));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.trainer.release();
  }
}
